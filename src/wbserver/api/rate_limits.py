"""Rate limits with W&B's scopes: file_stream requests a second per run, and requests a second
per project (file_stream, and GraphQL requests whose variables name the project).

A request over a limit gets 429 with `Retry-After` (whole seconds). The wandb client waits
that long and sends the same request again (its backoff takes Retry-After when present, on
GraphQL and file_stream alike), so a limited run loses nothing: its later rows gather in the
next request. Limits apply to authenticated callers only (an anonymous caller is refused
before any count is kept), and are token buckets holding one second's worth of requests,
kept in this process's memory: with several server processes, each counts its own.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from wbserver.config import Settings
from wbserver.domain.models import RunKey
from wbserver.errors import RateLimited

MAX_KEYS = 100_000  # the least recently used run or project is forgotten beyond this


class TokenBuckets:
    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = MAX_KEYS) -> None:
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: OrderedDict[Hashable, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: Hashable, rate: float) -> float:
        """0 if a request under `key` may pass now (it takes its token), else the seconds
        until one may. `rate` is requests a second; 0 or less: no limit."""
        if rate <= 0:
            return 0.0
        burst = max(1.0, rate)
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.pop(key, (burst, now))
            tokens = min(burst, tokens + (now - at) * rate)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / rate
            self._buckets[key] = (tokens, now)
            if len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        return wait


class RateLimits:
    def __init__(self, buckets: TokenBuckets | None = None) -> None:
        self._buckets = buckets or TokenBuckets()

    def file_stream(self, settings: Settings, key: RunKey) -> None:
        self._take(("run", key.entity, key.project, key.name), settings.rate_limit_run,
                   f"file_stream requests a second to run {key.entity}/{key.project}/{key.name}",
                   "WBSERVER_RATE_LIMIT_RUN")
        self._project(settings, key.entity, key.project)

    def graphql(self, settings: Settings, variables: Mapping[str, Any]) -> None:
        named = project_named(variables)
        if named is not None:
            self._project(settings, *named)

    def _project(self, settings: Settings, entity: str, project: str) -> None:
        self._take(("project", entity, project), settings.rate_limit_project,
                   f"requests a second to project {entity}/{project}".replace(" /", " "),
                   "WBSERVER_RATE_LIMIT_PROJECT")

    def _take(self, key: Hashable, rate: float, what: str, setting: str) -> None:
        wait = self._buckets.take(key, rate)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise RateLimited(f"rate limit exceeded: more than {rate:g} {what} ({setting}); "
                              f"try again in {seconds} s", retry_after=seconds)


def project_named(variables: Mapping[str, Any]) -> tuple[str, str] | None:
    """(entity, project) as a GraphQL request's variables name them (`project`/`projectName`,
    `entity`/`entityName`, at the top or in `input`); None when they name no project."""
    for scope in (variables, variables.get("input")):
        if not isinstance(scope, Mapping):
            continue
        project = scope.get("project") or scope.get("projectName")
        entity = scope.get("entity") or scope.get("entityName") or ""
        if isinstance(project, str) and isinstance(entity, str):
            return entity, project
    return None
