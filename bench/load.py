"""A bounded load test of a running segchat server on loopback: N concurrent clients on /v1/segment.

    python -m bench.load --url http://127.0.0.1:7860 --clients 50 --requests 200 --max-seconds 120
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx

from bench.clients import run_clients

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def run_load(url: str, image: Path, instruction: str, *, clients: int, requests: int, max_seconds: float,
             api_key: str | None = None) -> dict:
    """Send at most `requests` requests from `clients` threads, stopping after `max_seconds` either way."""
    host = urlparse(url).hostname or ""
    if host not in LOOPBACK and not host.startswith("127."):
        raise SystemExit(f"refusing to load-test {host}: loopback addresses only")
    payload = {"image": "data:image/png;base64," + base64.b64encode(image.read_bytes()).decode(),
               "instruction": instruction}
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    lock = threading.Lock()
    issued = 0
    deadline = time.monotonic() + max_seconds

    def worker() -> None:
        nonlocal issued
        with httpx.Client(base_url=url, timeout=max_seconds, headers=headers) as http:
            while time.monotonic() < deadline:
                with lock:
                    if issued >= requests:
                        return
                    issued += 1
                start = time.perf_counter()
                retry_after = 0.0
                try:
                    response = http.post("/v1/segment", json=payload)
                    status = str(response.status_code)
                    if response.status_code in (429, 503):  # a polite client backs off as told
                        retry_after = min(2.0, float(response.headers.get("Retry-After", "1")))
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                elapsed = time.perf_counter() - start
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1
                    if status == "200":
                        latencies.append(elapsed)
                if retry_after:
                    time.sleep(retry_after)

    wall = run_clients(worker, clients)
    ok = statuses.get("200", 0)
    return {"clients": clients, "requests": sum(statuses.values()), "seconds": round(wall, 2),
            "throughput_rps": round(ok / wall, 2) if wall else 0.0, "statuses": statuses,
            "errors": sum(n for s, n in statuses.items() if s not in ("200", "429", "503")),
            "p50_ms": round(percentile(latencies, 50) * 1000, 1), "p95_ms": round(percentile(latencies, 95) * 1000, 1),
            "p99_ms": round(percentile(latencies, 99) * 1000, 1),
            "mean_ms": round(statistics.mean(latencies) * 1000, 1) if latencies else float("nan")}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:7860")
    parser.add_argument("--image", type=Path, default=Path(__file__).resolve().parent.parent / "examples" / "shapes_demo.png")
    parser.add_argument("--instruction", default="把最左边的红色圆形抠出来")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=200, help="at most this many requests in all")
    parser.add_argument("--max-seconds", type=float, default=120.0, help="stop after this long in any case")
    parser.add_argument("--api-key")
    args = parser.parse_args(argv)
    print(json.dumps(run_load(args.url, args.image, args.instruction, clients=args.clients, requests=args.requests,
                              max_seconds=args.max_seconds, api_key=args.api_key), indent=1))


if __name__ == "__main__":
    main()
