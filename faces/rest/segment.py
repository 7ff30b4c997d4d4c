"""POST /v1/segment (the `segment_image` tool) and POST /v1/detect (raw SAM3 on phrases and boxes)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from segchat.agent import Agent, Detection
from segchat.contracts.results import AgentResult, SegmentationResult
from segchat.contracts.settings import Settings
from segchat.contracts.tool import MAX_EXEMPLARS, ExemplarBox, SegmentImageParameters
from segchat.faces.rest.bodies import json_body, json_only_body, read_arguments, tool_body, validated
from segchat.faces.rest.depends import AgentDep, DecoderDep, OwnerDep
from segchat.faces.rest.responses import documented, model_response


class DetectRequest(BaseModel):
    model_config = {"extra": "forbid"}
    image: str = Field(description="The image: base64 or a data URL.")
    phrases: list[Annotated[str, Field(min_length=1, max_length=80)]] = Field(
        default_factory=list, max_length=32, description="English noun phrases (none when exemplars are given).")
    threshold: float | None = Field(None, ge=0.0, le=1.0)
    exemplars: list[ExemplarBox] = Field(default_factory=list, json_schema_extra={"maxItems": MAX_EXEMPLARS},
                                         description="Boxes around example objects, as in segment_image.")


async def segment(request: Request, agent: AgentDep, owner: OwnerDep, decoder: DecoderDep) -> Response:
    """The tool itself: the agent's `segment_image` on the request's parameters (and uploaded or decoded bytes)."""
    arguments = await read_arguments(request, SegmentImageParameters, decoder, agent.max_upload_bytes)
    turn = await run_in_threadpool(agent.segment_image, arguments.params, owner=owner, image=arguments.image)
    return model_response(turn.result)


async def detect(request: Request, agent: AgentDep, decoder: DecoderDep) -> Response:
    decoded = await json_body(request, decoder, agent.max_upload_bytes)
    body = validated(DetectRequest, decoded.body)
    detection = await run_in_threadpool(detect_now, agent, body, decoded.image)
    return model_response(detection.result)


def detect_now(agent: Agent, body: DetectRequest, image: bytes | None) -> Detection:
    """In the request's thread: the image (its bytes, or fetched from its URL), then SAM3 on the prompts."""
    source = agent.image_bytes(image if image is not None else body.image)
    return agent.detect(source, body.phrases, threshold=body.threshold, exemplars=body.exemplars)


def router(settings: Settings) -> APIRouter:
    """The routes, with the body schemas that carry this server's instruction limit."""
    routes = APIRouter(tags=["segment"])
    routes.add_api_route("/v1/segment", segment, methods=["POST"], response_model=None,
                         responses=documented(AgentResult),
                         summary="segment_image: an instruction in any language -> masks, boxes, explanation",
                         openapi_extra=tool_body(SegmentImageParameters, settings.max_instruction_chars))
    routes.add_api_route("/v1/detect", detect, methods=["POST"], response_model=None,
                         responses=documented(SegmentationResult),
                         summary="Raw SAM3 on English noun phrases and/or exemplar boxes (no parser, no agent rules)",
                         openapi_extra=json_only_body(DetectRequest))
    return routes
