"""The shapes-world agent tasks with perfect perception: OracleShapesSegmenter (a test double that answers every
phrase with the scene's true instances) isolates the parser and the agent's rules, which must then be right on every
generated task, in English and in Chinese."""

from __future__ import annotations

from segchat.agent import build_agent
from segchat.contracts.settings import Settings
from segchat.lab.agent_tasks import KINDS, generate_tasks, run_tasks
from segchat.lab.world import phrase_matches
from segchat.segmenter.base import EmbeddingHandle
from segchat.segmenter.images import image_digest
from segchat.segmenter.instances import Instance
from segchat.segmenter.masks import CroppedMask


class OracleShapesSegmenter:
    """Test double of the `Segmenter` protocol (Sam3Segmenter): knows each scene's ground truth and returns it for any
    canonical phrase."""

    source, device, dtype, default_threshold = "oracle", "cpu", "none", 0.5

    def __init__(self, scenes) -> None:
        self.scenes = {image_digest(scene.image): scene for scene in scenes}

    def embed(self, image, *, cache=True) -> tuple[EmbeddingHandle, bool]:
        return EmbeddingHandle(image_digest(image), (image.height, image.width)), False

    def find_each(self, handle, prompts, *, image=None, threshold=None, mask_threshold=0.5, nms_iou=0.7,
                  timings=None) -> list[list[Instance]]:
        scene = self.scenes[handle.key]
        return [[Instance(p.text, 0.99, CroppedMask.from_full(o.mask)) for o in scene.objects
                 if o.mask.any() and self._matches(p, o, scene)] for p in prompts]

    @staticmethod
    def _matches(prompt, obj, scene) -> bool:
        """A phrase names colour and shape; a positive box exemplar stands for the (colour, shape) of the object whose
        box it is (the shapes world's "more like this")."""
        if not prompt.exemplars:
            return phrase_matches(prompt.text, obj.colour, obj.shape)
        kinds = set()
        for exemplar in prompt.exemplars:
            x0, y0, x1, y1 = exemplar.box
            inside = [o for o in scene.objects if o.mask[int(y0):int(y1), int(x0):int(x1)].sum() > 0.5 * o.mask.sum()]
            if exemplar.positive and inside:
                kinds.add(max((o.colour, o.shape) for o in inside[:1]))
        return (obj.colour, obj.shape) in kinds


def oracle_agent(segmenter, data_dir):
    return build_agent(Settings(offline=True, data_dir=data_dir), segmenter=segmenter)


def test_every_task_is_right_with_perfect_perception(tmp_path):
    tasks = generate_tasks(seed=11, per_kind=4)
    assert {t.kind for t in tasks} == set(KINDS) and {t.language for t in tasks} == {"en", "zh"}
    agent = oracle_agent(OracleShapesSegmenter([t.scene for t in tasks]), tmp_path)
    report = run_tasks(agent, tasks)
    assert report["accuracy"] == 1.0, report["failures"][:3]


def test_more_like_n_is_right_with_perfect_perception(tmp_path):
    """"all the shapes" then "more like #N" / "找出和N号一样的": N is found in the first answer, its box becomes the
    exemplar, and the answer is the example's (colour, shape) group."""
    tasks = generate_tasks(seed=13, per_kind=4, kinds=["more_like"])
    agent = oracle_agent(OracleShapesSegmenter([t.scene for t in tasks]), tmp_path)
    report = run_tasks(agent, tasks)
    assert report["tasks"] == 8 and report["accuracy"] == 1.0, report["failures"][:3]


def test_a_wrong_answer_is_caught(tmp_path):
    tasks = [t for t in generate_tasks(seed=5, per_kind=1) if t.kind == "position"]

    class Shifted(OracleShapesSegmenter):
        def find_each(self, handle, prompts, *, image=None, threshold=None, mask_threshold=0.5, nms_iou=0.7,
                      timings=None):  # sees the scene rotated by 180 degrees
            return [[i.but(mask=CroppedMask.from_full(i.mask.full()[::-1, ::-1].copy())) for i in found]
                    for found in super().find_each(handle, prompts)]

    agent = oracle_agent(Shifted([t.scene for t in tasks]), tmp_path)
    assert run_tasks(agent, tasks)["accuracy"] < 1.0
