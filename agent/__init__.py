"""The agent: the only place where plans and masks meet. `build_agent(settings)` makes one; its methods are the
one door every face uses (a turn, the tool, detection, history, replay, exports).

The names below are loaded on first use: a process that needs only a light module of this room (the REST face's
payload-decoding workers unpickle `segchat.agent.serving.payloads`) must not pay for torch and the model code
(4 s and ~800 MB a worker)."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from segchat.agent.build import build_agent
    from segchat.agent.core import Agent, Detection
    from segchat.agent.results import ExportFile, Turn

_WHERE = {"build_agent": "segchat.agent.build", "Agent": "segchat.agent.core", "Detection": "segchat.agent.core",
          "ExportFile": "segchat.agent.results", "Turn": "segchat.agent.results"}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'segchat.agent' has no attribute {name!r}")
