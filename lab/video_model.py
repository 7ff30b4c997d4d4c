"""Building SAM3 video models (detector + memory tracker) from the real config classes, with random weights: a tiny
one for the tests and the memory benchmark, and the full-size `Sam3VideoConfig()` for the cost benchmark. No weights
are downloaded; the tokenizer is made in code (`segchat.lab.model`).
"""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import Sam3TrackerVideoConfig, Sam3VideoConfig, Sam3VideoModel, Sam3VideoProcessor
from transformers.models.sam2_video.video_processing_sam2_video import Sam2VideoVideoProcessor

from segchat.lab.model import byte_level_clip_tokenizer, small_sam3_config


def tiny_sam3_video_config(*, vocab_size: int, image_size: int = 224, **overrides) -> Sam3VideoConfig:
    """A reduced Sam3VideoConfig: a small detector (`small_sam3_config`) and a one-layer memory tracker.

    Two fixed sizes in transformers 5.23 shape it: the memory attention's cross-attention takes 64-channel memories
    (`kv_in_dim=64` is hard-coded), so the memory encoder outputs 64 channels, and object pointers are split into
    memory-sized pieces, so the hidden size is a multiple of 64 larger than it (128). `overrides` set the video
    config's knobs (thresholds, hotstart, memory sizes: those given as `tracker_<name>` go to the tracker config).
    """
    tracker_overrides = {k[len("tracker_"):]: v for k, v in overrides.items() if k.startswith("tracker_")}
    video_overrides = {k: v for k, v in overrides.items() if not k.startswith("tracker_")}
    hidden = 128
    detector = small_sam3_config(vocab_size=vocab_size, hidden=hidden, image_size=image_size)
    grid = image_size // 14
    tracker = Sam3TrackerVideoConfig(
        vision_config=detector.vision_config.to_dict(),
        prompt_encoder_config=dict(hidden_size=hidden, image_size=image_size, patch_size=14),
        mask_decoder_config=dict(hidden_size=hidden, mlp_dim=hidden * 2, num_attention_heads=2, iou_head_hidden_dim=32),
        memory_attention_hidden_size=hidden, memory_attention_num_layers=1,
        memory_attention_feed_forward_hidden_size=hidden * 2, memory_attention_rope_feat_sizes=[grid, grid],
        memory_encoder_hidden_size=hidden, memory_encoder_output_channels=64, mask_downsampler_embed_dim=hidden,
        memory_fuser_embed_dim=hidden, memory_fuser_intermediate_dim=hidden * 2, image_size=image_size,
        **tracker_overrides,
    )
    return Sam3VideoConfig(detector_config=detector.to_dict(), tracker_config=tracker.to_dict(),
                           low_res_mask_size=grid * 4, **video_overrides)


def video_processor_for(image_size: int, tokenizer) -> Sam3VideoProcessor:
    image_processor = processor_for_size(image_size)
    video_processor = Sam2VideoVideoProcessor(size={"height": image_size, "width": image_size})
    return Sam3VideoProcessor(image_processor=image_processor, video_processor=video_processor, tokenizer=tokenizer)


def processor_for_size(image_size: int):
    from transformers import Sam3ImageProcessor

    mask = (image_size // 14) * 4
    return Sam3ImageProcessor(size={"height": image_size, "width": image_size},
                              mask_size={"height": mask, "width": mask})


def build_video_model(config: Sam3VideoConfig, *, seed: int = 0, objects_appear: bool = True) -> Sam3VideoModel:
    """A random-weight Sam3VideoModel. objects_appear: bias the tracker's object-score head up, so that the tracker
    keeps calling its objects present; with plain random weights it calls every object absent (and blanks its mask)
    from the second frame on, and nothing would be tracked past the first frame."""
    torch.manual_seed(seed)
    model = Sam3VideoModel(config).eval()
    if objects_appear:
        with torch.no_grad():
            model.tracker_model.mask_decoder.pred_obj_score_head.proj_out.bias.fill_(10.0)
    return model


def build_video_checkpoint(folder: str | Path, config: Sam3VideoConfig | None = None, *, seed: int = 0,
                           tokenizer=None, objects_appear: bool = True) -> Path:
    """A random-weight Sam3VideoModel saved with save_pretrained (model + processor) into `folder`, as facebook/sam3
    is laid out; `config` None is the tiny one."""
    tokenizer = tokenizer or byte_level_clip_tokenizer()
    if config is None:
        config = tiny_sam3_video_config(vocab_size=len(tokenizer))
    model = build_video_model(config, seed=seed, objects_appear=objects_appear)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    video_processor_for(config.detector_config.vision_config.backbone_config.image_size, tokenizer).save_pretrained(folder)
    return folder
