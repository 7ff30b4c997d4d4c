"""Liveness, readiness and the tool in OpenAI's function-calling format."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from segchat.contracts.tool import openai_tool
from segchat.faces.rest.depends import AgentDep, SettingsDep

router = APIRouter()


@router.get("/healthz", tags=["health"])
async def healthz() -> dict[str, str]:
    """Answers while the process's event loop turns: nothing here waits on the model, the store or a body."""
    return {"status": "ok"}


@router.get("/readyz", tags=["health"])
async def readyz(agent: AgentDep, settings: SettingsDep) -> dict[str, Any]:
    return {"status": "ready", "demo": settings.demo, **(await run_in_threadpool(agent.readiness))}


@router.get("/v1/tools", tags=["tools"], summary="The tool in OpenAI's function-calling format")
async def tools(settings: SettingsDep) -> list[dict[str, Any]]:
    return [openai_tool(settings.max_instruction_chars)]
