"""The REST application: the agent and its helpers on `app.state`, the API key in front, errors mapped once, and
one router per subject."""

from __future__ import annotations

from fastapi import FastAPI

from segchat.agent import Agent
from segchat.agent.serving.jobs import JobRunner
from segchat.contracts.settings import Settings
from segchat.contracts.tool import tool_description
from segchat.faces.http import PayloadDecoder
from segchat.faces.rest import concepts, health, segment, sessions
from segchat.faces.rest import jobs as video_jobs
from segchat.faces.rest.errors import install_error_handlers
from segchat.faces.rest.middleware import RequireKey


def create_app(agent: Agent, settings: Settings, jobs: JobRunner | None = None,
               decoder: PayloadDecoder | None = None) -> FastAPI:
    """The API over `agent` (video jobs through `jobs` when given; big payloads decoded by `decoder`, shared
    with MCP by the server, which also closes it)."""
    app = FastAPI(title="segchat", version="0.1.0", description=tool_description(), docs_url="/docs", redoc_url=None)
    app.state.agent = agent
    app.state.settings = settings
    app.state.jobs = jobs
    app.state.decoder = decoder or PayloadDecoder()
    app.add_middleware(RequireKey, keys=settings.api_keys())
    install_error_handlers(app)
    for router in (segment.router(settings), sessions.router(settings), concepts.router, video_jobs.router,
                   health.router):
        app.include_router(router)
    return app
