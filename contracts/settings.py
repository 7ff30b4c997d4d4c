"""One settings object for the whole project: `SEGCHAT_*` environment variables, CLI flags override."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from segchat.contracts.resources import REPO_DIR, demo_model_dir
from segchat.contracts.tool import MAX_INSTRUCTION_CHARS

DEFAULT_MODEL = "facebook/sam3"
DEMO_MODEL_DIR = demo_model_dir()  # where this installation keeps the demo model (a wheel's, or the checkout's)
# a developer's and CI's evaluation data, beside a checkout (the CLI says so when it is missing)
SHARED_DIR = REPO_DIR.parent / "shared"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SEGCHAT_", extra="ignore")

    # segmenter
    model: str = Field(DEFAULT_MODEL, description="Hugging Face id or local folder of a SAM3 checkpoint")
    demo: bool = Field(False, description="use the shapes demo model shipped with the package")
    device: Literal["auto", "cpu", "cuda"] = "auto"
    dtype: Literal["auto", "float32", "bfloat16"] = "auto"
    threshold: float | None = Field(None, ge=0.0, le=1.0, description="instance score threshold (default: the "
                                    "checkpoint's calibrated threshold, else 0.3)")
    mask_threshold: float = Field(0.5, ge=0.0, le=1.0, description="mask probability threshold")
    embedding_cache_bytes: int = Field(1 << 30, ge=0, description="byte budget of the image-embedding cache")
    prompt_batch: int = Field(4, ge=1, le=256, description="prompts per SAM3 forward (bigger is faster on a GPU; "
                              "peak memory grows with it)")

    # parser / LLM
    llm_url: str | None = Field(None, description="OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1 (several, "
                                "comma-separated: replicas of one model, tried in turn), or "
                                "local:MODEL_ID_OR_DIR for a Qwen-VL model run in this process")
    llm_model: str = "Qwen/Qwen2.5-VL-7B-Instruct"
    llm_api_key: str = "EMPTY"
    llm_timeout_s: float = Field(30.0, gt=0)
    offline: bool = Field(False, description="never call the LLM; use the offline parser")

    # storage and limits
    data_dir: Path = Field(Path.home() / ".segchat", description="where sessions are stored")
    database_url: str | None = Field(None, description="the store's database as an SQLAlchemy URL, e.g. "
                                     "postgresql+psycopg://user:password@host/segchat (default: SQLite, "
                                     "<data_dir>/segchat.db)")
    max_image_pixels: int = Field(40_000_000, gt=0)
    max_upload_bytes: int = Field(25 * 1024 * 1024, gt=0)
    max_instruction_chars: int = Field(MAX_INSTRUCTION_CHARS, gt=0)
    max_video_frames: int = Field(3600, gt=0, description="frames a video may have (2 minutes at 30 fps)")
    max_video_bytes: int = Field(200 * 1024 * 1024, gt=0, description="size of an uploaded video")
    image_url_allowlist: str | None = Field(None, description="comma-separated URL prefixes the API may fetch "
                                            "images from (default: none; images come as base64 or data URLs)")

    # server
    host: str = "127.0.0.1"
    port: int = 7860
    api_key: str | None = Field(None, description="one API key, or several separated by commas; each key's sessions "
                                                  "are its own")
    queue_size: int = Field(16, gt=0, description="requests allowed to wait")
    concurrency: int = Field(4, ge=1, le=64, description="requests in flight at once; their SAM3 calls take turns and "
                             "their prompts share forwards (1: one request at a time, no batching)")
    batch_wait_ms: float = Field(8.0, ge=0, le=1000, description="how long a forward waits for other requests' "
                                 "prompts to join it")

    @field_validator("llm_url", mode="after")
    @classmethod
    def _llm_url_or_none(cls, value: str | None) -> str | None:
        # ' , ' names no server: no LLM, as when the setting is left out
        return value.strip() if value is not None and value.strip(" ,") else None

    def api_keys(self) -> list[str]:
        return [key.strip() for key in (self.api_key or "").split(",") if key.strip()]

    def image_url_prefixes(self) -> list[str]:
        return [prefix.strip() for prefix in (self.image_url_allowlist or "").split(",") if prefix.strip()]

    def model_path(self) -> str:
        """The checkpoint to load: the demo folder when `demo` is set, else `model`."""
        return str(demo_model_dir()) if self.demo else self.model
