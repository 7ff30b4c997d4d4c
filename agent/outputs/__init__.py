"""What the agent makes for a person from an answer: overlays, cut-outs and layered files, exports, video out."""
