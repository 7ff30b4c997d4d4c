"""The agent: the only place where plans and masks meet. `build_agent(settings)` makes one; its methods are the
one door every face uses (a turn, the tool, detection, history, replay, exports)."""

from segchat.agent.build import build_agent
from segchat.agent.core import Agent, Detection
from segchat.agent.results import ExportFile, Turn

__all__ = ["Agent", "Detection", "ExportFile", "Turn", "build_agent"]
