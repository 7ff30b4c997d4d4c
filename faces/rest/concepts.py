"""Remembered concepts ('remember #2 as the blue widget'): list them, forget one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from segchat.faces.rest.depends import AgentDep, OwnerDep
from segchat.faces.rest.responses import ERRORS

router = APIRouter(tags=["concepts"])


@router.get("/v1/concepts", responses=ERRORS, response_model=None,
            summary="The concepts this key has remembered ('remember #2 as the blue widget')")
async def concepts(agent: AgentDep, owner: OwnerDep) -> JSONResponse:
    return JSONResponse({"concepts": await run_in_threadpool(agent.concept_list, owner)})


@router.delete("/v1/concepts/{name}", status_code=204, responses=ERRORS, response_model=None)
async def forget_concept(name: Annotated[str, Path(min_length=1, max_length=60)], agent: AgentDep,
                         owner: OwnerDep) -> Response:
    await run_in_threadpool(agent.forget_concept, name, owner)
    return Response(status_code=204)
