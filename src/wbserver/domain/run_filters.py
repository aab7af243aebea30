"""MongoDB-style run filters and orders, as `wandb.Api().runs(filters=..., order=...)` sends."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from wbserver.domain.clock import iso
from wbserver.domain.models import Run
from wbserver.errors import InvalidInput

_MISSING = object()

_FIELDS: dict[str, Callable[[Run], Any]] = {
    "state": lambda r: r.state,
    "name": lambda r: r.name,
    "display_name": lambda r: r.display_name,
    "displayName": lambda r: r.display_name,
    "group": lambda r: r.group_name,
    "job_type": lambda r: r.job_type,
    "jobType": lambda r: r.job_type,
    "tags": lambda r: r.tags,
    "host": lambda r: r.host,
    "username": lambda r: r.username,
    "sweep": lambda r: r.sweep_name,
    "notes": lambda r: r.notes,
    "created_at": lambda r: iso(r.created_at),
    "createdAt": lambda r: iso(r.created_at),
    "heartbeat_at": lambda r: iso(r.heartbeat_at),
    "heartbeatAt": lambda r: iso(r.heartbeat_at),
    "updated_at": lambda r: iso(r.updated_at),
    "duration": lambda r: _duration(r),
}


def _duration(run: Run) -> float:
    end: datetime = run.finished_at or run.heartbeat_at
    return (end - run.created_at).total_seconds()


class RunView:
    """Lazily parsed config and summary of one run, for evaluating filters and orders."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self._config: dict[str, Any] | None = None
        self._summary: dict[str, Any] | None = None

    def get(self, path: str) -> Any:
        head, _, rest = path.partition(".")
        if head == "config" and rest:
            if self._config is None:
                self._config = json.loads(self.run.config or "{}")
            parts = rest.split(".")
            value = self._config.get(parts[0], _MISSING)
            if isinstance(value, dict) and "value" in value:
                value = value["value"]
                if len(parts) > 1 and parts[1] == "value":
                    parts = parts[1:]
            return _dig(value, parts[1:])
        if head in ("summary_metrics", "summaryMetrics", "summary") and rest:
            if self._summary is None:
                self._summary = json.loads(self.run.summary or "{}")
            parts = rest.split(".")
            return _dig(self._summary.get(parts[0], _MISSING), parts[1:])
        getter = _FIELDS.get(path)
        return getter(self.run) if getter else _MISSING


def _dig(value: Any, parts: list[str]) -> Any:
    for part in parts:
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def parse_filters(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise InvalidInput(f"filters is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise InvalidInput("filters must be a JSON object")
    return value


def matches(view: RunView, query: dict[str, Any]) -> bool:
    for key, cond in query.items():
        if key == "$and":
            if not all(matches(view, q) for q in _as_list(key, cond)):
                return False
        elif key == "$or":
            if not any(matches(view, q) for q in _as_list(key, cond)):
                return False
        elif key == "$nor":
            if any(matches(view, q) for q in _as_list(key, cond)):
                return False
        elif key.startswith("$"):
            raise InvalidInput(f"unsupported filter operator {key}")
        elif not _field_matches(view.get(key), cond):
            return False
    return True


def _as_list(op: str, cond: Any) -> list[dict[str, Any]]:
    if not isinstance(cond, list) or not all(isinstance(q, dict) for q in cond):
        raise InvalidInput(f"{op} takes a list of filter objects")
    return cond


def _field_matches(value: Any, cond: Any) -> bool:
    if isinstance(cond, dict) and cond and all(k.startswith("$") for k in cond):
        return all(_operator(value, op, arg) for op, arg in cond.items())
    return _equals(value, cond)


def _equals(value: Any, target: Any) -> bool:
    if value is _MISSING:
        return target is None
    if isinstance(value, list) and not isinstance(target, list):
        return any(_same(v, target) for v in value)
    return _same(value, target)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


def _operator(value: Any, op: str, arg: Any) -> bool:
    if op == "$eq":
        return _equals(value, arg)
    if op == "$ne":
        return not _equals(value, arg)
    if op in ("$gt", "$gte", "$lt", "$lte"):
        return _compare(value, op, arg)
    if op == "$in":
        return isinstance(arg, list) and any(_equals(value, a) for a in arg)
    if op == "$nin":
        return isinstance(arg, list) and not any(_equals(value, a) for a in arg)
    if op == "$exists":
        return (value is not _MISSING and value is not None) == bool(arg)
    if op == "$regex":
        candidates = value if isinstance(value, list) else [value]
        try:
            pattern = re.compile(str(arg))
        except re.error as exc:
            raise InvalidInput(f"bad $regex {arg!r}: {exc}") from None
        return any(isinstance(c, str) and pattern.search(c) for c in candidates)
    if op == "$not":
        return not _field_matches(value, arg)
    raise InvalidInput(f"unsupported filter operator {op}")


def _compare(value: Any, op: str, arg: Any) -> bool:
    numeric = (int, float)
    if isinstance(value, bool) or isinstance(arg, bool):
        return False
    if isinstance(value, numeric) and isinstance(arg, numeric):
        pass
    elif not (isinstance(value, str) and isinstance(arg, str)):
        return False
    if op == "$gt":
        return bool(value > arg)
    if op == "$gte":
        return bool(value >= arg)
    if op == "$lt":
        return bool(value < arg)
    return bool(value <= arg)


_View = TypeVar("_View", bound=RunView)


def sort_runs(views: list[_View], order: str | None) -> list[_View]:
    """Order like the client asks: '+key' ascending, '-key' descending; missing values last."""
    order = (order or "+created_at").strip()
    descending = order.startswith("-")
    key = order.lstrip("+-") or "created_at"

    def sort_key(view: RunView) -> tuple[int, int, Any]:
        value = view.get(key)
        if value is _MISSING or value is None:
            return (1, 0, 0)
        if isinstance(value, bool):
            value = int(value)
        if isinstance(value, int | float):
            return (0, 0, -value if descending else value)
        return (0, 1, str(value))

    ordered = sorted(views, key=lambda v: v.run.id, reverse=descending)
    numeric_and_missing = sorted(ordered, key=sort_key)
    if not descending:
        return numeric_and_missing
    # strings must be reversed too; numbers already are (negated)
    strings = [v for v in numeric_and_missing if sort_key(v)[:2] == (0, 1)]
    strings.reverse()
    numbers = [v for v in numeric_and_missing if sort_key(v)[:2] == (0, 0)]
    missing = [v for v in numeric_and_missing if sort_key(v)[0] == 1]
    return numbers + strings + missing
