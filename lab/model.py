"""Building SAM3 models from the real config classes, with a tokenizer made in code (no download).

Used by the tests (a tiny random SAM3) and by the shapes trainer (a small SAM3 trained from scratch).
"""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import CLIPTokenizer, Sam3Config, Sam3ImageProcessor, Sam3Model, Sam3Processor
from transformers.convert_slow_tokenizer import bytes_to_unicode

TEXT_TOKENS = 32  # SAM3's text length; the processor pads every phrase to it


def byte_level_clip_tokenizer(merges: list[tuple[str, str]] | None = None) -> CLIPTokenizer:
    """A CLIP BPE tokenizer over the 256 byte symbols (each also as an end-of-word symbol).

    With no merges every character is a token; `merges` (pairs of symbols) add whole-word tokens.
    """
    symbols = list(bytes_to_unicode().values())
    vocab: dict[str, int] = {}
    for symbol in symbols:
        vocab[symbol] = len(vocab)
    for symbol in symbols:
        vocab[symbol + "</w>"] = len(vocab)
    merge_list = []
    for left, right in merges or []:
        merged = left + right
        if merged not in vocab:
            vocab[merged] = len(vocab)
        merge_list.append((left, right))
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    return CLIPTokenizer(vocab=vocab, merges=merge_list)


def word_merges(words: list[str]) -> list[tuple[str, str]]:
    """BPE merges that turn each of `words` into one token (left to right, ending in '</w>')."""
    merges: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for word in words:
        pieces = list(word[:-1]) + [word[-1] + "</w>"]
        while len(pieces) > 1:
            pair = (pieces[0], pieces[1])
            if pair not in seen:
                seen.add(pair)
                merges.append(pair)
            pieces = [pieces[0] + pieces[1], *pieces[2:]]
    return merges


def small_sam3_config(
    *, vocab_size: int, hidden: int = 32, vit_hidden: int = 32, vit_layers: int = 2, image_size: int = 224,
    window: int = 8, queries: int = 10, detr_layers: int = 1, text_layers: int = 1, heads: int = 2,
    global_layers: list[int] | None = None,
) -> Sam3Config:
    """A reduced Sam3Config (same classes and wiring as facebook/sam3, fewer and narrower layers).

    `global_layers`: the ViT layers with global attention (default: the last one); the others attend in windows.
    """
    patch = 14
    grid = image_size // patch
    config = Sam3Config(
        vision_config=dict(
            backbone_config=dict(
                model_type="sam3_vit_model", hidden_size=vit_hidden, intermediate_size=vit_hidden * 4,
                num_hidden_layers=vit_layers, num_attention_heads=heads, image_size=image_size, patch_size=patch,
                window_size=window, global_attn_indexes=list(global_layers or [vit_layers - 1]), pretrain_image_size=image_size,
            ),
            fpn_hidden_size=hidden,
            backbone_feature_sizes=[[grid * 4, grid * 4], [grid * 2, grid * 2], [grid, grid]],
        ),
        text_config=dict(
            vocab_size=vocab_size, hidden_size=hidden, intermediate_size=hidden * 4, projection_dim=hidden,
            num_hidden_layers=text_layers, num_attention_heads=heads, max_position_embeddings=TEXT_TOKENS,
        ),
        geometry_encoder_config=dict(hidden_size=hidden, num_layers=1, num_attention_heads=heads,
                                     intermediate_size=hidden * 4),
        detr_encoder_config=dict(hidden_size=hidden, num_layers=detr_layers, num_attention_heads=heads,
                                 intermediate_size=hidden * 4),
        detr_decoder_config=dict(hidden_size=hidden, num_layers=detr_layers, num_queries=queries,
                                 num_attention_heads=heads, intermediate_size=hidden * 4),
        mask_decoder_config=dict(hidden_size=hidden, num_attention_heads=heads),
    )
    # our byte-level tokenizer puts its special tokens last
    config.text_config.bos_token_id = vocab_size - 2
    config.text_config.eos_token_id = vocab_size - 1
    config.text_config.pad_token_id = vocab_size - 1
    return config


def processor_for(config: Sam3Config, tokenizer: CLIPTokenizer) -> Sam3Processor:
    size = config.vision_config.backbone_config.image_size
    mask = (size // 14) * 4
    image_processor = Sam3ImageProcessor(size={"height": size, "width": size}, mask_size={"height": mask, "width": mask})
    return Sam3Processor(image_processor=image_processor, tokenizer=tokenizer)


def save_checkpoint(model: Sam3Model, processor: Sam3Processor, folder: str | Path) -> Path:
    """`save_pretrained` model and processor into one folder, as facebook/sam3 is laid out."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def deepen_backbone(model: Sam3Model, layers: int, global_layers: list[int]) -> Sam3Model:
    """The same model with a deeper ViT: the new layers come after the old ones and start as the identity.

    Their residual branches' output projections are zero, so the deeper model computes exactly what the old one did,
    and training grows the new capacity from there (what the model had learnt is kept).
    """
    import copy

    config = copy.deepcopy(model.config)
    backbone = config.vision_config.backbone_config
    old_layers = backbone.num_hidden_layers
    if layers <= old_layers:
        return model
    backbone.num_hidden_layers = layers
    backbone.global_attn_indexes = list(global_layers)
    deeper = Sam3Model(config)
    missing, unexpected = deeper.load_state_dict(model.state_dict(), strict=False)
    new_prefixes = tuple(f"vision_encoder.backbone.layers.{i}." for i in range(old_layers, layers))
    if unexpected or any(not name.startswith(new_prefixes) for name in missing):
        raise ValueError(f"cannot deepen: unexpected {unexpected[:3]}, missing {missing[:3]}")
    with torch.no_grad():
        for layer in deeper.vision_encoder.backbone.layers[old_layers:]:
            for linear in (layer.attention.o_proj, layer.mlp.fc2):
                linear.weight.zero_()
                linear.bias.zero_()
    return deeper


def enlarge_input(model: Sam3Model, image_size: int) -> Sam3Model:
    """The same model at a larger input size (more patches of the same 14 px, so a small object spans more of them).

    The learnt position embeddings are interpolated to the new patch grid (transformers would tile them, which
    repeats positions); every other weight is kept as it is: the ViT's attention is windowed and its RoPE follows
    the grid, and the FPN and decoders are convolutional or attend over whatever grid they get."""
    import copy

    import torch.nn.functional as F

    config = copy.deepcopy(model.config)
    backbone = config.vision_config.backbone_config
    if image_size == backbone.image_size:
        return model
    old_grid, grid = backbone.image_size // backbone.patch_size, image_size // backbone.patch_size
    backbone.image_size = backbone.pretrain_image_size = image_size
    config.vision_config.backbone_feature_sizes = [[grid * 4, grid * 4], [grid * 2, grid * 2], [grid, grid]]
    larger = Sam3Model(config)
    state = model.state_dict()
    key = "vision_encoder.backbone.embeddings.position_embeddings"
    old = state[key].reshape(1, old_grid, old_grid, -1).permute(0, 3, 1, 2)
    new = F.interpolate(old, size=(grid, grid), mode="bicubic", align_corners=False)
    state[key] = new.permute(0, 2, 3, 1).reshape(1, grid * grid, -1)
    missing, unexpected = larger.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(f"cannot enlarge: missing {missing[:3]}, unexpected {unexpected[:3]}")
    return larger


def widen_backbone(model: Sam3Model, factor: int = 2, noise: float = 0.0, seed: int = 0) -> Sam3Model:
    """The same model with a ViT `factor` times as wide (hidden size, MLP and heads), computing what the old one did.

    Why wider: a 14-px patch holds 588 pixel values and the ViT's first layer keeps `hidden` of them, so a small
    object's outline is lost at the patch embedding, before any attention (shape was linearly readable at 0.75 from
    the detector's level after 864 minutes of training at width 96, colour at 0.98).

    Every unit is copied `factor` times (Net2Net's widening): a copied residual stream keeps LayerNorm's mean and
    variance, a copied head keeps its head size and RoPE, and each weight that reads a copied input is divided by
    `factor`, so every layer's output is its old output, repeated. `noise` (relative to each tensor's spread) breaks
    the copies' symmetry, which training would otherwise never break: copies get identical gradients.
    """
    import copy

    config = copy.deepcopy(model.config)
    backbone = config.vision_config.backbone_config
    backbone.hidden_size *= factor
    backbone.intermediate_size *= factor
    backbone.num_attention_heads *= factor
    wider = Sam3Model(config)
    old_state = model.state_dict()
    modules = dict(wider.named_modules())
    generator = torch.Generator().manual_seed(seed)
    new_state = {}
    for name, target in wider.state_dict().items():
        old = old_state[name]
        if old.shape == target.shape:
            new_state[name] = old
            continue
        new_state[name] = _widened(old, target.shape, factor, _input_dim(modules, name), noise, generator)
    wider.load_state_dict(new_state, strict=True)
    return wider


def _input_dim(modules: dict[str, torch.nn.Module], name: str) -> int | None:
    """Which dimension of a parameter reads the layer's input (divided when the input is copied), or None."""
    module_name, _, kind = name.rpartition(".")
    module = modules.get(module_name)
    if kind != "weight" or module is None:
        return None
    if isinstance(module, torch.nn.ConvTranspose2d):
        return 0  # (in, out, kh, kw)
    if isinstance(module, (torch.nn.Linear, torch.nn.Conv2d)):
        return 1  # (out, in, ...)
    return None  # LayerNorm scales, position embeddings: copied as they are


def _widened(old: torch.Tensor, shape: torch.Size, factor: int, input_dim: int | None, noise: float,
             generator: torch.Generator) -> torch.Tensor:
    tensor = old
    for dim, (before, after) in enumerate(zip(old.shape, shape)):
        if after == before:
            continue
        if after != before * factor:
            raise ValueError(f"cannot widen a dimension of {before} to {after} by {factor}")
        tensor = torch.cat([tensor] * factor, dim=dim)
        if dim == input_dim:
            tensor = tensor / factor
    if noise and tensor.dim() > 1:
        tensor = tensor + torch.randn(tensor.shape, generator=generator) * noise * float(old.std())
    return tensor.contiguous()
