"""The agent, the one door every face uses: a turn of a conversation, the tool, raw detection, history, replay and
exports, each returning typed objects. The faces translate requests and errors and nothing more."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial
from typing import Any

from PIL import Image

from segchat.agent.execute import Execution, execute_plan
from segchat.agent.explain import explain
from segchat.agent.payloads import check_size, decode_image_payload
from segchat.agent.queue import KeyedLocks, WorkQueue
from segchat.agent.results import (ExportFile, Turn, instances_from_result, instances_out, numbered,
                                   segmentation_result)
from segchat.agent.store import SessionStore
from segchat.agent.verify import verify_candidates
from segchat.contracts.errors import BadRequestError
from segchat.contracts.results import AgentResult, ImageSize, SegmentationResult, SessionHistory, TurnRecord
from segchat.contracts.tool import MAX_EXEMPLARS, MAX_INSTRUCTION_CHARS, ExemplarBox, SegmentImageParameters
from segchat.parser import parse_offline
from segchat.parser.base import InstructionParser
from segchat.segmenter.images import ImageSource, load_image
from segchat.segmenter.instances import Instance
from segchat.segmenter.predictor import Sam3Segmenter
from segchat.segmenter.prompts import Exemplar, Prompt

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

    def __init__(self, segmenter: Sam3Segmenter, parser: InstructionParser, store: SessionStore, *,
                 threshold: float | None = None, mask_threshold: float = 0.5, recovery_rounds: int = 1,
                 max_instruction_chars: int = MAX_INSTRUCTION_CHARS, max_image_pixels: int = 40_000_000,
                 max_upload_bytes: int = 25 * 1024 * 1024, image_url_prefixes: list[str] | None = None,
                 queue_size: int = 16) -> None:
        self.segmenter = segmenter
        self.parser = parser
        self.store = store
        # the one place the score threshold is resolved: the setting, else the checkpoint's calibrated default
        self.threshold = segmenter.default_threshold if threshold is None else threshold
        self.mask_threshold = mask_threshold
        self.recovery_rounds = recovery_rounds
        self.max_instruction_chars = max_instruction_chars
        self.max_image_pixels = max_image_pixels
        self.max_upload_bytes = max_upload_bytes
        self.image_url_prefixes = image_url_prefixes or []
        self.queue = WorkQueue(queue_size)
        self._sessions = KeyedLocks()

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
    def segment_image(self, arguments: SegmentImageParameters | dict[str, Any], *, owner: str = "") -> Turn:
        """The `segment_image` tool itself: its parameters (as REST, MCP and the OpenAI schema define them) in,
        an answered turn out."""
        if not isinstance(arguments, SegmentImageParameters):
            arguments = SegmentImageParameters.model_validate(arguments)
        image = self.image_bytes(arguments.image) if arguments.image else None
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
        session = self.store.get_or_create(session_id, owner)
        with self._sessions.hold(session.id):
            return self.queue.run(self._turn, instruction, pil, session.id, owner, threshold, verify, exemplars,
                                  start)

    def _turn(self, instruction: str, pil: Image.Image | None, session_id: str, owner: str,
              threshold: float | None, verify: bool, exemplars, start: float) -> Turn:
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

        embed_start = time.perf_counter()
        embedding, _ = self.segmenter.embed(pil)
        timings["embed"] = (time.perf_counter() - embed_start) * 1000
        find = partial(self.segmenter.find_each, embedding, threshold=self.threshold if threshold is None else threshold,
                       mask_threshold=self.mask_threshold)
        if plan.clarify and not boxes:
            execution = Execution(instances=previous, reports=[], followup="new", previous_count=len(previous))
        else:
            verifier = (partial(verify_candidates, self.parser, pil, instruction)
                        if (verify and self.parser.can_verify and outcome.fallback_reason is None) else None)
            execution = execute_plan(plan, find, embedding.size, previous, exemplars=boxes,
                                     generalize=partial(self.parser.generalize, image=pil),
                                     recovery_rounds=self.recovery_rounds, verify=verifier)
            timings.update(execution.timings_ms)
        explanation = explain(execution, plan.reply_language, source=plan.source,
                              fallback_reason=outcome.fallback_reason, clarify=None if boxes else plan.clarify,
                              confidence=plan.confidence)
        serialize_start = time.perf_counter()
        height, width = embedding.size
        instances = instances_out(execution.instances)
        timings["serialize"] = (time.perf_counter() - serialize_start) * 1000
        timings["total"] = (time.perf_counter() - start) * 1000
        result = AgentResult(image=ImageSize(width=width, height=height), instances=instances,
                             timings_ms={k: round(v, 2) for k, v in timings.items()}, explanation=explanation,
                             reply_language=plan.reply_language, plan=plan.model_dump(), session=session_id)
        self.store.save_image(pil, image_key)  # only now: a turn that failed leaves nothing behind
        index = self.store.append_turn(session_id, instruction, image_key, result.model_dump())
        return Turn(result=result, instances=execution.instances, image=pil, session_id=session_id, index=index,
                    instruction=instruction)

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
            embedding, _ = self.segmenter.embed(pil)
            timings["embed"] = (time.perf_counter() - embed_start) * 1000
            found = numbered(self.segmenter.find(embedding, prompts, threshold=self.threshold if threshold is None
                                                 else threshold, mask_threshold=self.mask_threshold, timings=timings))
            timings["total"] = (time.perf_counter() - start) * 1000
            return Detection(segmentation_result(found, embedding.size, timings), found, pil)

        return self.queue.run(job)

    # -- sessions ------------------------------------------------------------------------------------
    def create_session(self, owner: str = "") -> str:
        return self.store.create_session(owner)

    def history(self, session_id: str, owner: str = "") -> SessionHistory:
        self.store.get_session(session_id, owner)
        return SessionHistory(session=session_id, turns=[
            TurnRecord(index=t["index"], created=t["created"], instruction=t["instruction"],
                       result=AgentResult.model_validate(t["result"])) for t in self.store.turns(session_id)])

    def replay(self, session_id: str, owner: str = "") -> list[Turn]:
        """Every stored turn of a session as a `Turn` again (image, instances), to show or export."""
        self.store.get_session(session_id, owner)
        images: dict[str, Image.Image] = {}
        turns = []
        for stored in self.store.turns(session_id):
            key = stored["image_key"]
            if key not in images:
                images[key] = self.store.load_image(key)
            turns.append(Turn(result=AgentResult.model_validate(stored["result"]),
                              instances=instances_from_result(stored["result"]), image=images[key],
                              session_id=session_id, index=stored["index"], instruction=stored["instruction"]))
        return turns

    def turn_at(self, session_id: str, index: int, owner: str = "") -> Turn:
        turns = self.replay(session_id, owner)
        for turn in turns:
            if turn.index == index:
                return turn
        raise BadRequestError(f"session {session_id!r} has no turn {index} (it has {len(turns)})", code="unknown_turn",
                              http_status=404)

    def export(self, session_id: str, index: int, kind: str, *, owner: str = "", smoothness: float = 0.0) -> ExportFile:
        return self.turn_at(session_id, index, owner).export(kind, smoothness)

    # -- status --------------------------------------------------------------------------------------
    def warm_up(self) -> None:
        """Load what the first request would otherwise wait for: the offline parser's dictionaries and word forms
        (every backend falls back to it), without calling any LLM."""
        parse_offline("把左边的红色圆形抠出来 and the sleeping kittens")

    def readiness(self) -> dict[str, Any]:
        status = self.parser.status()
        return {"model": self.segmenter.source, "device": str(self.segmenter.device),
                "dtype": str(self.segmenter.dtype).replace("torch.", ""), "parser": status.backend,
                "llm": status.location, "llm_state": status.state, "queue": vars(self.queue.stats).copy(),
                "threshold": self.threshold}

