"""The same tools over MCP (official SDK, streamable HTTP): `segment_image` (the overlay image plus the result JSON)
and `track_video` (progress notifications, then the video result JSON).

The tools' signatures are generated from `SegmentImageParameters` and `TrackVideoParameters`, so MCP's input
schemas are the one definition's. Both tools are coroutines that only wait: a big image or video is decoded in the
payload decoder's worker processes, the agent runs in a thread, so a call never holds the server's event loop.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.utilities.types import Image as McpImage
from pydantic import BaseModel

from segchat.agent import Agent, Turn
from segchat.agent.outputs.export import png_bytes
from segchat.contracts.errors import SegchatError
from segchat.contracts.results import VideoResult
from segchat.contracts.settings import Settings
from segchat.contracts.tool import (TOOL_NAME, TRACK_TOOL_NAME, SegmentImageParameters, TrackVideoParameters,
                                    tool_description, track_tool_description)
from segchat.faces.http import PayloadDecoder, request_owner

Progress = Callable[[int, int | None], None]


def signature_of(model: type[BaseModel], returns: type) -> inspect.Signature:
    """A keyword-only signature with each field's type, default and description (what the SDK reads)."""
    parameters = []
    for name, field in model.model_fields.items():
        # a default made by a factory stays in the field (pydantic refuses it twice)
        default = field.default if not field.is_required() and field.default_factory is None else inspect.Parameter.empty
        parameters.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                                            annotation=Annotated[field.annotation, field]))
    parameters.append(inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context))
    return inspect.Signature(parameters, return_annotation=returns)


def as_tool(function: Callable[..., Any], model: type[BaseModel], returns: type) -> Callable[..., Any]:
    """`function(*, ctx, **arguments)` dressed as the tool the SDK expects: it finds the Context parameter through
    the annotations and the input schema through the signature."""
    signature = signature_of(model, returns)

    async def tool(*, ctx: Context, **arguments: Any) -> Any:
        return await function(ctx=ctx, **arguments)

    tool.__signature__ = signature  # type: ignore[attr-defined]
    tool.__annotations__ = {**{p.name: p.annotation for p in signature.parameters.values()}, "return": returns}
    tool.__doc__ = model.__doc__
    return tool


class McpTools:
    """The tools' bodies: check the caller's key, decode what was sent (big payloads in worker processes), run the
    agent in a thread, and answer a `SegchatError` as a tool error with its code."""

    def __init__(self, agent: Agent, settings: Settings, decoder: PayloadDecoder) -> None:
        self.agent = agent
        self.keys = settings.api_keys()
        self.decoder = decoder

    async def segment_image(self, *, ctx: Context, **arguments: Any) -> list:
        try:
            owner = request_owner(ctx.request_context.request, self.keys)
            params = SegmentImageParameters.model_validate(arguments)
            image = await self.decoder.image(params.image, self.agent.max_upload_bytes)
            if image is not None:  # decoded here: the agent takes the bytes, not the base64 again
                params = params.model_copy(update={"image": ""})
            turn = await anyio.to_thread.run_sync(partial(self.agent.segment_image, params, owner=owner, image=image))
            overlay = await anyio.to_thread.run_sync(overlay_png, turn)
        except SegchatError as exc:
            raise ToolError(f"{exc.code}: {exc.message}") from None
        return [McpImage(data=overlay, format="png"), turn.result.model_dump_json()]

    async def track_video(self, *, ctx: Context, **arguments: Any) -> str:
        """The tracking runs in a worker thread; progress notifications tell the frames done."""
        try:
            # a video answer is stored in no session: the key only has to be valid
            request_owner(ctx.request_context.request, self.keys)
            params = TrackVideoParameters.model_validate(arguments)
            if not params.video.strip():
                return await self._answer_video(self.agent.track_video, params, ctx)  # the agent's missing_video
            data, suffix = await self.decoder.video(params.video, self.agent.max_video_bytes)
            run = partial(track_file, self.agent, data, suffix)
            return await self._answer_video(run, params, ctx)
        except SegchatError as exc:
            raise ToolError(f"{exc.code}: {exc.message}") from None

    async def _answer_video(self, run: Callable[..., VideoResult], params: TrackVideoParameters, ctx: Context) -> str:
        loop = asyncio.get_running_loop()

        def progress(done: int, total: int | None) -> None:  # called in the tracking thread
            asyncio.run_coroutine_threadsafe(ctx.report_progress(done, total), loop)

        result = await anyio.to_thread.run_sync(partial(run, params, progress=progress))
        return json.dumps(result.model_dump(mode="json"), ensure_ascii=False)


def overlay_png(turn: Turn) -> bytes:
    return png_bytes(turn.overlay())


def track_file(agent: Agent, data: bytes, suffix: str, params: TrackVideoParameters, *,
               progress: Progress) -> VideoResult:
    """In a thread: the decoded video in a temporary file, tracked by the `track_video` tool, the file removed."""
    with tempfile.TemporaryDirectory(prefix="segchat-mcp-video-") as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(data)
        return agent.track_video(params, video=path, progress=progress)


def build_mcp(agent: Agent, settings: Settings, decoder: PayloadDecoder | None = None) -> MCPServer:
    """The MCP server of `agent`'s two tools (big payloads decoded by `decoder`, the server's shared one)."""
    server = MCPServer(name="segchat", instructions=tool_description())
    tools = McpTools(agent, settings, decoder or PayloadDecoder())
    server.add_tool(as_tool(tools.segment_image, SegmentImageParameters, list), name=TOOL_NAME,
                    description=tool_description(), structured_output=False)
    server.add_tool(as_tool(tools.track_video, TrackVideoParameters, str), name=TRACK_TOOL_NAME,
                    description=track_tool_description(), structured_output=False)
    return server
