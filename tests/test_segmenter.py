"""The real segmenter code path on a tiny random SAM3 loaded through the production loader."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from segchat.segmenter.predictor import Sam3Segmenter


def test_batched_find_equals_separate_full_calls(tiny_segmenter, cats_image):
    phrases = ["cat", "remote control", "pink blanket"]
    embedding, _ = tiny_segmenter.embed(cats_image)
    batched = tiny_segmenter.forward_phrases(embedding, phrases)
    processor, model = tiny_segmenter.processor, tiny_segmenter.model
    for i, phrase in enumerate(phrases):
        inputs = processor(images=Image.open(cats_image).convert("RGB"), text=phrase, return_tensors="pt")
        with torch.inference_mode():
            full = model(pixel_values=inputs["pixel_values"], input_ids=inputs["input_ids"],
                         attention_mask=inputs["attention_mask"])
        assert torch.allclose(batched.pred_logits[i], full.pred_logits[0], atol=1e-5)
        assert torch.allclose(batched.pred_masks[i], full.pred_masks[0], atol=1e-4)
        assert torch.allclose(batched.pred_boxes[i], full.pred_boxes[0], atol=1e-5)
        assert torch.allclose(batched.presence_logits[i], full.presence_logits[0], atol=1e-5)


def test_postprocess_matches_transformers_without_nms(tiny_segmenter, cats_image):
    embedding, _ = tiny_segmenter.embed(cats_image)
    outputs = tiny_segmenter.forward_phrases(embedding, ["cat", "dog"])
    ours = Sam3Segmenter.postprocess(outputs, ["cat", "dog"], embedding.size, threshold=0.0, mask_threshold=0.5,
                                     nms_iou=None)
    theirs = tiny_segmenter.processor.post_process_instance_segmentation(
        outputs, threshold=0.0, mask_threshold=0.5, target_sizes=[embedding.size] * 2)
    for b, phrase in enumerate(["cat", "dog"]):
        mine = [inst for inst in ours if inst.phrase == phrase]
        order = torch.argsort(theirs[b]["scores"], descending=True)
        assert len(mine) == len(order)
        for inst, j in zip(mine, order):
            assert inst.score == pytest.approx(float(theirs[b]["scores"][j]), abs=1e-5)
            # the crop-only upsampling gives the same pixels, up to float rounding right at the threshold
            # (a random model puts many probabilities within 1e-7 of 0.5)
            differing = (inst.mask != theirs[b]["masks"][j].numpy().astype(bool)).sum()
            assert differing <= max(2, 0.001 * inst.area)
            assert np.allclose(inst.box, theirs[b]["boxes"][j].clamp(min=0).numpy(), atol=1e-2)


def test_embedding_cache_skips_the_vision_encoder(tiny_checkpoint, cats_image, monkeypatch):
    segmenter = Sam3Segmenter.from_pretrained(str(tiny_checkpoint), device="cpu")
    calls = []
    original = segmenter.model.get_vision_features
    monkeypatch.setattr(segmenter.model, "get_vision_features", lambda **kw: calls.append(1) or original(**kw))
    first = segmenter.detect(cats_image, ["cat"], threshold=0.0)
    second = segmenter.detect(cats_image, ["cat", "remote"], threshold=0.0)
    assert (first.cache_hit, second.cache_hit) == (False, True)
    assert len(calls) == 1 and segmenter.cache.stats.hits == 1
    assert [i.score for i in first.instances] == [i.score for i in second.instances if i.phrase == "cat"]


def test_cache_evicts_under_its_byte_budget(tiny_checkpoint):
    probe = Sam3Segmenter.from_pretrained(str(tiny_checkpoint), device="cpu")
    one, _ = probe.embed(Image.new("RGB", (50, 40), (10, 20, 30)))
    segmenter = Sam3Segmenter.from_pretrained(str(tiny_checkpoint), device="cpu", cache_bytes=int(one.nbytes * 2.5))
    images = [Image.new("RGB", (50, 40), (i, 20, 30)) for i in range(4)]
    for image in images:
        segmenter.embed(image)
    assert len(segmenter.cache) == 2 and segmenter.cache.used_bytes <= segmenter.cache.budget_bytes
    assert segmenter.embed(images[3])[1] is True
    assert segmenter.embed(images[0])[1] is False


def test_detect_returns_masks_at_original_size(tiny_segmenter):
    image = Image.fromarray(np.random.default_rng(0).integers(0, 255, (123, 77, 3), dtype=np.uint8))
    detection = tiny_segmenter.detect(image, ["thing"], threshold=0.0, nms_iou=None)
    assert detection.size == (123, 77)
    assert len(detection.instances) == tiny_segmenter.model.config.detr_decoder_config.num_queries
    for inst in detection.instances:
        assert inst.mask.shape == (123, 77) and inst.mask.dtype == bool
        x0, y0, x1, y1 = inst.box
        assert 0 <= x0 <= x1 <= 77 and 0 <= y0 <= y1 <= 123
    assert {"embed", "decode", "postprocess", "total"} <= set(detection.timings_ms)


def test_nms_removes_near_duplicates(tiny_segmenter, cats_image):
    all_queries = tiny_segmenter.detect(cats_image, ["cat"], threshold=0.0, nms_iou=None).instances
    deduplicated = tiny_segmenter.detect(cats_image, ["cat"], threshold=0.0, nms_iou=0.5).instances
    assert 0 < len(deduplicated) <= len(all_queries)
    for i, a in enumerate(deduplicated):
        for b in deduplicated[i + 1:]:
            union = (a.mask | b.mask).sum()
            # at full resolution the IoU can drift a little from the low-resolution one used for NMS
            assert union == 0 or (a.mask & b.mask).sum() / union <= 0.6


def test_long_phrases_are_truncated_not_crashing(tiny_segmenter, cats_image):
    detection = tiny_segmenter.detect(cats_image, ["a very long phrase " * 10], threshold=0.0)
    assert detection.instances


def test_bad_checkpoint_gives_our_error(tmp_path):
    from segchat.contracts.errors import ModelLoadError

    with pytest.raises(ModelLoadError, match="local folder"):
        Sam3Segmenter.from_pretrained(str(tmp_path))
