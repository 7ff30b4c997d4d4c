"""Conversations: create one, send it messages (the `segment_image` tool on the path's session), read its history,
export a turn's files."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel

from segchat.agent.results import ExportKind
from segchat.contracts.results import AgentResult, SessionHistory
from segchat.contracts.settings import Settings
from segchat.contracts.tool import SESSION_ID, SegmentImageParameters, message_parameters
from segchat.faces.rest.bodies import read_arguments, tool_body
from segchat.faces.rest.depends import AgentDep, DecoderDep, OwnerDep
from segchat.faces.rest.responses import ERRORS, documented, model_response

MessageParameters = message_parameters()


class SessionCreated(BaseModel):
    session: str


async def create_session(agent: AgentDep, owner: OwnerDep) -> Response:
    session = await run_in_threadpool(agent.create_session, owner)
    return model_response(SessionCreated(session=session), status_code=201)


async def post_message(request: Request, session_id: SESSION_ID, agent: AgentDep, owner: OwnerDep,
                       decoder: DecoderDep) -> Response:
    """The tool on this session: an unknown session (or another key's) is a 404 before the body is read."""
    await run_in_threadpool(agent.store.get_session, session_id, owner)
    arguments = await read_arguments(request, MessageParameters, decoder, agent.max_upload_bytes)
    params = SegmentImageParameters.model_validate({**dict(arguments.params), "session": session_id})
    turn = await run_in_threadpool(agent.segment_image, params, owner=owner, image=arguments.image)
    return model_response(turn.result)


async def get_session(session_id: SESSION_ID, agent: AgentDep, owner: OwnerDep) -> Response:
    return model_response(await run_in_threadpool(agent.history, session_id, owner))


async def export(session_id: SESSION_ID, index: int, agent: AgentDep, owner: OwnerDep,
                 format: ExportKind = ExportKind.COCO,
                 smoothness: Annotated[float, Query(ge=0.0, le=10.0)] = 0.0) -> Response:
    file = await run_in_threadpool(agent.export, session_id, index, format, owner=owner, smoothness=smoothness)
    return Response(file.data, media_type=file.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{file.name}"'})


def router(settings: Settings) -> APIRouter:
    """The routes, with the message body's schema that carries this server's instruction limit."""
    routes = APIRouter(tags=["sessions"])
    routes.add_api_route("/v1/sessions", create_session, methods=["POST"], status_code=201, response_model=None,
                         responses=documented(SessionCreated, 201))
    routes.add_api_route("/v1/sessions/{session_id}/messages", post_message, methods=["POST"], response_model=None,
                         responses=documented(AgentResult),
                         openapi_extra=tool_body(MessageParameters, settings.max_instruction_chars))
    routes.add_api_route("/v1/sessions/{session_id}", get_session, methods=["GET"], response_model=None,
                         responses=documented(SessionHistory))
    routes.add_api_route("/v1/sessions/{session_id}/turns/{index}/export", export, methods=["GET"],
                         response_model=None, responses=ERRORS,
                         summary="A turn's overlay (PNG), masks or cut-outs (ZIP), COCO JSON or layered PSD")
    return routes
