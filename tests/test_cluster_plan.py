"""`serve.py --ray …` flags into a cluster plan, and the refusals that must come before anything starts (exit 2,
one line, no traceback)."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
from click.testing import CliRunner

from bench.server_process import REPO
from segchat.contracts.errors import BadRequestError
from segchat.contracts.settings import Settings
from segchat.faces.cluster.plan import ClusterPlan, Routing, check_store_for, parse_autoscale
from segchat.faces.cluster.run import free_the_port, port_is_free
from segchat.faces.launch import cluster_plan_or_exit, main


def plan_of(**flags) -> ClusterPlan | None:
    defaults = {"ray_address": None, "replicas": None, "autoscale": None, "replica_cpus": None,
                "replica_threads": None, "replica_gpus": None, "ray_cpus": None, "routing": "image"}
    return cluster_plan_or_exit({**defaults, **flags})


def test_flags_become_a_plan():
    assert plan_of() is None
    local = plan_of(ray_address="local", replicas=2)
    assert local.local and local.scale() == {"num_replicas": 2} and local.threads == 1
    assert local.local_cpus() == 3  # two replicas of one CPU and the ingress
    remote = plan_of(ray_address="ray-head:6379", autoscale="1:4", replica_cpus=2.0, routing="default")
    assert not remote.local and remote.routing is Routing.DEFAULT and remote.threads == 2
    scale = remote.scale()["autoscaling_config"]
    assert (scale["min_replicas"], scale["max_replicas"]) == (1, 4)
    assert parse_autoscale(" 0:3") == (0, 3)


@pytest.mark.parametrize("flags, words", [
    ({"replicas": 2}, "add --ray"),
    ({"ray_address": "local", "autoscale": "4"}, "MIN:MAX"),
    ({"ray_address": "local", "autoscale": "3:1"}, "MIN:MAX"),
    ({"ray_address": "local", "autoscale": "1:3", "replicas": 2}, "not both"),
])
def test_contradicting_flags_exit_2_with_one_line(flags, words, capsys):
    with pytest.raises(SystemExit) as stopped:
        plan_of(**flags)
    assert stopped.value.code == 2 and words in capsys.readouterr().err


def test_an_existing_cluster_needs_a_shared_store():
    remote = ClusterPlan(address="ray-head:6379")
    with pytest.raises(BadRequestError, match="SEGCHAT_DATABASE_URL"):
        check_store_for(remote, Settings())
    check_store_for(remote, Settings(database_url="postgresql+psycopg://u:p@db/segchat"))
    check_store_for(ClusterPlan(), Settings())  # a local cluster shares this machine's data directory


def test_serve_py_refuses_a_sqlite_store_for_an_existing_cluster_before_starting_ray(tmp_path):
    answer = subprocess.run([sys.executable, str(REPO / "serve.py"), "--demo", "--offline", "--ray", "10.0.0.1:6379",
                             "--data-dir", str(tmp_path)], capture_output=True, text=True, timeout=120,
                            cwd=tmp_path)
    assert answer.returncode == 2 and "SEGCHAT_DATABASE_URL" in answer.stderr and "Traceback" not in answer.stderr


def test_a_port_held_by_another_program_is_named_not_taken(capsys):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        assert not port_is_free("127.0.0.1", port)
        with pytest.raises(SystemExit) as stopped:
            free_the_port("127.0.0.1", port, ClusterPlan())
        said = capsys.readouterr().err
        assert stopped.value.code == 2
        assert f"port {port} is taken by" in said and "python" in said  # the holder, this test's process, named
        free_the_port("127.0.0.1", port, ClusterPlan(address="ray-head:6379"))  # Serve there keeps its own port
    assert port_is_free("127.0.0.1", port)


def test_cluster_flags_are_in_the_help():
    text = CliRunner().invoke(main, ["--help"]).output
    for flag in ("--ray", "--replicas", "--autoscale", "--replica-cpus", "--replica-threads", "--routing"):
        assert flag in text
