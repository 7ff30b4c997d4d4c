"""The shapes world (../shared/SHAPES.md): a renderer, a trainer and an evaluator for a small SAM3."""
