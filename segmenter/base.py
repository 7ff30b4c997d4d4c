"""What the agent, the trackers and the datasets need of a segmenter: two steps, `embed` an image, then `find_each`
prompts in it, and the handle that names an embedding between the two.

The handle is a few bytes, not the embedding: the embedding (about 100 MB for the full SAM3) stays in the segmenter
that made it, so the segmenter can live in another process (a Ray Serve replica) and the caller still only holds a
name. A segmenter that no longer holds the embedding makes it again from `image`, which is why `find_each` takes it.

`Sam3Segmenter` implements `Segmenter`; `CrossRequestBatcher` implements `Finder` (it stands in for `find_each`
only); every test double implements the one it replaces, with the same parameter names and kinds
(tests/test_segmenter_protocol.py checks them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from segchat.segmenter.images import ImageSource
from segchat.segmenter.instances import Instance
from segchat.segmenter.prompts import Prompt

DEFAULT_MASK_THRESHOLD = 0.5
DEFAULT_NMS_IOU = 0.7


@dataclass(frozen=True)
class EmbeddingHandle:
    """Names one image's embedding, which stays where it was made.

    key: the content digest of the image's RGB pixels (`segchat.segmenter.images.image_digest`): two equal images
        have one key, whichever process embedded them.
    size: (height, width) of the original image, the size every mask comes back at.
    nbytes: what the embedding holds where it lives (0 where the segmenter does not say).
    """

    key: str
    size: tuple[int, int]
    nbytes: int = 0


class EmbeddingMissingError(LookupError):
    """`find_each` was given a handle whose embedding its segmenter no longer holds, and no image to make it again."""


@dataclass(frozen=True)
class FindKnobs:
    """The settings of one find, as `find_each` takes them (see there)."""

    threshold: float | None = None
    mask_threshold: float = DEFAULT_MASK_THRESHOLD
    nms_iou: float | None = DEFAULT_NMS_IOU


@runtime_checkable
class Finder(Protocol):
    """The second step alone: what `CrossRequestBatcher` stands in for.

    The finders of this package subclass it and write `_find_prompts` only: `find_each` is written once, here, and
    hands them the prompts as `Prompt`s (never none) with the knobs in one value. A test double that implements
    `find_each` itself is a `Finder` as well (structurally)."""

    def find_each(
        self,
        handle: EmbeddingHandle,
        prompts: Sequence[str | Prompt],
        *,
        image: ImageSource | None = None,
        threshold: float | None = None,
        mask_threshold: float = DEFAULT_MASK_THRESHOLD,
        nms_iou: float | None = DEFAULT_NMS_IOU,
        timings: dict[str, float] | None = None,
    ) -> list[list[Instance]]:
        """Each prompt's instances (in prompt order, each by descending score) in the embedding `handle` names.

        image: the image the handle was made from, to embed again if the embedding is no longer held (else
            `EmbeddingMissingError`). threshold: None is the checkpoint's `default_threshold`. nms_iou: None turns
            the per-prompt mask NMS off. timings: stage times in ms are added to it.
        """
        if not prompts:
            return []
        as_prompts = [p if isinstance(p, Prompt) else Prompt(p) for p in prompts]
        knobs = FindKnobs(threshold, mask_threshold, nms_iou)
        # `_find_prompts` is no protocol member (a double need not have it): every subclass in this package writes it
        return self._find_prompts(handle, as_prompts, image=image, knobs=knobs,  # type: ignore[attr-defined]
                                  timings=timings)


@runtime_checkable
class Segmenter(Finder, Protocol):
    """Both steps, and what readiness and the trackers read about the checkpoint."""

    source: str  # the checkpoint: a folder or a hub id
    device: object  # a torch.device, or its name: readiness prints it
    dtype: object  # a torch.dtype, or its name
    default_threshold: float  # the checkpoint's calibrated score threshold

    def embed(self, image: ImageSource, *, cache: bool = True) -> tuple[EmbeddingHandle, bool]:
        """Run the vision encoder on `image` once (or find its embedding already held). Returns (handle, whether
        the embedding was already held). cache=False: keep it only briefly, outside the cache (a video frame is
        seen once and must not evict the chat's images)."""
        ...
