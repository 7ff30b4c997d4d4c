"""The `segchat` command line: a thin click layer over the agent (and the shapes lab's tools), one module per group
of verbs; `common` holds what they share.

Bad input gives `error: ...` on stderr and exit code 2; a `--jsonl` run answers every line (a bad one with
`{"error", "line"}`) and exits 1 at the end when any line failed.
"""

from __future__ import annotations

import logging

import click

from segchat.faces.cli import annotate, db, images, lab, parse, sessions, video


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log progress to stderr.")
@click.version_option(package_name="segchat")
def main(verbose: bool) -> None:
    """segchat: natural-language segmentation with SAM3."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


for command in (images.detect, images.segment, parse.parse, parse.eval_parser, video.track, annotate.annotate,
                sessions.sessions, db.db, lab.eval_shapes, lab.render_shapes, lab.render_videos, lab.eval_track,
                lab.calibrate_shapes, lab.eval_agent_shapes, lab.train_shapes):
    main.add_command(command)
