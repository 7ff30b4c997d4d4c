"""What a handler gets from the application (FastAPI dependencies): the agent, the caller's owner id, the video
job runner, the settings and the payload decoder, all set once by `create_app` on `app.state`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from segchat.agent import Agent
from segchat.agent.serving.jobs import JobRunner
from segchat.contracts.errors import BadRequestError
from segchat.contracts.settings import Settings
from segchat.faces.http import PayloadDecoder


def get_agent(request: Request) -> Agent:
    return request.app.state.agent


def get_owner(request: Request) -> str:
    """The owner of what this request reads or creates ('' without API keys), as `RequireKey` found it."""
    return getattr(request.state, "owner", "")


def get_jobs(request: Request) -> JobRunner:
    jobs = request.app.state.jobs
    if jobs is None:
        raise BadRequestError("this server runs no video jobs", code="no_jobs")
    return jobs


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_decoder(request: Request) -> PayloadDecoder:
    return request.app.state.decoder


AgentDep = Annotated[Agent, Depends(get_agent)]
OwnerDep = Annotated[str, Depends(get_owner)]
JobsDep = Annotated[JobRunner, Depends(get_jobs)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
DecoderDep = Annotated[PayloadDecoder, Depends(get_decoder)]
