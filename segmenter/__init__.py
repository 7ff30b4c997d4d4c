"""SAM3 on Hugging Face transformers: embed an image once, find any phrases in that embedding (which stays in the
segmenter; callers hold an `EmbeddingHandle`)."""

from segchat.segmenter.base import EmbeddingHandle, EmbeddingMissingError, Finder, Segmenter
from segchat.segmenter.images import load_image
from segchat.segmenter.instances import Instance
from segchat.segmenter.predictor import ImageEmbedding, Sam3Segmenter

__all__ = ["EmbeddingHandle", "EmbeddingMissingError", "Finder", "ImageEmbedding", "Instance", "Sam3Segmenter",
           "Segmenter", "load_image"]
