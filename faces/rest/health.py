"""Liveness, readiness and the tool in OpenAI's function-calling format."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from segchat.contracts.results import SegmenterStats
from segchat.contracts.tool import openai_tool
from segchat.faces.rest.depends import AgentDep, SettingsDep

router = APIRouter()


@router.get("/healthz", tags=["health"])
async def healthz() -> dict[str, str]:
    """Answers while the process's event loop turns: nothing here waits on the model, the store or a body."""
    return {"status": "ok"}


@router.get("/readyz", tags=["health"], responses={503: {"description": "no segmenter replica is up"}})
async def readyz(agent: AgentDep, settings: SettingsDep) -> JSONResponse:
    readiness = await run_in_threadpool(agent.readiness)
    # on a cluster the segmenter replicas may all be down (starting, restarting): not ready to answer a turn
    up = readiness["segmenter_replicas"] > 0
    return JSONResponse({"status": "ready" if up else "not_ready", "demo": settings.demo, **readiness},
                        status_code=200 if up else 503)


@router.get("/v1/stats", tags=["health"], response_model=SegmenterStats,
            summary="The segmenter replicas' counters: cache hits and misses, encoder runs, busy time")
async def stats(agent: AgentDep) -> SegmenterStats:
    return await run_in_threadpool(agent.segmenter_stats)


@router.get("/v1/tools", tags=["tools"], summary="The tool in OpenAI's function-calling format")
async def tools(settings: SettingsDep) -> list[dict[str, Any]]:
    return [openai_tool(settings.max_instruction_chars)]
