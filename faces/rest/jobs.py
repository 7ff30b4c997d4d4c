"""Video jobs (the `track_video` tool, run in the background by the job runner): submit a multipart video or a
session's images, read a job's state and result, cancel it, download its overlay video."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, create_model
from starlette.datastructures import UploadFile

from segchat.agent import Agent
from segchat.agent.serving.jobs import Job, JobRunner
from segchat.contracts.errors import BadRequestError
from segchat.contracts.tool import SESSION_ID, TrackVideoParameters
from segchat.faces.rest.bodies import FORM_LIMITS, inline_refs, is_multipart, json_body, validated
from segchat.faces.rest.depends import AgentDep, DecoderDep, JobsDep, OwnerDep
from segchat.faces.rest.responses import ERRORS

VIDEO_SUFFIXES = {"video/mp4": ".mp4", "video/webm": ".webm", "video/quicktime": ".mov", "video/x-matroska": ".mkv",
                  "image/gif": ".gif", "video/x-msvideo": ".avi"}


def job_request_model() -> type[BaseModel]:
    """A video job on a session's images (in the order they were sent): the video tool's parameters, the session
    in place of the video."""
    fields: dict[str, Any] = {name: (info.annotation, info) for name, info in TrackVideoParameters.model_fields.items()
                              if name != "video"}
    return create_model("JobRequest", __config__=ConfigDict(extra="forbid"), session=(SESSION_ID, ...), **fields)


JobRequest = job_request_model()
MULTIPART_JOB = {"type": "object", "required": ["video", "instruction"], "properties": {
    "video": {"type": "string", "format": "binary"},
    **{name: prop for name, prop in inline_refs(TrackVideoParameters.model_json_schema())["properties"].items()
       if name != "video"}}}
JOB_BODY = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": MULTIPART_JOB},
    "application/json": {"schema": inline_refs(JobRequest.model_json_schema())}}}}

router = APIRouter(tags=["video"])


@router.post("/v1/jobs", status_code=202, responses=ERRORS, response_model=None, openapi_extra=JOB_BODY,
             summary="Track what an instruction asks for through a video: 202 with the job's id")
async def submit_job(request: Request, agent: AgentDep, jobs: JobsDep, owner: OwnerDep,
                     decoder: DecoderDep) -> JSONResponse:
    if is_multipart(request):
        job = await submit_upload(request, jobs, owner)
    else:
        fields = validated(JobRequest, (await json_body(request, decoder, agent.max_upload_bytes)).body)
        job = await run_in_threadpool(submit_frames, agent, jobs, fields, owner)
    return JSONResponse(job.public(), status_code=202, headers={"Location": f"/v1/jobs/{job.id}"})


async def submit_upload(request: Request, jobs: JobRunner, owner: str) -> Job:
    form = await request.form(**FORM_LIMITS)
    upload = form.get("video")
    if not isinstance(upload, UploadFile):
        raise BadRequestError("multipart video jobs need a 'video' file field", code="missing_video")
    params = validated(TrackVideoParameters, {"instruction": form.get("instruction") or "",
                                              "tracker": form.get("tracker") or "auto",
                                              "threshold": form.get("threshold") or None})
    suffix = Path(upload.filename or "").suffix.lower() or VIDEO_SUFFIXES.get(upload.content_type or "", ".mp4")
    return await run_in_threadpool(submit_file, jobs, upload.file, suffix, params, owner)


def submit_file(jobs: JobRunner, source: BinaryIO, suffix: str, params: TrackVideoParameters, owner: str) -> Job:
    """In a thread: the upload copied to a file that the job runner takes over (moved into the job's folder, or
    removed when the job is refused), so a 200 MB video is never held in memory."""
    handle, name = tempfile.mkstemp(prefix="segchat-upload-", suffix=suffix)
    with os.fdopen(handle, "wb") as target:
        shutil.copyfileobj(source, target)
    return jobs.submit(Path(name), suffix, params.instruction, owner=owner, tracker=params.tracker,
                       threshold=params.threshold)


def submit_frames(agent: Agent, jobs: JobRunner, fields: Any, owner: str) -> Job:
    """In a thread: the session's images as a folder of frames, handed to the job runner."""
    frames = agent.session_frames(fields.session, owner)
    return jobs.submit(frames, "", fields.instruction, owner=owner, tracker=fields.tracker, threshold=fields.threshold)


@router.get("/v1/jobs/{job_id}", responses=ERRORS, response_model=None,
            summary="A job's state, frames done / total, and its video result JSON when done")
async def get_job(job_id: SESSION_ID, jobs: JobsDep, owner: OwnerDep) -> JSONResponse:
    return JSONResponse(await run_in_threadpool(job_answer, jobs, job_id, owner))


def job_answer(jobs: JobRunner, job_id: str, owner: str) -> dict[str, Any]:
    answer = jobs.get(job_id, owner).public()
    result = jobs.result(job_id, owner)
    if result is not None:
        answer["result"] = result.model_dump(mode="json")
    return answer


@router.delete("/v1/jobs/{job_id}", responses=ERRORS, response_model=None, summary="Cancel a job")
async def cancel_job(job_id: SESSION_ID, jobs: JobsDep, owner: OwnerDep) -> JSONResponse:
    return JSONResponse((await run_in_threadpool(jobs.cancel, job_id, owner)).public())


@router.get("/v1/jobs/{job_id}/overlay", responses=ERRORS, response_model=None, summary="The overlay video (MP4)")
async def job_overlay(job_id: SESSION_ID, jobs: JobsDep, owner: OwnerDep) -> FileResponse:
    """Streamed from its file (read in chunks, off the event loop), never read whole into memory."""
    path = await run_in_threadpool(jobs.file, job_id, "overlay.mp4", owner)
    return FileResponse(path, media_type="video/mp4", filename=f"{job_id}_overlay.mp4")
