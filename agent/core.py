"""The agent, the one door every face uses: a turn of a conversation, the tool, raw detection, history, replay and
exports, each returning typed objects. The faces translate requests and errors and nothing more."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

from segchat.agent.concepts import Concept, ExemplarCanvas, normalized_name
from segchat.agent.execute import Execution, Find, execute_plan
from segchat.agent.explain import display_label, explain, explain_video
from segchat.agent.serving.payloads import check_size, decode_image_payload, decode_video_payload
from segchat.agent.serving.queue import KeyedLocks, WorkQueue
from segchat.agent.results import (ExportFile, ExportKind, Turn, instances_from_result, instances_out, numbered,
                                   segmentation_result)
from segchat.agent.serving.store import SessionStore
from segchat.agent.sessions import SessionArchive
from segchat.agent.verify import verify_candidates
from segchat.contracts.errors import BadRequestError, NotFoundError
from segchat.contracts.plan import Plan, RememberConcept, Target
from segchat.contracts.results import (AgentResult, ImageSize, Readiness, SegmenterStats,
                                      SegmentationResult, SessionHistory, TrackerKind, VideoInfoOut,
                                      VideoResult)
from segchat.contracts.tool import (MAX_EXEMPLARS, MAX_INSTRUCTION_CHARS, ExemplarBox, SegmentImageParameters,
                                    TrackVideoParameters)
from segchat.parser.language import in_users_script
from segchat.parser.offline import low_confidence_note, warm_up as warm_up_offline
from segchat.parser.base import InstructionParser
from segchat.segmenter.base import Finder, Segmenter
from segchat.segmenter.batching import CrossRequestBatcher
from segchat.segmenter.images import ImageSource, load_image, png_as_read
from segchat.segmenter.instances import Instance
from segchat.segmenter.predictor import Sam3Segmenter
from segchat.segmenter.prompts import Exemplar, Prompt
from segchat.segmenter.service import this_process

if TYPE_CHECKING:  # the trackers load when a video first asks for one
    from segchat.segmenter.trackers.base import Tracker

ImageInput = ImageSource | None


@dataclass
class Detection:
    """Raw SAM3 on some prompts: the result JSON, the instances and the image."""

    result: SegmentationResult
    instances: list[Instance]
    image: Image.Image


def conversation_summary(instruction: str, result: dict) -> str:
    """What the parser needs to know of the previous turn, in a few lines."""
    items = ", ".join(f"#{i['id']} {i['label']} (box {[round(v) for v in i['box']]})" for i in result["instances"][:12])
    plan = result.get("plan", {})
    phrases = [t.get("phrase") for t in plan.get("targets", [])]
    return (f"previous instruction {instruction!r}; its targets {phrases}; "
            f"its result: {len(result['instances'])} instance(s): {items or 'none'}")


def check_exemplars(exemplars: list[ExemplarBox] | list[Exemplar] | None, size: tuple[int, int]) -> list[Exemplar]:
    """Request boxes as exemplars: at most 16, each with positive area and inside the image (pixels)."""
    if not exemplars:
        return []
    if len(exemplars) > MAX_EXEMPLARS:
        raise BadRequestError(f"{len(exemplars)} exemplar boxes were sent; at most {MAX_EXEMPLARS} are allowed",
                              code="too_many_exemplars")
    height, width = size
    checked = []
    for number, item in enumerate(exemplars, start=1):
        if isinstance(item, dict):
            item = ExemplarBox.model_validate(item)
        box = tuple(float(v) for v in (item.box))
        positive = bool(item.positive)
        x0, y0, x1, y1 = box
        if not (x1 > x0 and y1 > y0):
            raise BadRequestError(f"exemplar box {number} {list(box)} has no area (x1 must exceed x0, y1 exceed y0)",
                                  code="bad_exemplar")
        if x0 < 0 or y0 < 0 or x1 > width or y1 > height:
            raise BadRequestError(f"exemplar box {number} {list(box)} is not inside the {width}x{height} image",
                                  code="bad_exemplar")
        checked.append(Exemplar(box=box, positive=positive))  # type: ignore[arg-type]
    return checked


class Agent:
    """Parses, segments, applies the rules, explains and stores. Thread-safe; one model call at a time."""

    def __init__(self, segmenter: Segmenter, parser: InstructionParser, store: SessionStore, *,
                 threshold: float | None = None, mask_threshold: float = 0.5, recovery_rounds: int = 1,
                 max_instruction_chars: int = MAX_INSTRUCTION_CHARS, max_image_pixels: int = 40_000_000,
                 max_upload_bytes: int = 25 * 1024 * 1024, image_url_prefixes: list[str] | None = None,
                 queue_size: int = 16, concurrency: int = 1, batch_wait_ms: float = 8.0,
                 max_video_frames: int = 3600, max_video_bytes: int = 200 * 1024 * 1024, demo: bool = False) -> None:
        self.segmenter = segmenter
        # the model lives elsewhere (Ray Serve replicas, `segchat.segmenter.remote`): video uses the detect tracker
        self.segmenter_is_remote = bool(getattr(segmenter, "remote", False))
        self.parser = parser
        self.store = store
        self.sessions = SessionArchive(store)
        # the one place the score threshold is resolved: the setting, else the checkpoint's calibrated default
        self.threshold = segmenter.default_threshold if threshold is None else threshold
        self.mask_threshold = mask_threshold
        self.recovery_rounds = recovery_rounds
        self.max_instruction_chars = max_instruction_chars
        self.max_image_pixels = max_image_pixels
        self.max_upload_bytes = max_upload_bytes
        self.image_url_prefixes = image_url_prefixes or []
        self.queue = WorkQueue(queue_size, concurrency=concurrency)
        # with several turns in flight, their prompts meet in one forward (find_each with the segmenter's signature)
        self.finder: Finder = (CrossRequestBatcher(segmenter, wait_s=batch_wait_ms / 1000) if concurrency > 1
                               and isinstance(segmenter, Sam3Segmenter) else segmenter)
        self._sessions = KeyedLocks()
        self._trackers: dict[TrackerKind, Tracker] = {}
        self.max_video_frames = max_video_frames
        self.max_video_bytes = max_video_bytes
        # the shapes demo model knows coloured shapes and nothing else: an answer that finds nothing says so
        self.demo = demo

    # -- input checks ----------------------------------------------------------------------------
    def check_instruction(self, instruction: str) -> str:
        if not isinstance(instruction, str) or not instruction.strip():
            raise BadRequestError("the instruction is empty: say what to segment", code="empty_instruction")
        if len(instruction) > self.max_instruction_chars:
            raise BadRequestError(f"the instruction is {len(instruction)} characters long; the limit is "
                                  f"{self.max_instruction_chars}", code="instruction_too_long")
        return instruction.strip()

    def image_bytes(self, payload: str | bytes) -> bytes:
        """An uploaded or encoded image as bytes, within the upload limit (base64, data URL, allowed URL)."""
        if isinstance(payload, bytes):
            return check_size(payload, self.max_upload_bytes)
        return decode_image_payload(payload, self.max_upload_bytes, self.image_url_prefixes)

    # -- the tool ----------------------------------------------------------------------------------
    def segment_image(self, arguments: SegmentImageParameters | dict[str, Any], *, owner: str = "",
                      image: bytes | None = None) -> Turn:
        """The `segment_image` tool itself: its parameters (as REST, MCP and the OpenAI schema define them) in,
        an answered turn out. `image`: the image's bytes where the face already holds them (a multipart upload, the
        UI's file), so they are never encoded as base64 again; else `arguments.image` is decoded."""
        if not isinstance(arguments, SegmentImageParameters):
            arguments = SegmentImageParameters.model_validate(arguments)
        if image is not None:
            image = self.image_bytes(image)
        elif arguments.image:
            image = self.image_bytes(arguments.image)
        return self.turn(arguments.instruction, image, arguments.session, owner=owner, threshold=arguments.threshold,
                         verify=arguments.verify, exemplars=arguments.exemplars)

    def turn(self, instruction: str, image: ImageInput = None, session_id: str | None = None, *, owner: str = "",
             threshold: float | None = None, verify: bool = False,
             exemplars: list[ExemplarBox] | list[Exemplar] | None = None) -> Turn:
        """One turn: an instruction (and maybe a new image) on a session, created when `session_id` is new or None.
        Nothing is stored unless the turn completes."""
        start = time.perf_counter()
        instruction = self.check_instruction(instruction)
        pil = load_image(image, max_pixels=self.max_image_pixels) if image is not None else None
        # a PNG upload of exactly these pixels is stored as it came, not encoded again
        png = png_as_read(image) if image is not None else None
        session = self.store.get_or_create(session_id, owner)
        with self._sessions.hold(session.id):
            return self.queue.run(self._turn, instruction, pil, png, session.id, owner, threshold, verify, exemplars,
                                  start)

    def _turn(self, instruction: str, pil: Image.Image | None, png: bytes | None, session_id: str, owner: str,
              threshold: float | None, verify: bool, exemplars: list[ExemplarBox] | list[Exemplar] | None,
              start: float) -> Turn:
        timings: dict[str, float] = {}
        session = self.store.get_session(session_id, owner)
        last = self.store.last_turn(session_id)
        if pil is None:
            if session.image_key is None:
                raise BadRequestError("this session has no image yet: send an image with the instruction",
                                      code="missing_image")
            pil = self.store.load_image(session.image_key)
            image_key = session.image_key
        else:
            image_key = self.store.image_key(pil)
        boxes = check_exemplars(exemplars, (pil.height, pil.width))
        same_subject = last is not None and last["image_key"] == image_key
        previous = instances_from_result(last["result"]) if same_subject else []
        history = conversation_summary(last["instruction"], last["result"]) if same_subject else None

        parse_start = time.perf_counter()
        outcome = self.parser.parse(instruction, pil, history)
        plan = outcome.plan
        timings["parse"] = (time.perf_counter() - parse_start) * 1000

        threshold = self.threshold if threshold is None else threshold
        if plan.remember is not None:
            execution, explanation = self._remember(plan, plan.remember, previous, pil, owner)
        else:
            plan, concepts = self.concepts_named(plan, instruction, owner)
            canvas = ExemplarCanvas.build(pil, [c for c in concepts if c]) if any(concepts) else None
            subject = canvas.canvas if canvas else pil
            embed_start = time.perf_counter()
            handle, _ = self.segmenter.embed(subject)
            timings["embed"] = (time.perf_counter() - embed_start) * 1000
            # the image goes along with the handle: should the cache drop the embedding meanwhile, it is made again
            find: Find = partial(self.finder.find_each, handle, image=subject, threshold=threshold,
                                 mask_threshold=self.mask_threshold, timings=timings)
            if canvas is not None:  # only what lies in the new image counts, not what is on the exemplar column
                canvas_find = find
                find = lambda prompts: [canvas.inside_image(found) for found in canvas_find(prompts)]  # noqa: E731
                plan, concept_boxes = _with_concepts(plan, concepts, iter(canvas.boxes))
            else:
                concept_boxes = None
            if plan.clarify and not boxes:
                execution = Execution(instances=previous, reports=[], followup="new", previous_count=len(previous))
            else:
                verifier = (partial(verify_candidates, self.parser, pil, instruction)
                            if (verify and self.parser.can_verify and outcome.fallback_reason is None) else None)
                execution = execute_plan(plan, find, (pil.height, pil.width), previous, exemplars=boxes,
                                         concepts=concept_boxes, generalize=partial(self.parser.generalize, image=pil),
                                         recovery_rounds=self.recovery_rounds, verify=verifier)
                timings.update(execution.timings_ms)
            explanation = explain(execution, plan.reply_language, source=plan.source,
                                  fallback_reason=outcome.fallback_reason, clarify=None if boxes else plan.clarify,
                                  # a request that names a remembered concept was read right, whatever the parser
                                  # thought of the unknown word ('find the gizmo')
                                  doubt=None if any(concepts) else low_confidence_note(plan, outcome.notes),
                                  demo=self.demo)
        serialize_start = time.perf_counter()
        height, width = pil.height, pil.width
        instances = instances_out(execution.instances)
        timings["serialize"] = (time.perf_counter() - serialize_start) * 1000
        timings["total"] = (time.perf_counter() - start) * 1000
        result = AgentResult(image=ImageSize(width=width, height=height), instances=instances,
                             timings_ms={k: round(v, 2) for k, v in timings.items()},
                             explanation=in_users_script(explanation, instruction),
                             reply_language=plan.reply_language, plan=plan.model_dump(), session=session_id)
        self.store.save_image(pil, image_key, png)  # only now: a turn that failed leaves nothing behind
        index = self.store.append_turn(session_id, instruction, image_key, result.model_dump())
        return Turn(result=result, instances=execution.instances, image=pil, session_id=session_id, index=index,
                    instruction=instruction, image_key=image_key)

    # -- concepts --------------------------------------------------------------------------------------
    def _remember(self, plan: Plan, ref: RememberConcept, previous: list[Instance], pil: Image.Image,
                  owner: str) -> tuple[Execution, str]:
        """Keep instance #N of the previous result as a named concept (`ref`, the plan's `remember`); the answer is
        the previous result."""
        chosen = next((item for item in previous if item.id == ref.instance), None)
        zh = plan.reply_language == "zh"
        if chosen is None:
            have = ", ".join(f"#{i.id}" for i in previous) or ("没有" if zh else "none")
            raise BadRequestError((f"上一轮结果里没有 {ref.instance} 号（有：{have}）" if zh else
                                   f"there is no #{ref.instance} in the last result (it has {have})"),
                                  code="unknown_instance")
        concept = Concept.from_instance(ref.name, pil, chosen)
        self.store.save_concept(owner, concept.name, concept.phrase, concept.crop_png(), concept.box)
        execution = Execution(instances=previous, reports=[], followup="new", previous_count=len(previous))
        text = (f"已把 {chosen.id} 号（“{display_label(chosen.label, 'zh')}”）记为“{concept.name}”：之后在任何图片上都可以"
                f"说“找{concept.name}”。" if zh else
                f"Remembered #{chosen.id} (“{chosen.label}”) as “{concept.name}”: ask for “{concept.name}” on any image.")
        return execution, text

    def concepts_named(self, plan: Plan, instruction: str, owner: str) -> tuple[Plan, list[Concept | None]]:
        """(plan, for each target the remembered concept it names): a target whose phrase is a concept's name, or
        the only target of a request whose text says a concept's name (the parser may have translated it; a
        request the parser could not read but that names a concept becomes a search for it)."""
        stored = self.store.concepts(owner)
        if not stored:
            return plan, [None] * len(plan.targets)
        names = {record["name"] for record in stored}
        found: list[Concept | None] = []
        for target in plan.targets:
            name = normalized_name(target.phrase)
            found.append(Concept.from_record(self.store.concept(owner, name)) if name in names else None)
        if not any(found) and len(plan.targets) <= 1 and plan.followup == "new":
            text = normalized_name(instruction)
            spoken = [n for n in sorted(names, key=len, reverse=True) if n and n in text]
            if spoken:
                if not plan.targets:
                    plan = plan.model_copy(update={"targets": [Target(phrase=spoken[0])], "clarify": None})
                found = [Concept.from_record(self.store.concept(owner, spoken[0]))]
        return plan, found

    def concept_list(self, owner: str = "") -> list[dict[str, Any]]:
        return self.store.concepts(owner)

    def forget_concept(self, name: str, owner: str = "") -> None:
        if not self.store.delete_concept(owner, normalized_name(name)):
            raise NotFoundError(f"no concept named {name!r}", code="unknown_concept")

    # -- raw detection -------------------------------------------------------------------------------
    def detect(self, image: ImageSource, phrases: list[str], *, threshold: float | None = None,
               exemplars: list[ExemplarBox] | list[Exemplar] | None = None) -> Detection:
        """SAM3 directly on English noun phrases and/or exemplar boxes (no parser, no rules); ids count from 1 and
        boxes are the masks' tight boxes, as in every answer."""
        start = time.perf_counter()
        pil = load_image(image, max_pixels=self.max_image_pixels)
        boxes = check_exemplars(exemplars, (pil.height, pil.width))
        cleaned = [p.strip() for p in phrases if isinstance(p, str) and p.strip()]
        if not cleaned and not boxes:
            raise BadRequestError("give at least one non-empty phrase or an exemplar box", code="missing_phrases")
        prompts = [Prompt(p, tuple(boxes)) for p in cleaned] or [Prompt("", tuple(boxes))]

        def job() -> Detection:
            timings: dict[str, float] = {"load_image": (time.perf_counter() - start) * 1000}
            embed_start = time.perf_counter()
            handle, _ = self.segmenter.embed(pil)
            timings["embed"] = (time.perf_counter() - embed_start) * 1000
            found = numbered([i for group in self.finder.find_each(
                handle, prompts, image=pil, threshold=self.threshold if threshold is None else threshold,
                mask_threshold=self.mask_threshold, timings=timings) for i in group])
            timings["total"] = (time.perf_counter() - start) * 1000
            return Detection(segmentation_result(found, handle.size, timings), found, pil)

        return self.queue.run(job)

    # -- video ---------------------------------------------------------------------------------------
    def tracker(self, kind: TrackerKind | str = TrackerKind.AUTO) -> Tracker:
        """The sam3 or detect tracker for this agent's checkpoint (auto: sam3 where it has a tracker); a
        `TrackerKind` or its value."""
        from segchat.segmenter.trackers import make_tracker
        from segchat.segmenter.video_loader import default_tracker

        try:
            kind = TrackerKind(kind)
        except ValueError:
            raise BadRequestError(f"unknown tracker {kind!r}: choose sam3, detect or auto",
                                  code="unknown_tracker") from None
        source = str(self.segmenter.source)
        if self.segmenter_is_remote:
            # the model lives in the segmenter replicas: frames go to them one find at a time (detect)
            if kind is TrackerKind.SAM3:
                raise BadRequestError("on a cluster, videos are tracked with the detect tracker: use --tracker "
                                      "detect (or auto)", code="no_tracker")
            kind = TrackerKind.DETECT
        chosen = default_tracker(source) if kind is TrackerKind.AUTO else kind
        if chosen is TrackerKind.SAM3 and default_tracker(source) is not TrackerKind.SAM3:
            raise BadRequestError(f"the checkpoint {source} has no video tracker: use --tracker detect",
                                  code="no_tracker")
        if chosen not in self._trackers:
            self._trackers[chosen] = make_tracker(chosen, source, segmenter=self.segmenter,
                                                  device=str(self.segmenter.device))
        return self._trackers[chosen]

    def track(self, video, instruction: str, *, tracker: TrackerKind | str = TrackerKind.AUTO,
              threshold: float | None = None, progress=None, cancelled=None) -> VideoResult:
        """Track what the instruction asks for through a video (a file or a folder of frames), in one pass; the
        plan's rules apply to whole tracks. `progress(frames_done, frames_total_or_None)`; `cancelled()` is asked
        between frames (the job's cancel button)."""
        from segchat.agent.tracks import execute_on_video
        from segchat.segmenter.video import open_video

        start = time.perf_counter()
        instruction = self.check_instruction(instruction)
        chosen = self.tracker(tracker)
        reader = open_video(video, max_frames=self.max_video_frames, max_pixels=self.max_image_pixels)
        info = reader.info
        parse_start = time.perf_counter()
        outcome = self.parser.parse(instruction, None, None)
        plan = outcome.plan
        timings = {"parse": (time.perf_counter() - parse_start) * 1000}
        if plan.clarify or not plan.targets:
            reader.close()
            return VideoResult(video=VideoInfoOut(width=info.width, height=info.height, frames=info.frames or 0,
                                                  fps=info.fps), objects=[], frames=[],
                               explanation=in_users_script(plan.clarify or "", instruction),
                               reply_language=plan.reply_language,
                               plan=plan.model_dump(), tracker=chosen.name,
                               timings_ms={"total": round((time.perf_counter() - start) * 1000, 2)})
        report = (lambda done: progress(done, info.frames)) if progress else None
        with reader:
            execution = self.queue.run(execute_on_video, plan, chosen, reader, (info.height, info.width),
                                       threshold=self.threshold if threshold is None else threshold,
                                       progress=report, cancelled=cancelled)
        timings.update(execution.timings_ms)
        timings["total"] = (time.perf_counter() - start) * 1000
        explanation = explain_video(execution.reports, plan.reply_language, frames=execution.frames_seen,
                                    tracker=chosen.name, source=plan.source, fallback_reason=outcome.fallback_reason,
                                    doubt=low_confidence_note(plan, outcome.notes), demo=self.demo)
        return VideoResult(video=VideoInfoOut(width=info.width, height=info.height, frames=execution.frames_seen,
                                              fps=info.fps),
                           objects=[o.to_object() for o in execution.objects], frames=execution.frames,
                           explanation=in_users_script(explanation, instruction),
                           reply_language=plan.reply_language, plan=plan.model_dump(),
                           tracker=chosen.name, timings_ms={k: round(v, 2) for k, v in timings.items()})

    def track_video(self, arguments: TrackVideoParameters | dict[str, Any], *, video: Path | None = None,
                    progress=None, cancelled=None) -> VideoResult:
        """The `track_video` tool itself: its parameters in, the video result out. `video`: a file or a folder of
        frames the face already holds (an upload, a job's input); else `arguments.video` is decoded into a
        temporary file that is removed afterwards."""
        import tempfile

        if not isinstance(arguments, TrackVideoParameters):
            arguments = TrackVideoParameters.model_validate(arguments)
        run = partial(self.track, instruction=arguments.instruction, tracker=arguments.tracker,
                      threshold=arguments.threshold, progress=progress, cancelled=cancelled)
        if video is not None:
            return run(video)
        if not arguments.video:
            raise BadRequestError("attach a video: give `video` as a data URL or base64", code="missing_video")
        data, suffix = decode_video_payload(arguments.video, self.max_video_bytes)
        with tempfile.TemporaryDirectory(prefix="segchat-video-") as folder:
            path = Path(folder) / f"input{suffix}"
            path.write_bytes(data)
            return run(path)

    def session_frames(self, session_id: str, owner: str = "") -> Path:
        """A session's images as a new folder of frames (a video job over them)."""
        return self.sessions.frames(session_id, owner)

    # -- sessions (stored conversations: read through the archive, which needs no model) -------------------------
    def create_session(self, owner: str = "") -> str:
        return self.sessions.create_session(owner)

    def history(self, session_id: str, owner: str = "") -> SessionHistory:
        return self.sessions.history(session_id, owner)

    def replay(self, session_id: str, owner: str = "") -> list[Turn]:
        return self.sessions.replay(session_id, owner)

    def turn_at(self, session_id: str, index: int, owner: str = "") -> Turn:
        return self.sessions.turn_at(session_id, index, owner)

    def export(self, session_id: str, index: int, kind: ExportKind | str, *, owner: str = "",
               smoothness: float = 0.0) -> ExportFile:
        return self.sessions.export(session_id, index, kind, owner=owner, smoothness=smoothness)

    # -- status --------------------------------------------------------------------------------------
    def warm_up(self) -> None:
        """Load what the first request would otherwise wait for: the offline parser's dictionaries and word forms
        (every backend falls back to it), without calling any LLM."""
        warm_up_offline()

    def status(self) -> Readiness:
        """What `/readyz`, the server's banner and the UI show: model, parser, load."""
        parser = self.parser.status()
        batching = getattr(self.finder, "stats", None)  # only the cross-request batcher counts
        return Readiness(model=str(self.segmenter.source), demo=self.demo, device=str(self.segmenter.device),
                         dtype=str(self.segmenter.dtype).replace("torch.", ""), threshold=self.threshold,
                         parser=parser.backend.value, llm=parser.location, llm_state=parser.state.value,
                         llm_detail=parser.detail, uses_llm=parser.uses_llm,
                         queue=self.queue.stats.model_copy(),
                         batching=batching.model_copy() if batching is not None else None,
                         segmenter_replicas=self.segmenter_stats().replicas_up)

    def segmenter_stats(self) -> SegmenterStats:
        """`GET /v1/stats`: the segmenter replicas' counters (cache hits and misses, busy time) and how many are
        up; in one process, this process's segmenter."""
        if self.segmenter_is_remote:
            up, replicas = self.segmenter.replica_stats()
            return SegmenterStats(replicas_up=up, replicas=replicas)
        return SegmenterStats(replicas_up=1, replicas=[this_process(self.segmenter)])

    def readiness(self) -> dict[str, Any]:
        """`status()` as JSON, for the faces that read it as a dict."""
        return self.status().model_dump(mode="json")


def _with_concepts(plan: Plan, concepts: list[Concept | None],
                   boxes: Iterator[Exemplar]) -> tuple[Plan, list[tuple[str, Exemplar] | None]]:
    """The plan with each concept target searching for the concept's phrase, and the (name, exemplar box) pairs."""
    targets: list[Target] = []
    pairs: list[tuple[str, Exemplar] | None] = []
    for target, concept in zip(plan.targets, concepts):
        if concept is None:
            targets.append(target)
            pairs.append(None)
            continue
        targets.append(target.model_copy(update={"phrase": concept.phrase, "alternates": []}))
        pairs.append((concept.name, next(boxes)))
    return plan.model_copy(update={"targets": targets}), pairs
