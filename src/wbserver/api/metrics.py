"""Prometheus metrics of one server process: what the middleware counts per request, what the
handlers count (file_stream rows, upload bytes), and gauges read when /metrics is scraped
(outbox depth, uploads waiting for their bucket event, DB connections in use).

Each process has its own registry (no module-level state, no multiprocess files): with several
processes, scrape each at its own address; Prometheus's `instance` label tells them apart and
`sum by (...)` adds them up. Labels are bounded: a route is its template from api/routes.py
(`/files/{entity}/{project}/{run}/file_stream`), never the raw path.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wbserver.errors import PermissionDenied, Unauthenticated, WbError
from wbserver.http.auth import authenticate
from wbserver.http.errors import error_response

UNMATCHED = "<unmatched>"  # a path no route knows (404): one label, whatever the path
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
STREAMED_FILES = {"wandb-history.jsonl": "history", "wandb-events.jsonl": "system",
                  "wandb-summary.json": "summary", "output.log": "console"}


@dataclass(frozen=True)
class Gauges:
    """Read at scrape time: callables so /metrics never holds a backend."""
    outbox_depth: Callable[[], int]
    upload_backlog: Callable[[], tuple[int, float]]  # (files waiting, age of the oldest, s)
    pool_in_use: Callable[[], int]


class _LiveGauges(Collector):
    def __init__(self, gauges: Gauges) -> None:
        self._gauges = gauges

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily("wbserver_outbox_depth",
                                "Notifications (Slack, NOTIFICATIONS_QUEUE) not yet delivered.",
                                value=self._gauges.outbox_depth())
        waiting, oldest = self._gauges.upload_backlog()
        yield GaugeMetricFamily("wbserver_bucket_uploads_pending",
                                "Run files handed an upload URL (last 7 days) whose bytes no "
                                "bucket event or upload has announced yet.", value=waiting)
        yield GaugeMetricFamily("wbserver_bucket_queue_lag_seconds",
                                "Age of the oldest such run file (0: none waiting).",
                                value=oldest)
        yield GaugeMetricFamily("wbserver_db_pool_in_use",
                                "Database connections checked out of the pool now.",
                                value=self._gauges.pool_in_use())


class Metrics:
    """One process's registry and the counters the server increments."""

    def __init__(self, gauges: Gauges | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self._requests = Counter("wbserver_http_requests", "HTTP requests answered.",
                                 ("route", "method", "status"), registry=self.registry)
        self._latency = Histogram("wbserver_http_request_duration_seconds",
                                  "Time from request to the end of the answer.",
                                  ("route", "method"), buckets=LATENCY_BUCKETS,
                                  registry=self.registry)
        self._rows = Counter("wbserver_filestream_rows", "Lines accepted by file_stream.",
                             ("file",), registry=self.registry)
        self._upload_bytes = Counter("wbserver_upload_bytes",
                                     "Bytes of files uploaded through the server (/storage).",
                                     registry=self.registry)
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._row_children = {kind: self._rows.labels(kind)
                              for kind in (*STREAMED_FILES.values(), "other")}
        if gauges is not None:
            self.registry.register(_LiveGauges(gauges))

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        children = self._children.get(key)
        if children is None:  # first time for this (route, method, status): a few dozen in all
            children = (self._requests.labels(route, method, str(status)),
                        self._latency.labels(route, method))
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def count_file_stream(self, body: Any) -> None:
        files = body.get("files") if isinstance(body, dict) else None
        if not isinstance(files, dict):
            return
        for name, chunk in files.items():
            content = chunk.get("content") if isinstance(chunk, dict) else None
            if isinstance(content, list) and content:
                self._row_children[STREAMED_FILES.get(name, "other")].inc(len(content))

    def count_upload(self, size: int) -> None:
        self._upload_bytes.inc(size)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class RequestMetrics:
    """ASGI middleware: counts each HTTP request by route template, method and status, and
    times it. A few microseconds per request (bench/metrics_overhead.py)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            self.metrics.observe_request(getattr(route, "path", UNMATCHED), scope["method"],
                                         status, time.perf_counter() - start)


def metrics_of(request: Request) -> Metrics:
    return request.app.state.metrics  # type: ignore[no-any-return]


def may_read_metrics(request: Request, *, token: str, store: Any) -> None:
    """/metrics: `Authorization: Bearer WBSERVER_METRICS_TOKEN`, or a site admin's API key
    (HTTP Basic, as the wandb client sends it). Anyone else: 401/403."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        if token and hmac.compare_digest(value.strip().encode(), token.encode()):
            return
        raise Unauthenticated("this bearer token is not WBSERVER_METRICS_TOKEN")
    if not authenticate(store, request).is_admin:
        raise PermissionDenied("/metrics is for site admins and WBSERVER_METRICS_TOKEN")


async def metrics_page(request: Request) -> Response:
    services = request.app.state.services
    try:
        await run_in_threadpool(may_read_metrics, request, token=services.settings.metrics_token,
                                store=services.store)
        body = await run_in_threadpool(metrics_of(request).exposition)
    except WbError as exc:
        return error_response(exc)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
