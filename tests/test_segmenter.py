"""The real segmenter code path on a tiny random SAM3 loaded through the production loader."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from segchat.segmenter.predictor import Sam3Segmenter, exemplar_tensors
from segchat.segmenter.prompts import Exemplar, Prompt


def test_batched_find_equals_separate_full_calls(tiny_segmenter, cats_image):
    phrases = ["cat", "remote control", "pink blanket"]
    embedding = tiny_segmenter.embedding_of(tiny_segmenter.embed(cats_image)[0])
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
    embedding = tiny_segmenter.embedding_of(tiny_segmenter.embed(cats_image)[0])
    outputs = tiny_segmenter.forward_phrases(embedding, ["cat", "dog"])
    ours = Sam3Segmenter.postprocess(outputs, ["cat", "dog"], embedding.size, threshold=0.0, mask_threshold=0.5,
                                     nms_iou=None)
    theirs = tiny_segmenter.processor.post_process_instance_segmentation(
        outputs, threshold=0.0, mask_threshold=0.5, target_sizes=[embedding.size] * 2)
    for b, phrase in enumerate(["cat", "dog"]):
        mine = ours[b]
        assert all(inst.phrase == phrase for inst in mine)
        # an instance is a mask with pixels: transformers also returns the queries whose masks are empty
        order = [j for j in torch.argsort(theirs[b]["scores"], descending=True).tolist() if theirs[b]["masks"][j].any()]
        assert len(mine) == len(order) > 0
        for inst, j in zip(mine, order):
            assert inst.score == pytest.approx(float(theirs[b]["scores"][j]), abs=1e-5)
            # the crop-only upsampling gives the same pixels, up to float rounding right at the threshold
            # (a random model puts many probabilities within 1e-7 of 0.5)
            differing = (inst.mask.full() != theirs[b]["masks"][j].numpy().astype(bool)).sum()
            assert differing <= max(2, 0.001 * inst.area)
            assert np.allclose(inst.model_box, theirs[b]["boxes"][j].clamp(min=0).numpy(), atol=1e-2)


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
    assert 0 < len(detection.instances) <= tiny_segmenter.model.config.detr_decoder_config.num_queries
    for inst in detection.instances:
        full = inst.mask.full()
        assert full.shape == (123, 77) and full.dtype == bool and inst.area == full.sum() > 0
        x0, y0, x1, y1 = inst.box
        assert 0 <= x0 < x1 <= 77 and 0 <= y0 < y1 <= 123
    assert {"embed", "decode", "postprocess", "total"} <= set(detection.timings_ms)


def test_nms_removes_near_duplicates(tiny_segmenter, cats_image):
    all_queries = tiny_segmenter.detect(cats_image, ["cat"], threshold=0.0, nms_iou=None).instances
    deduplicated = tiny_segmenter.detect(cats_image, ["cat"], threshold=0.0, nms_iou=0.5).instances
    assert 0 < len(deduplicated) <= len(all_queries)
    for i, a in enumerate(deduplicated):
        for b in deduplicated[i + 1:]:
            # at full resolution the IoU can drift a little from the low-resolution one used for NMS
            assert a.mask.iou(b.mask) <= 0.6


def test_long_phrases_are_truncated_not_crashing(tiny_segmenter, cats_image):
    detection = tiny_segmenter.detect(cats_image, ["a very long phrase " * 10], threshold=0.0)
    assert detection.instances


def test_bad_checkpoint_gives_our_error(tmp_path):
    from segchat.contracts.errors import ModelLoadError

    with pytest.raises(ModelLoadError, match="local folder"):
        Sam3Segmenter.from_pretrained(str(tmp_path))


def test_exemplar_boxes_reach_the_model_as_the_processor_normalises_them(tiny_segmenter, cats_image):
    """Several prompts on one image: every prompt's boxes are normalised (the processor, given one image, normalises
    only the first prompt's; called one prompt at a time it is right, and that is the reference)."""
    image = Image.open(cats_image).convert("RGB")
    prompts = [Prompt("cat", (Exemplar((17.5, 54.4, 318.8, 469.4)),)),
               Prompt("", (Exemplar((40, 70, 175, 120)), Exemplar((300, 20, 630, 380), positive=False))),
               Prompt("remote", (Exemplar((333, 72, 368, 190), positive=False),))]
    boxes, labels = exemplar_tensors(prompts, (image.height, image.width))
    for row, prompt in enumerate(prompts):
        reference = tiny_segmenter.processor(
            images=image, text=prompt.model_text, input_boxes=[[list(e.box) for e in prompt.exemplars]],
            input_boxes_labels=[[int(e.positive) for e in prompt.exemplars]], return_tensors="pt")
        k = len(prompt.exemplars)
        assert torch.allclose(boxes[row, :k], reference["input_boxes"][0], atol=1e-6)
        assert labels[row, :k].tolist() == reference["input_boxes_labels"][0].tolist()
        assert (labels[row, k:] == -10).all()  # padding the model masks out
    # and the processor on all three at once leaves the later prompts' boxes in pixels: why we do it ourselves
    together = tiny_segmenter.processor(images=image, text=[p.model_text for p in prompts],
                                        input_boxes=[[list(e.box) for e in p.exemplars] for p in prompts],
                                        input_boxes_labels=[[int(e.positive) for e in p.exemplars] for p in prompts],
                                        return_tensors="pt")
    assert together["input_boxes"][1, 0, 0] > 1.0


def test_exemplar_prompts_equal_full_calls_and_padding_changes_nothing(tiny_segmenter, cats_image):
    image = Image.open(cats_image).convert("RGB")
    one = Prompt("cat", (Exemplar((17.5, 54.4, 318.8, 469.4)),))
    two = Prompt("", (Exemplar((40, 70, 175, 120)), Exemplar((300, 20, 630, 380), positive=False)))
    embedding = tiny_segmenter.embedding_of(tiny_segmenter.embed(image)[0])
    batched = tiny_segmenter.forward_prompts(embedding, [one, two])  # `one` is padded to two boxes here
    for row, prompt in enumerate([one, two]):
        inputs = tiny_segmenter.processor(
            images=image, text=prompt.model_text, input_boxes=[[list(e.box) for e in prompt.exemplars]],
            input_boxes_labels=[[int(e.positive) for e in prompt.exemplars]], return_tensors="pt")
        with torch.inference_mode():
            full = tiny_segmenter.model(**inputs)
        assert torch.allclose(batched.pred_logits[row], full.pred_logits[0], atol=1e-4)
        assert torch.allclose(batched.pred_masks[row], full.pred_masks[0], atol=1e-3)


def test_phrases_and_box_prompts_are_found_in_their_own_batches(tiny_segmenter, cats_image):
    image = Image.open(cats_image).convert("RGB")
    embedding, _ = tiny_segmenter.embed(image)
    mixed = tiny_segmenter.find_each(embedding, ["cat", Prompt("", (Exemplar((40, 70, 175, 120)),)), "remote"],
                                     threshold=0.0, nms_iou=None)
    alone = tiny_segmenter.find_each(embedding, ["cat", "remote"], threshold=0.0, nms_iou=None)
    assert [[i.score for i in g] for g in (mixed[0], mixed[2])] == [[i.score for i in g] for g in alone]
    assert mixed[1] and all(i.phrase == "exemplar" for i in mixed[1])


def test_the_cached_entry_is_only_what_one_more_image_holds(tiny_segmenter, cats_image):
    """Position encodings depend on the input size alone: one copy per size, not counted per image; the coarsest
    FPN level is never read by the image detector, so it is not kept. Outputs stay bit-identical."""
    image = Image.open(cats_image).convert("RGB")
    other = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    tiny_segmenter.cache.clear()
    a = tiny_segmenter.embedding_of(tiny_segmenter.embed(image)[0])
    b = tiny_segmenter.embedding_of(tiny_segmenter.embed(other)[0])
    assert all(x is y for x, y in zip(a.fpn_position_encoding, b.fpn_position_encoding))  # shared, not copied
    assert a.nbytes == sum(t.numel() * t.element_size() for t in a.fpn_hidden_states)
    pixels = tiny_segmenter.processor.image_processor(images=image, return_tensors="pt")["pixel_values"]
    with torch.inference_mode():
        full = tiny_segmenter.model.get_vision_features(pixel_values=pixels)
        tokens = tiny_segmenter.tokenize(["cat", "remote", "blanket"])
        reference = tiny_segmenter.model(vision_embeds=type(full)(
            fpn_hidden_states=tuple(t.expand(3, *t.shape[1:]) for t in full.fpn_hidden_states),
            fpn_position_encoding=tuple(t.expand(3, *t.shape[1:]) for t in full.fpn_position_encoding)), **tokens)
    everything = sum(t.numel() * t.element_size() for t in (*full.fpn_hidden_states, *full.fpn_position_encoding))
    assert a.nbytes < 0.5 * everything  # what the old accounting counted
    ours = tiny_segmenter.forward_phrases(a, ["cat", "remote", "blanket"])
    for name in ("pred_logits", "pred_boxes", "pred_masks", "presence_logits", "semantic_seg"):
        assert torch.equal(getattr(ours, name), getattr(reference, name)), name


def test_shared_first_layer_attention_and_chunked_batches_change_no_output(tiny_checkpoint, cats_image):
    from segchat.segmenter.sharing import ImageOnlyAttention

    phrases = ["cat", "remote control", "pink blanket", "couch", "dog", "person", "tv", "cup", "bed"]
    whole = Sam3Segmenter.from_pretrained(str(tiny_checkpoint), device="cpu", prompt_batch=64)
    chunked = Sam3Segmenter.from_pretrained(str(tiny_checkpoint), device="cpu", prompt_batch=2)
    assert isinstance(whole.model.detr_encoder.layers[0].self_attn, ImageOnlyAttention)
    embedding = whole.embedding_of(whole.embed(cats_image)[0])
    shared = whole.forward_phrases(embedding, phrases)
    plain = whole.model.detr_encoder.layers[0].self_attn.inner
    whole.model.detr_encoder.layers[0].self_attn = plain  # every row computed for itself
    try:
        unshared = whole.forward_phrases(embedding, phrases)
    finally:
        whole.model.detr_encoder.layers[0].self_attn = ImageOnlyAttention(plain)
    for name in ("pred_logits", "pred_boxes", "pred_masks", "presence_logits"):
        assert torch.equal(getattr(shared, name), getattr(unshared, name)), name
    big = whole.find_each(embedding.handle, phrases, threshold=0.0)
    small = chunked.find_each(chunked.embed(cats_image)[0], phrases, threshold=0.0)
    assert [[(i.score, i.box) for i in g] for g in big] == [[(i.score, i.box) for i in g] for g in small]
