"""The agent: one turn of a conversation, from an instruction (and maybe an image) to an explained answer."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import partial

from PIL import Image

from segchat.agent.execute import Execution, execute_plan, offline_generalization
from segchat.agent.explain import display_label, explain
from segchat.agent.found import Found
from segchat.agent.overlay import render_overlay
from segchat.agent.store import SessionStore
from segchat.agent.verify import verify_candidates
from segchat.parser.llm import LlmParser, OfflineParser
from segchat.contracts.errors import BadRequestError
from segchat.contracts.results import AgentResult, ImageSize, InstanceOut, RleMask
from segchat.segmenter.images import ImageSource, load_image
from segchat.segmenter.predictor import Sam3Segmenter
from segchat.segmenter.rle import rle_to_mask


@dataclass
class TurnOutput:
    result: AgentResult
    instances: list[Found]
    image: Image.Image
    session_id: str

    def overlay(self) -> Image.Image:
        language = self.result.reply_language
        labels = {item.id: display_label(item.label, language) for item in self.instances}
        return render_overlay(self.image, self.instances, labels)


def instances_from_result(result: dict) -> list[Found]:
    """Rebuild the agent's instances from a stored result JSON (masks from RLE)."""
    return [Found(label=inst["label"], score=inst["score"], mask=rle_to_mask(inst["mask"]), id=inst["id"],
                  phrase=inst["label"]) for inst in result.get("instances", [])]


def conversation_summary(instruction: str, result: dict) -> str:
    """What the parser needs to know of the previous turn, in a few lines."""
    items = ", ".join(f"#{i['id']} {i['label']} (box {[round(v) for v in i['box']]})" for i in result["instances"][:12])
    plan = result.get("plan", {})
    phrases = [t.get("phrase") for t in plan.get("targets", [])]
    return (f"previous instruction {instruction!r}; its targets {phrases}; "
            f"its result: {len(result['instances'])} instance(s): {items or 'none'}")


class SegchatAgent:
    """Parses, segments, applies the rules, explains and stores. Thread-safe per session."""

    def __init__(self, segmenter: Sam3Segmenter, parser: LlmParser | OfflineParser, store: SessionStore, *,
                 threshold: float = 0.3, mask_threshold: float = 0.5, recovery_rounds: int = 1,
                 max_instruction_chars: int = 2000, max_image_pixels: int = 40_000_000) -> None:
        self.segmenter = segmenter
        self.parser = parser
        self.store = store
        self.threshold = threshold
        self.mask_threshold = mask_threshold
        self.recovery_rounds = recovery_rounds
        self.max_instruction_chars = max_instruction_chars
        self.max_image_pixels = max_image_pixels
        self._session_locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def _session_lock(self, session_id: str) -> threading.Lock:
        with self._locks_guard:
            return self._session_locks.setdefault(session_id, threading.Lock())

    def check_instruction(self, instruction: str) -> str:
        if not isinstance(instruction, str) or not instruction.strip():
            raise BadRequestError("the instruction is empty: say what to segment", code="empty_instruction")
        if len(instruction) > self.max_instruction_chars:
            raise BadRequestError(f"the instruction is {len(instruction)} characters long; the limit is "
                                  f"{self.max_instruction_chars}", code="instruction_too_long")
        return instruction.strip()

    def turn(self, instruction: str, image: ImageSource | None = None, session_id: str | None = None, *,
             owner: str = "", threshold: float | None = None, verify: bool = False) -> TurnOutput:
        start = time.perf_counter()
        instruction = self.check_instruction(instruction)
        pil = load_image(image, max_pixels=self.max_image_pixels) if image is not None else None
        session = self.store.get_or_create(session_id, owner)
        with self._session_lock(session.id):
            return self._turn(instruction, pil, session.id, owner, threshold, verify, start)

    def _turn(self, instruction: str, pil: Image.Image | None, session_id: str, owner: str,
              threshold: float | None, verify: bool, start: float) -> TurnOutput:
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
            image_key = self.store.save_image(pil)
        same_subject = last is not None and last["image_key"] == image_key
        previous = instances_from_result(last["result"]) if same_subject else []
        history = conversation_summary(last["instruction"], last["result"]) if same_subject else None

        parse_start = time.perf_counter()
        outcome = self.parser.parse(instruction, pil, history)
        plan = outcome.plan
        timings["parse"] = (time.perf_counter() - parse_start) * 1000

        embed_start = time.perf_counter()
        embedding, cache_hit = self.segmenter.embed(pil)
        timings["embed"] = (time.perf_counter() - embed_start) * 1000
        find = partial(self.segmenter.find, embedding, threshold=threshold if threshold is not None else self.threshold,
                       mask_threshold=self.mask_threshold)

        if plan.clarify:
            execution = Execution(instances=previous, reports=[], followup="new", previous_count=len(previous))
        else:
            llm = self.parser if isinstance(self.parser, LlmParser) and outcome.fallback_reason is None else None
            generalize = partial(llm.generalize, image=pil) if llm else offline_generalization
            verifier = partial(verify_candidates, llm, pil, instruction) if (llm and verify) else None
            execution = execute_plan(plan, find, embedding.size, previous, generalize=generalize,
                                     recovery_rounds=self.recovery_rounds, verify=verifier)
            timings.update(execution.timings_ms)
        explanation = explain(execution, plan.reply_language, source=plan.source,
                              fallback_reason=outcome.fallback_reason, clarify=plan.clarify)
        render_start = time.perf_counter()
        height, width = embedding.size
        instances_out = [InstanceOut(id=f.id, label=f.label, score=round(f.score, 4),
                                     box=[round(v, 1) for v in f.box], mask=RleMask(**f.crop().rle()))
                         for f in execution.instances]
        timings["serialize"] = (time.perf_counter() - render_start) * 1000
        timings["total"] = (time.perf_counter() - start) * 1000
        result = AgentResult(image=ImageSize(width=width, height=height), instances=instances_out,
                             timings_ms={k: round(v, 2) for k, v in timings.items()}, explanation=explanation,
                             reply_language=plan.reply_language, plan=plan.model_dump(), session=session_id)
        stored = result.model_dump()
        stored["cache_hit"] = cache_hit
        self.store.append_turn(session_id, instruction, image_key, stored)
        return TurnOutput(result=result, instances=execution.instances, image=pil, session_id=session_id)

    def history(self, session_id: str, owner: str = "") -> list[dict]:
        self.store.get_session(session_id, owner)
        return self.store.turns(session_id)

