"""MongoDB-style run filters and orders, as `wandb.Api().runs(filters=..., order=...)` sends."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from wbserver.domain.clock import iso
from wbserver.domain.models import Run
from wbserver.domain.user_patterns import user_pattern
from wbserver.errors import InvalidInput

_MISSING = object()
MAX_FILTER_VALUES = 10_000  # keys, values and list items, all levels together
MAX_FILTER_DEPTH = 32  # nested objects and lists

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


Predicate = Callable[[RunView], bool]
ValueTest = Callable[[Any], bool]


def parse_filters(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except RecursionError:
        raise InvalidInput(f"filters nest deeper than {MAX_FILTER_DEPTH} levels") from None
    except ValueError as exc:
        raise InvalidInput(f"filters is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise InvalidInput("filters must be a JSON object")
    check_filter(value)
    return value


def check_filter(query: dict[str, Any]) -> Predicate:
    """The filter as a predicate on runs, or InvalidInput when it is too large or too deep,
    names an unknown operator or holds a pattern the regex engine refuses. Checked before
    any run is read, whichever way (SQL plan or evaluator) the filter is then answered."""
    _check_size(query)
    return _query(query)


def matches(view: RunView, query: dict[str, Any]) -> bool:
    return check_filter(query)(view)


def _check_size(query: Any) -> None:
    """At most MAX_FILTER_VALUES values and MAX_FILTER_DEPTH nested objects and lists."""
    pending: list[tuple[Any, int]] = [(query, 1)]
    count = 0
    while pending:
        value, depth = pending.pop()
        count += 1
        if count > MAX_FILTER_VALUES:
            raise InvalidInput(f"filters hold more than {MAX_FILTER_VALUES} values")
        if isinstance(value, dict | list):
            if depth > MAX_FILTER_DEPTH:
                raise InvalidInput(f"filters nest deeper than {MAX_FILTER_DEPTH} levels")
            items = value.values() if isinstance(value, dict) else value
            pending.extend((item, depth + 1) for item in items)


def _query(query: dict[str, Any]) -> Predicate:
    parts: list[Predicate] = []
    for key, cond in query.items():
        if key in ("$and", "$or", "$nor"):
            subs = [_query(q) for q in _as_list(key, cond)]
            parts.append(_every(subs) if key == "$and" else _some(subs) if key == "$or"
                         else _not(_some(subs)))
        elif key.startswith("$"):
            raise InvalidInput(f"unsupported filter operator {key}")
        else:
            parts.append(_field(key, _condition(cond)))
    return _every(parts)


def _every(parts: list[Predicate]) -> Predicate:
    return lambda v: all(p(v) for p in parts)


def _some(parts: list[Predicate]) -> Predicate:
    return lambda v: any(p(v) for p in parts)


def _not(predicate: Predicate) -> Predicate:
    return lambda v: not predicate(v)


def _field(key: str, test: ValueTest) -> Predicate:
    return lambda v: test(v.get(key))


def _as_list(op: str, cond: Any) -> list[dict[str, Any]]:
    if not isinstance(cond, list) or not all(isinstance(q, dict) for q in cond):
        raise InvalidInput(f"{op} takes a list of filter objects")
    return cond


def _condition(cond: Any) -> ValueTest:
    if isinstance(cond, dict) and cond and all(k.startswith("$") for k in cond):
        tests = [_operator(op, arg) for op, arg in cond.items()]
        return lambda value: all(t(value) for t in tests)
    return lambda value: _equals(value, cond)


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


def _operator(op: str, arg: Any) -> ValueTest:
    if op == "$eq":
        return lambda value: _equals(value, arg)
    if op == "$ne":
        return lambda value: not _equals(value, arg)
    if op in ("$gt", "$gte", "$lt", "$lte"):
        return lambda value: _compare(value, op, arg)
    if op in ("$in", "$nin"):
        if not isinstance(arg, list):
            return lambda _value: False
        member = _membership(arg)
        return member if op == "$in" else lambda value: not member(value)
    if op == "$exists":
        return lambda value: (value is not _MISSING and value is not None) == bool(arg)
    if op == "$regex":
        pattern = user_pattern(str(arg))
        return lambda value: any(isinstance(c, str) and pattern.search(c) is not None
                                 for c in (value if isinstance(value, list) else [value]))
    if op == "$not":
        inner = _condition(arg)
        return lambda value: not inner(value)
    raise InvalidInput(f"unsupported filter operator {op}")


def _membership(options: list[Any]) -> ValueTest:
    """Whether a value equals one of `options` (as _equals means it). A list of strings,
    what $in on names and tags sends, is a set: one lookup per run, not one per option."""
    if not all(isinstance(o, str) for o in options):
        return lambda value: any(_equals(value, o) for o in options)
    texts = frozenset(options)
    return lambda value: (value in texts if isinstance(value, str) else
                          isinstance(value, list) and
                          any(isinstance(v, str) and v in texts for v in value))


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
