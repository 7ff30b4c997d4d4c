"""`python serve.py`: read the flags and settings, then serve in this process or on Ray Serve (`--ray`)."""

from __future__ import annotations

import logging
import sys
from typing import Any

import click
from pydantic import ValidationError

from segchat.contracts.errors import SegchatError
from segchat.contracts.settings import Settings
from segchat.faces.cluster.plan import ClusterPlan, parse_autoscale
from segchat.faces.options import (CLUSTER_FLAGS, CLUSTER_OPTIONS, DATA_OPTIONS, LLM_OPTIONS, MODEL_OPTIONS,
                                   SERVER_OPTIONS, options, settings_from)
from segchat.faces.server import is_loopback, limit_malloc_arenas, serve_one_process


def _bad_setting(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())


def settings_or_exit(flags: dict[str, Any]) -> Settings:
    try:
        settings = settings_from(**flags)
    except ValidationError as exc:  # a bad SEGCHAT_* value or flag
        click.echo(f"error: bad setting: {_bad_setting(exc)}", err=True)
        sys.exit(2)
    if not is_loopback(settings.host) and not settings.api_key:
        click.echo(f"error: binding to {settings.host} exposes the server beyond this machine; set SEGCHAT_API_KEY "
                   "first (clients then send 'Authorization: Bearer <key>')", err=True)
        sys.exit(2)
    return settings


def cluster_plan_or_exit(flags: dict[str, Any]) -> ClusterPlan | None:
    """The Ray Serve plan the flags ask for; None without --ray (then no cluster flag may be given)."""
    given = {name: value for name, value in flags.items() if value is not None and name != "routing"}
    address = given.pop("ray_address", None)
    if address is None:
        if given:
            click.echo(f"error: --{next(iter(given)).replace('_', '-')} is for a server on Ray: add --ray", err=True)
            sys.exit(2)
        return None
    try:
        if "autoscale" in given:
            if "replicas" in given:
                raise BadFlags("give --replicas or --autoscale, not both")
            given["autoscale"] = parse_autoscale(given["autoscale"])
        return ClusterPlan(address=None if address == "local" else address, routing=flags["routing"], **given)
    except (SegchatError, BadFlags) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except ValidationError as exc:
        click.echo(f"error: bad setting: {_bad_setting(exc)}", err=True)
        sys.exit(2)


class BadFlags(ValueError):
    """Flags that contradict each other."""


@click.command(help="segchat server: chat UI, REST API and MCP on one port (in this process, or on Ray Serve).")
@options(SERVER_OPTIONS, MODEL_OPTIONS, LLM_OPTIONS, DATA_OPTIONS, CLUSTER_OPTIONS)
def main(**flags: Any) -> None:
    limit_malloc_arenas()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    plan = cluster_plan_or_exit({name: flags.pop(name) for name in CLUSTER_FLAGS})
    settings = settings_or_exit(flags)
    if plan is None:
        serve_one_process(settings)
        return
    from segchat.faces.cluster.run import serve_on_ray

    serve_on_ray(settings, plan)
