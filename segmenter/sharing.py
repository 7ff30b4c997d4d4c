"""Work that every phrase of one image would repeat, done once.

SAM3's DETR encoder starts each layer with self-attention over the image tokens, and only then mixes in the
prompt. In the first layer nothing of the prompt has reached those tokens yet: for a batch of prompts on one image
its self-attention is the same computation in every row. `ImageOnlyAttention` runs it on one row and shares the
result (the same kernel on the same numbers: the outputs are bit-identical; a test holds it to that).
"""

from __future__ import annotations

import contextlib
import contextvars
from typing import Iterator

import torch
from torch import nn

_ONE_IMAGE: contextvars.ContextVar[bool] = contextvars.ContextVar("segchat_rows_share_one_image", default=False)


@contextlib.contextmanager
def rows_share_one_image(shared: bool = True) -> Iterator[None]:
    """Within this block, every batch row the model sees comes from the same image."""
    token = _ONE_IMAGE.set(shared)
    try:
        yield
    finally:
        _ONE_IMAGE.reset(token)


class ImageOnlyAttention(nn.Module):
    """Wraps the first DETR-encoder self-attention: one row's work when all rows show the same image."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, **kwargs):
        if query.shape[0] > 1 and _ONE_IMAGE.get():
            output, weights = self.inner(query=query[:1], key=key[:1], value=value[:1], **kwargs)
            return output.expand(query.shape[0], *output.shape[1:]), weights
        return self.inner(query=query, key=key, value=value, **kwargs)


def share_image_only_work(model) -> None:
    """Install the sharing on a loaded Sam3Model (idempotent)."""
    layer = model.detr_encoder.layers[0]
    if not isinstance(layer.self_attn, ImageOnlyAttention):
        layer.self_attn = ImageOnlyAttention(layer.self_attn)
