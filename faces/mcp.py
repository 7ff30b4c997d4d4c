"""The same tool over MCP (official SDK, streamable HTTP): the overlay image plus the result JSON.

The tool's signature is generated from `SegmentImageParameters`, so MCP's input schema is the one definition's.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import tempfile
from pathlib import Path
from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.utilities.types import Image as McpImage

from segchat.agent import Agent
from segchat.agent.outputs.export import png_bytes
from segchat.contracts.errors import SegchatError
from segchat.contracts.settings import Settings
from segchat.agent.serving.payloads import decode_video_payload
from segchat.contracts.tool import (TOOL_NAME, TRACK_TOOL_NAME, SegmentImageParameters, TrackVideoParameters,
                                    tool_description, track_tool_description)
from segchat.faces.http import request_owner


def signature_of(model) -> inspect.Signature:
    """A keyword-only signature with each field's type, default and description (what the SDK reads)."""
    parameters = []
    for name, field in model.model_fields.items():
        # a default made by a factory stays in the field (pydantic refuses it twice)
        default = field.default if not field.is_required() and field.default_factory is None else inspect.Parameter.empty
        parameters.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                                            annotation=Annotated[field.annotation, field]))
    parameters.append(inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context))
    return inspect.Signature(parameters, return_annotation=list)


def build_mcp(agent: Agent, settings: Settings) -> MCPServer:
    server = MCPServer(name="segchat", instructions=tool_description())
    keys = settings.api_keys()

    def segment_image(*, ctx: Context, **arguments) -> list:
        try:
            owner = request_owner(ctx.request_context.request, keys)
            turn = agent.segment_image(SegmentImageParameters.model_validate(arguments), owner=owner)
        except SegchatError as exc:
            raise ToolError(f"{exc.code}: {exc.message}") from None
        return [McpImage(data=png_bytes(turn.overlay()), format="png"),
                json.dumps(turn.result.model_dump(), ensure_ascii=False)]

    signature = signature_of(SegmentImageParameters)
    segment_image.__signature__ = signature  # type: ignore[attr-defined]
    # the SDK finds the Context parameter through the annotations, the schema through the signature
    segment_image.__annotations__ = {**{p.name: p.annotation for p in signature.parameters.values()}, "return": list}
    segment_image.__doc__ = tool_description()
    server.add_tool(segment_image, name=TOOL_NAME, description=tool_description(), structured_output=False)

    async def track_video(*, ctx: Context, **arguments) -> str:
        """The video tool: the tracking runs in a worker thread; progress notifications tell frames done."""
        import anyio

        try:
            owner = request_owner(ctx.request_context.request, keys)
            params = TrackVideoParameters.model_validate(arguments)
            data, suffix = decode_video_payload(params.video, settings.max_video_bytes)
        except SegchatError as exc:
            raise ToolError(f"{exc.code}: {exc.message}") from None
        loop = asyncio.get_running_loop()

        def progress(done: int, total: int | None) -> None:
            asyncio.run_coroutine_threadsafe(ctx.report_progress(done, total), loop)

        with tempfile.TemporaryDirectory(prefix="segchat-mcp-video-") as folder:
            path = Path(folder) / f"input{suffix}"
            path.write_bytes(data)
            try:
                result = await anyio.to_thread.run_sync(lambda: agent.track(
                    path, params.instruction, tracker=params.tracker, threshold=params.threshold, progress=progress))
            except SegchatError as exc:
                raise ToolError(f"{exc.code}: {exc.message}") from None
        del owner  # a video answer is not stored in any session: the key only has to be valid
        return json.dumps(result.model_dump(), ensure_ascii=False)

    signature = signature_of(TrackVideoParameters)
    track_video.__signature__ = signature  # type: ignore[attr-defined]
    track_video.__annotations__ = {**{p.name: p.annotation for p in signature.parameters.values()}, "return": str}
    server.add_tool(track_video, name=TRACK_TOOL_NAME, description=track_tool_description(), structured_output=False)
    return server
