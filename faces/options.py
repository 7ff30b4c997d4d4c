"""Command-line flags, declared once for the CLI and the server: each is also a SEGCHAT_* setting."""

from __future__ import annotations

from typing import Any, Callable

import click

from segchat.contracts.settings import Settings

MODEL_OPTIONS = [
    click.option("--model", help="Hugging Face id or local folder of a SAM3 checkpoint (default facebook/sam3)."),
    click.option("--demo", is_flag=True, default=None, help="Use the shapes demo model shipped with segchat."),
    click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), help="Force a device."),
    click.option("--dtype", type=click.Choice(["auto", "float32", "bfloat16"]), help="Force a dtype."),
    click.option("--threshold", type=click.FloatRange(0, 1),
                 help="Instance score threshold (default: the checkpoint's calibrated one, else 0.3)."),
]
LLM_OPTIONS = [
    click.option("--offline", is_flag=True, default=None, help="Never call the LLM; use the offline parser."),
    click.option("--llm-url", "--llm", "llm_url",
                 help="OpenAI-compatible base URL of the VL model (e.g. http://127.0.0.1:8000/v1; several, "
                      "comma-separated: replicas of one model, tried in turn), or "
                      "local:MODEL_ID_OR_DIR to run a Qwen-VL model in this process."),
    click.option("--llm-model", help="Model name at that endpoint (default Qwen/Qwen2.5-VL-7B-Instruct)."),
]
DATA_OPTIONS = [click.option("--data-dir", type=click.Path(), help="Where sessions are stored (default ~/.segchat).")]
SERVER_OPTIONS = [
    click.option("--host", help="Bind address (default 127.0.0.1; anything else needs SEGCHAT_API_KEY)."),
    click.option("--port", type=int, help="Port (default 7860)."),
    click.option("--queue-size", type=click.IntRange(min=1), help="Requests allowed to wait (default 16)."),
]


def options(*groups: list) -> Callable[[Callable], Callable]:
    """Decorate a click command with option groups, in order."""
    def decorate(func: Callable) -> Callable:
        for option in reversed([o for group in groups for o in group]):
            func = option(func)
        return func
    return decorate


def settings_from(**flags: Any) -> Settings:
    """Settings from the environment with every flag that was given on top (flags left out stay None)."""
    return Settings(**{k: v for k, v in flags.items() if v is not None})

# `serve.py --ray`: read by faces/launch.py into a ClusterPlan, never into Settings (they are not SEGCHAT_* settings)
CLUSTER_OPTIONS = [
    click.option("--ray", "ray_address", is_flag=False, flag_value="local", default=None, metavar="[ADDRESS]",
                 help="Serve on Ray Serve: alone, start a local Ray cluster; with an address (HOST:PORT, ray://…, "
                      "auto), join that cluster."),
    click.option("--replicas", type=click.IntRange(min=1), help="Segmenter replicas on Ray Serve (default 1)."),
    click.option("--autoscale", metavar="MIN:MAX", help="Scale the segmenter replicas between MIN and MAX."),
    click.option("--replica-cpus", type=click.FloatRange(min=0, min_open=True),
                 help="CPUs each segmenter replica reserves (default 1)."),
    click.option("--replica-threads", type=click.IntRange(min=1),
                 help="torch threads in each segmenter replica (default: its CPUs)."),
    click.option("--replica-gpus", type=click.FloatRange(min=0),
                 help="GPUs each segmenter replica reserves (default 1 where the cluster has GPUs, else 0)."),
    click.option("--ray-cpus", type=click.IntRange(min=1),
                 help="CPUs a local Ray cluster offers (default: what the replicas and the ingress need)."),
    click.option("--routing", type=click.Choice(["image", "default"]), default="image", show_default=True,
                 help="How requests reach a segmenter replica: by the image's content (follow-ups find their "
                      "embedding), or Ray Serve's default router (for comparison)."),
    click.option("--proxy", type=click.Choice(["haproxy", "python"]),
                 help="What takes HTTP on the port of a local cluster: Ray Serve's HAProxy (default; the ingress "
                      "replica serves each connection itself) or Serve's Python proxy actor."),
]
CLUSTER_FLAGS = ("ray_address", "replicas", "autoscale", "replica_cpus", "replica_threads", "replica_gpus",
                 "ray_cpus", "routing", "proxy")
