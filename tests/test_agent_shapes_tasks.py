"""The shapes-world agent tasks with perfect perception: OracleShapesSegmenter (a test double that answers every
phrase with the scene's true instances) isolates the parser and the agent's rules, which must then be right on every
generated task, in English and in Chinese."""

from __future__ import annotations

from dataclasses import dataclass

from segchat.agent.core import SegchatAgent
from segchat.lab.agent_tasks import KINDS, generate_tasks, run_tasks
from segchat.agent.store import SessionStore
from segchat.parser.llm import OfflineParser
from segchat.segmenter.images import image_digest
from segchat.segmenter.instances import Instance
from segchat.segmenter.rle import mask_box
from segchat.lab.world import phrase_matches


@dataclass
class _Embedding:
    key: str
    size: tuple[int, int]


class OracleShapesSegmenter:
    """Test double of Sam3Segmenter: knows each scene's ground truth and returns it for any canonical phrase."""

    source, device, dtype = "oracle", "cpu", "none"

    def __init__(self, scenes) -> None:
        self.scenes = {image_digest(scene.image): scene for scene in scenes}

    def embed(self, image):
        return _Embedding(image_digest(image), (image.height, image.width)), False

    def find(self, embedding, phrases, **_):
        scene = self.scenes[embedding.key]
        return [Instance(phrase, 0.99, mask_box(o.mask), o.mask) for phrase in phrases for o in scene.objects
                if phrase_matches(phrase, o.colour, o.shape)]


def test_every_task_is_right_with_perfect_perception(tmp_path):
    tasks = generate_tasks(seed=11, per_kind=4)
    assert {t.kind for t in tasks} == set(KINDS) and {t.language for t in tasks} == {"en", "zh"}
    agent = SegchatAgent(OracleShapesSegmenter([t.scene for t in tasks]), OfflineParser(), SessionStore(tmp_path))
    report = run_tasks(agent, tasks)
    assert report["accuracy"] == 1.0, report["failures"][:3]


def test_a_wrong_answer_is_caught(tmp_path):
    tasks = [t for t in generate_tasks(seed=5, per_kind=1) if t.kind == "position"]

    class Shifted(OracleShapesSegmenter):
        def find(self, embedding, phrases, **kw):  # sees the scene rotated by 180 degrees
            found = super().find(embedding, phrases, **kw)
            return [Instance(i.phrase, i.score, mask_box(i.mask[::-1, ::-1]), i.mask[::-1, ::-1].copy()) for i in found]

    agent = SegchatAgent(Shifted([t.scene for t in tasks]), OfflineParser(), SessionStore(tmp_path))
    assert run_tasks(agent, tasks)["accuracy"] < 1.0
