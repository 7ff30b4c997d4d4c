"""What every event handler of the page needs (the agent, the job runner, the files, the keys), and the binding of
module-level handlers to it in a form Gradio can read."""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from segchat.agent import Agent
from segchat.agent.serving.jobs import JobRunner
from segchat.faces.http import request_owner
from segchat.ui.files import UiFiles


@dataclass(frozen=True)
class UiContext:
    agent: Agent
    files: UiFiles
    jobs: JobRunner | None = None
    keys: list[str] = field(default_factory=list)  # the API keys; empty: no key needed

    def owner(self, request: gr.Request | None) -> str:
        """The browser's owner id: a hash of the API key it presented (the cookie set at /?api_key=...); raises
        UnauthorizedError when a key is needed and none (or a wrong one) came."""
        return request_owner(getattr(request, "request", None), self.keys)


def bind(handler: Callable[..., Any], ctx: UiContext) -> Callable[..., Any]:
    """`handler(ctx, ...)` as an event function of the page. Not functools.partial: Gradio reads a function's type
    hints to pass it the request (`gr.Request`) or the event (`gr.SelectData`), and a partial has none; and it
    streams a generator function's yields, so a generator stays one."""
    signature = inspect.signature(handler)
    parameters = list(signature.parameters.values())[1:]

    if inspect.isgeneratorfunction(handler):
        def event(*args: Any, **kwargs: Any) -> Any:
            yield from handler(ctx, *args, **kwargs)
    else:
        def event(*args: Any, **kwargs: Any) -> Any:
            return handler(ctx, *args, **kwargs)

    functools.update_wrapper(event, handler)
    del event.__wrapped__  # type: ignore[attr-defined]  # the signature below is the one Gradio must see
    event.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    # resolved here, in the handler's module: this module's names could not resolve the handler's annotations
    hints = typing.get_type_hints(handler)
    hints.pop(next(iter(signature.parameters)), None)
    event.__annotations__ = hints
    return event
