"""segchat: natural-language segmentation on SAM3 (shared contracts, settings and the CLI)."""

__version__ = "0.1.0"
