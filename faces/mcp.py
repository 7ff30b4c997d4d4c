"""The same tool over MCP (official SDK, streamable HTTP): the overlay image plus the result JSON."""

from __future__ import annotations

import functools
import io
import json

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.utilities.types import Image as McpImage

from segchat.contracts.errors import SegchatError
from segchat.faces.rest import CURRENT_OWNER
from segchat.faces.service import SegchatService
from segchat.contracts.tool import TOOL_NAME, segment_image, tool_description


def build_mcp(service: SegchatService) -> MCPServer:
    server = MCPServer(name="segchat", instructions=tool_description())
    keys = service.settings.api_keys()

    @functools.wraps(segment_image)
    def tool(image: str = "", *, instruction: str, threshold: float | None = None, session: str | None = None,
             verify: bool = False) -> list:
        owner = CURRENT_OWNER.get()
        if owner is None:  # no key is configured: everyone is the same (empty) owner
            if keys:
                raise ToolError("unauthorized: no API key reached the tool")
            owner = ""
        try:
            output = service.segment(image or None, instruction, threshold=threshold, session=session, verify=verify,
                                     owner=owner)
        except SegchatError as exc:
            raise ToolError(f"{exc.code}: {exc.message}") from None
        png = io.BytesIO()
        output.overlay().save(png, format="PNG")
        return [McpImage(data=png.getvalue(), format="png"),
                json.dumps(output.result.model_dump(), ensure_ascii=False)]

    server.add_tool(tool, name=TOOL_NAME, description=tool_description(), structured_output=False)
    return server
