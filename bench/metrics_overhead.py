"""What /metrics costs each request: the RequestMetrics middleware around a trivial ASGI app,
against the same app bare, driven straight through ASGI (no sockets, no client), plus the
file_stream row count on a typical body. Prints microseconds per request; never pass/fail.

    .venv/bin/python bench/metrics_overhead.py [--requests 200000]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from wbserver.api.metrics import Metrics, RequestMetrics


class _Route:
    path = "/files/{entity}/{project}/{run}/file_stream"


async def bare(scope: dict[str, Any], receive: Any, send: Any) -> None:
    scope["route"] = _Route
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def drive(app: Any, n: int) -> float:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(_message: dict[str, Any]) -> None:
        return None

    start = time.perf_counter()
    for _ in range(n):
        await app({"type": "http", "method": "POST", "path": "/x"}, receive, send)
    return (time.perf_counter() - start) / n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200_000)
    n = parser.parse_args().requests
    metrics = Metrics()
    wrapped = RequestMetrics(bare, metrics)
    asyncio.run(drive(wrapped, 1000))  # warm the label cache
    plain = min(asyncio.run(drive(bare, n)) for _ in range(3))
    counted = min(asyncio.run(drive(wrapped, n)) for _ in range(3))
    body = {"files": {"wandb-history.jsonl": {"offset": 0, "content": ["{}"] * 10},
                      "wandb-events.jsonl": {"offset": 0, "content": ["{}"]},
                      "output.log": {"offset": 0, "content": ["line"] * 5}}}
    start = time.perf_counter()
    for _ in range(n):
        metrics.count_file_stream(body)
    rows = (time.perf_counter() - start) / n
    print(f"bare ASGI call             {plain * 1e6:7.2f} us/request")
    print(f"with RequestMetrics        {counted * 1e6:7.2f} us/request")
    print(f"middleware cost            {(counted - plain) * 1e6:7.2f} us/request")
    print(f"file_stream row counting   {rows * 1e6:7.2f} us/request (3 files)")


if __name__ == "__main__":
    main()
