"""The REST API (FastAPI): /v1/segment, sessions, /v1/detect, exports, video jobs, concepts, health, the OpenAI tool.

Thin over the agent: it translates requests (JSON or multipart) into the tools' parameters and errors into statuses,
and nothing more. Every handler is a small `async def` that waits (for the body, a worker, a thread) and never
computes: parsing a big body and decoding its image run in worker processes, everything that reads the store or
runs the model in a thread, so the event loop stays free for the other requests (and /healthz)."""

from segchat.faces.rest.app import create_app
from segchat.faces.rest.middleware import BodyLimit, RequireKey

__all__ = ["BodyLimit", "RequireKey", "create_app"]
