"""SAM3 on Hugging Face transformers: embed an image once, find any phrases in that embedding."""

from segmenter.images import load_image
from segmenter.instances import Instance
from segmenter.predictor import ImageEmbedding, Sam3Segmenter

__all__ = ["ImageEmbedding", "Instance", "Sam3Segmenter", "load_image"]
