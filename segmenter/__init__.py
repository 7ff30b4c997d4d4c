"""SAM3 on Hugging Face transformers: embed an image once, find any phrases in that embedding."""

from segchat.segmenter.images import load_image
from segchat.segmenter.instances import Instance
from segchat.segmenter.predictor import ImageEmbedding, Sam3Segmenter

__all__ = ["ImageEmbedding", "Instance", "Sam3Segmenter", "load_image"]
