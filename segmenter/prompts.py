"""What SAM3 is asked: a noun phrase, box exemplars, or both."""

from __future__ import annotations

from dataclasses import dataclass

# the text transformers' Sam3Processor sends with boxes that have no phrase of their own
BOX_ONLY_TEXT = "visual"
# the label an answer gives what a box alone found
EXEMPLAR_LABEL = "exemplar"


@dataclass(frozen=True)
class Exemplar:
    """A box around one object as a visual prompt: `positive` finds more like it, negative removes its kind.

    box: (x0, y0, x1, y1) in pixels of the original image.
    """

    box: tuple[float, float, float, float]
    positive: bool = True


@dataclass(frozen=True)
class Prompt:
    """One query to SAM3: `text` (may be empty when exemplars are given) and its exemplar boxes."""

    text: str
    exemplars: tuple[Exemplar, ...] = ()

    @property
    def model_text(self) -> str:
        return self.text.strip().lower() or BOX_ONLY_TEXT

    @property
    def label(self) -> str:
        """What the instances this prompt finds are called before an answer names them."""
        return self.text.strip() or EXEMPLAR_LABEL
