"""`segchat track`: masklets through a video file or a folder of frames."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from segchat.contracts.results import TrackerKind
from segchat.faces.cli.common import checked_settings, emit, fail, guarded, make_agent, run_jsonl
from segchat.faces.options import LLM_OPTIONS, MODEL_OPTIONS, options


@click.command()
@click.argument("video", required=False)
@click.argument("instruction", required=False)
@options(MODEL_OPTIONS, LLM_OPTIONS)
@click.option("--tracker", type=click.Choice([kind.value for kind in TrackerKind]), default="auto", show_default=True,
              help="sam3: SAM3's memory tracker (checkpoints that have one); detect: detection on every frame.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Also write result.json, overlay.mp4 and object_<id>.png (first appearances) here.")
@click.option("--json", "as_json", is_flag=True, help="Print the video result JSON.")
@click.option("--jsonl", type=click.Path(), help='Batch: one {"video": path, "instruction": text} per line.')
def track(video: str | None, instruction: str | None, tracker: str, out_dir: str | None, as_json: bool,
          jsonl: str | None, **flags: Any) -> None:
    """Track what INSTRUCTION asks for (any language) through VIDEO: a video file (MP4, WebM, MOV, MKV, GIF) or a
    folder of frames; masklets with ids stable for the whole video."""
    if jsonl is None and (not video or instruction is None):
        fail('give VIDEO and "INSTRUCTION", or --jsonl FILE')
    settings = checked_settings(**flags)

    def run() -> None:
        from segchat.agent.outputs.video_out import write_video_outputs

        agent = make_agent(settings)

        def one(path: str, text: str) -> dict[str, Any]:
            return agent.track(path, text, tracker=tracker).model_dump()

        if jsonl is not None:
            def problem(obj: dict[str, Any]) -> str | None:
                if not isinstance(obj.get("video"), str) or not isinstance(obj.get("instruction"), str):
                    return 'expected {"video": path, "instruction": text}'
                return None

            run_jsonl(jsonl, problem, lambda obj: one(obj["video"], obj["instruction"]))
            return
        result = agent.track(video, instruction, tracker=tracker)
        if out_dir:
            try:
                write_video_outputs(result, video, Path(out_dir), max_frames=settings.max_video_frames)
            except OSError as exc:
                fail(f"cannot write to '{out_dir}': {exc.strerror or exc}")
        if as_json:
            emit(result.model_dump())
            return
        click.echo(result.explanation)
        video_info = result.video
        click.echo(f"video {video_info.width}x{video_info.height}, {video_info.frames} frames, tracker {result.tracker}: "
                   f"{len(result.objects)} object(s) in {result.timings_ms['total'] / 1000:.1f} s")
        for obj in result.objects:
            click.echo(f"  #{obj.id:<3} {obj.label:<24} score {obj.score:.2f}  frames {obj.first_frame}-"
                       f"{obj.last_frame} ({obj.frames_present} present)")

    guarded(run)
