"""The segmenter protocol (segchat.segmenter.base): the production segmenter, the cross-request batcher where it stands
in, and every test double in tests/ and lab/ have its signatures; and the embedding stays in the segmenter that made
it, while callers hold a small handle."""

from __future__ import annotations

import ast
import importlib
import inspect
import pickle
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from segchat.segmenter.base import EmbeddingHandle, EmbeddingMissingError, Finder, Segmenter
from segchat.segmenter.batching import CrossRequestBatcher
from segchat.segmenter.predictor import Sam3Segmenter

REPO = Path(__file__).resolve().parent.parent
PROTOCOL = {"embed": Segmenter.embed, "find_each": Finder.find_each}
Shape = list[tuple[str, str, bool]]  # (name, kind, has a default) of each parameter, `self` included


def shape_of(function) -> Shape:
    return [(p.name, p.kind.name, p.default is not inspect.Parameter.empty)
            for p in inspect.signature(function).parameters.values()]


def shape_of_ast(arguments: ast.arguments) -> Shape:
    """The same shape from source, for doubles that cannot be imported (a class made inside a test)."""
    positional = [*arguments.posonlyargs, *arguments.args]
    first_default = len(positional) - len(arguments.defaults)
    shape = [(a.arg, "POSITIONAL_ONLY" if a in arguments.posonlyargs else "POSITIONAL_OR_KEYWORD", i >= first_default)
             for i, a in enumerate(positional)]
    if arguments.vararg:
        shape.append((arguments.vararg.arg, "VAR_POSITIONAL", False))
    shape += [(a.arg, "KEYWORD_ONLY", d is not None) for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults)]
    if arguments.kwarg:
        shape.append((arguments.kwarg.arg, "VAR_KEYWORD", False))
    return shape


def segmenter_doubles() -> list[tuple[str, str, dict[str, Shape]]]:
    """(file, class, {protocol method: its shape}) of every class in tests/ and lab/, at any depth, that defines
    `embed` or `find_each`: what stands in for a segmenter there."""
    found = []
    for path in sorted([*(REPO / "tests").glob("*.py"), *(REPO / "lab").rglob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                methods = {item.name: shape_of_ast(item.args) for item in node.body
                           if isinstance(item, ast.FunctionDef) and item.name in PROTOCOL}
                if methods:
                    found.append((str(path.relative_to(REPO)), node.name, methods))
    return found


DOUBLES = segmenter_doubles()


def test_the_scan_finds_the_doubles_it_must_check():
    names = {name for _, name, _ in DOUBLES}
    assert {"PerfectSegmenterDouble", "OracleShapesSegmenter"} <= names, names


def _id(where: str, name: str) -> str:
    return f"{Path(where).stem}.{name}"


@pytest.mark.parametrize("where,name,methods", DOUBLES, ids=[_id(w, n) for w, n, _ in DOUBLES])
def test_every_double_has_the_protocols_signatures(where, name, methods):
    for method, shape in methods.items():
        assert shape == shape_of(PROTOCOL[method]), f"{where}: {name}.{method} drifted from the protocol"


@pytest.mark.parametrize("where,name,methods", [d for d in DOUBLES if "embed" in d[2]],
                         ids=[_id(w, n) for w, n, m in DOUBLES if "embed" in m])
def test_a_double_of_the_segmenter_is_a_whole_segmenter(where, name, methods):
    """A class that embeds stands in for the whole segmenter: both steps and what readiness reads."""
    dotted = where.removesuffix(".py").replace("/", ".")
    module = importlib.import_module("segchat." + dotted if dotted.startswith("lab.") else dotted)
    double = getattr(module, name, None)
    assert double is not None, f"{where}: {name} is not at the module's top level, so it cannot be checked whole"
    for member in ("embed", "find_each", "source", "device", "dtype", "default_threshold"):
        assert hasattr(double, member), f"{where}: {name} has no {member}"


def test_the_production_segmenter_and_the_batcher_have_the_protocols_signatures(tiny_segmenter):
    for method, protocol in PROTOCOL.items():
        assert shape_of(getattr(Sam3Segmenter, method)) == shape_of(protocol), method
    # the flat convenience passes its keywords on to find_each, which checks them: the same keywords, one signature
    last = list(inspect.signature(Sam3Segmenter.find).parameters.values())[-1]
    assert last.kind is inspect.Parameter.VAR_KEYWORD
    handle, _ = tiny_segmenter.embed(_picture(3))
    def seen(instances):
        return [(i.phrase, round(i.score, 6), i.box, i.area) for i in instances]

    assert seen(tiny_segmenter.find(handle, ["a", "b"], threshold=0.0, nms_iou=None)) == seen(
        instance for group in tiny_segmenter.find_each(handle, ["a", "b"], threshold=0.0, nms_iou=None)
        for instance in group)
    with pytest.raises(TypeError):
        tiny_segmenter.find(handle, ["a"], no_such_option=1)
    assert shape_of(CrossRequestBatcher.find_each) == shape_of(Finder.find_each)
    assert isinstance(tiny_segmenter, Segmenter) and isinstance(CrossRequestBatcher(tiny_segmenter), Finder)


def _picture(seed: int) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 255, (48, 64, 3), dtype=np.uint8))


def _signature(groups) -> list[list[tuple]]:
    return [[(i.phrase, round(i.score, 5), i.box, i.area) for i in group] for group in groups]


def _count_encoder_runs(segmenter, monkeypatch) -> list[int]:
    runs: list[int] = []
    original = segmenter.model.get_vision_features
    monkeypatch.setattr(segmenter.model, "get_vision_features", lambda **kw: runs.append(1) or original(**kw))
    return runs


def test_the_caller_holds_a_small_handle_and_the_embedding_stays_in_the_segmenter(tiny_checkpoint):
    segmenter = Sam3Segmenter.from_pretrained(str(tiny_checkpoint), device="cpu", dtype="float32")
    picture = _picture(1)
    handle, hit = segmenter.embed(picture)
    assert type(handle) is EmbeddingHandle and not hit and handle.size == (48, 64)
    assert len(pickle.dumps(handle)) < 512 < handle.nbytes  # what crosses a process boundary; what stays
    assert segmenter.embedding_of(handle) is segmenter.cache.peek(handle.key)
    found = segmenter.find_each(handle, ["cat", "dog"], threshold=0.0)
    assert _signature(found) == _signature([segmenter.detect(picture, [p], threshold=0.0).instances
                                            for p in ["cat", "dog"]])


def test_a_handle_is_found_again_from_its_image_where_the_embedding_is_gone(tiny_checkpoint, monkeypatch):
    """Evicted here, or asked of another segmenter (the next issue's replicas): the image makes it again; without
    the image the error says what is missing; an image that is not the handle's is refused."""
    probe = Sam3Segmenter.from_pretrained(str(tiny_checkpoint), device="cpu", dtype="float32")
    first = _picture(2)
    handle, _ = probe.embed(first)
    expected = _signature(probe.find_each(handle, ["cat"], threshold=0.0))
    segmenter = Sam3Segmenter.from_pretrained(str(tiny_checkpoint), device="cpu", dtype="float32",
                                              cache_bytes=int(handle.nbytes * 1.5))
    runs = _count_encoder_runs(segmenter, monkeypatch)
    assert segmenter.embed(first)[0] == handle  # the same name in every process: the image's content
    segmenter.embed(_picture(3))  # evicts the first
    assert handle.key not in segmenter.cache and len(runs) == 2
    with pytest.raises(EmbeddingMissingError, match="pass the image"):
        segmenter.find_each(handle, ["cat"], threshold=0.0)
    assert _signature(segmenter.find_each(handle, ["cat"], image=first, threshold=0.0)) == expected
    assert len(runs) == 3
    with pytest.raises(ValueError, match="not the one the handle names"):
        Sam3Segmenter.from_pretrained(str(tiny_checkpoint), device="cpu").find_each(handle, ["cat"],
                                                                                    image=_picture(4))


def test_an_uncached_frame_is_found_without_a_second_encoder_run_and_stays_out_of_the_cache(tiny_checkpoint,
                                                                                           monkeypatch):
    segmenter = Sam3Segmenter.from_pretrained(str(tiny_checkpoint), device="cpu", dtype="float32")
    runs = _count_encoder_runs(segmenter, monkeypatch)
    for seed in (10, 11, 12):  # as the detect tracker goes: embed a frame, find in it, next frame
        handle, _ = segmenter.embed(_picture(seed), cache=False)
        assert segmenter.find_each(handle, ["cat"], threshold=0.0) is not None  # no image given: it is held
    two = [segmenter.embed(_picture(seed), cache=False)[0] for seed in (13, 14)]  # two requests in flight
    for handle in two:
        segmenter.find_each(handle, ["cat"], threshold=0.0)
    assert len(runs) == 5 and len(segmenter.cache) == 0
    # an image too large for the whole budget is held the same way: the find right after its embed needs no image
    tiny_budget = Sam3Segmenter.from_pretrained(str(tiny_checkpoint), device="cpu", dtype="float32", cache_bytes=0)
    handle, _ = tiny_budget.embed(_picture(20))
    assert tiny_budget.find_each(handle, ["cat"], threshold=0.0) is not None and len(tiny_budget.cache) == 0
