"""An event's values converted by its components in the event's own worker thread, not one thread hop each.

Gradio preprocesses each input and postprocesses each output of an event in a worker thread of its own, one after
the other, waiting for each on the event loop: a chat turn has six inputs and seven outputs, thirteen hops of
0.1-0.9 ms that cost ~6 ms a turn for ~0.5 ms of work. An event wired with `preprocess=False, postprocess=False`
gets the values as the browser sent them (Gradio has checked them: an upload must lie in its upload folder) and
returns them as the browser reads them; `EventValues.event` runs the same components' `preprocess` and
`postprocess` around the handler, in the one thread Gradio already gave it.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any

from gradio.components import Component
from gradio.data_classes import GradioModel, GradioRootModel
from gradio.utils import is_prop_update


def preprocessed(component: Component, value: Any) -> Any:
    """What Gradio's preprocessing hands a handler for `value` (as sent) of `component`: its data model checked,
    then the component's own `preprocess`."""
    model = getattr(component, "data_model", None)
    if model is not None and value is not None:
        value = model.model_validate(value, context={"validate_meta": True})
    return component.preprocess(value)


def postprocessed(component: Component, value: Any) -> Any:
    """`value` (as a handler returns it) as the browser reads it: the component's own `postprocess`, serialized.
    An update (`gr.skip()`) goes back as it is: Gradio applies updates itself."""
    if is_prop_update(value):
        return value
    result = component.postprocess(value)
    return result.model_dump() if isinstance(result, (GradioModel, GradioRootModel)) else result


class EventValues:
    """The inputs and outputs of one kind of event (for the chat's turns: the box, the chat, the settings in; the
    box, the chat, the state, the table, the downloads, the picker, the box note out)."""

    def __init__(self, inputs: Sequence[Component], outputs: Sequence[Component]) -> None:
        self.inputs = list(inputs)
        self.outputs = list(outputs)

    def event(self, handler: Callable[..., Sequence[Any]]) -> Callable[..., list[Any]]:
        """`handler` as an event function for `preprocess=False, postprocess=False`: it takes the inputs as sent
        (then any `gr.Request` Gradio passes by the handler's type hints, kept here) and returns the outputs as
        the browser reads them."""
        count = len(self.inputs)

        def event(*args: Any, **kwargs: Any) -> list[Any]:
            values = [preprocessed(c, v) for c, v in zip(self.inputs, args[:count], strict=True)]
            answer = handler(*values, *args[count:], **kwargs)
            return [postprocessed(c, v) for c, v in zip(self.outputs, answer, strict=True)]

        functools.update_wrapper(event, handler)
        del event.__wrapped__  # type: ignore[attr-defined]  # Gradio must see the handler's own signature
        event.__signature__ = inspect.signature(handler)  # type: ignore[attr-defined]
        return event
