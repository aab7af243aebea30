"""Run filters and orders as a plan a database can run, plus the per-run values it indexes.

`run_filters.py` is the meaning (the Python evaluator). This module translates the part of
that language a SQL store can evaluate exactly into a small expression tree, and says `None`
for anything else (regex, tags, times, lists...), so the caller falls back to the evaluator.

Config and summary values are indexed as one row per path (`config.lr`, `summary.acc.top1`),
with a kind: plain numbers, strings, booleans and nulls are comparable in SQL; anything else
(dicts, lists, NaN, huge ints, long or space-padded strings, dotted keys) is marked COMPLEX,
and a query that touches a path holding a complex value in any run of the project is
answered by the evaluator instead.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import orjson

NULL, NUMBER, STRING, BOOL, DICT, LIST, OPAQUE = 0, 1, 2, 3, 7, 8, 9
COMPLEX = DICT  # kinds from here up are not comparable in SQL
# what `define_metric(summary=…)` keeps in a run's summary: {"val/acc": {"max": 0.93}}
SUMMARY_AGGREGATES = frozenset({"min", "max", "mean", "last", "first", "best"})
MAX_PATH = 255
MAX_TEXT = 191
MAX_PATHS_PER_RUN = 2000  # past this a run's remaining paths are one COMPLEX marker each
_INT_LIMIT = 2**53
# past these a filter is answered by the evaluator (run_filters), not in SQL
MAX_PLAN_TERMS = 250
MAX_PLAN_DEPTH = 24

# run columns a filter or order may name (the same names run_filters._FIELDS knows)
COLUMNS = {"state": "state", "name": "name", "display_name": "display_name",
           "displayName": "display_name", "group": "group_name", "job_type": "job_type",
           "jobType": "job_type", "host": "host", "sweep": "sweep_name", "username": "username"}
CREATED = ("created_at", "createdAt")
SUMMARY_HEADS = ("summary_metrics", "summaryMetrics", "summary")


@dataclass(frozen=True)
class IndexedValue:
    path: str
    kind: int
    num: float | None = None
    text: str | None = None
    top: bool = False  # a top-level key (the runs table lists these as columns)


# --- indexing ---------------------------------------------------------------------------

def _loads(text: str | None) -> Any:
    try:
        return orjson.loads(text or "{}")
    except orjson.JSONDecodeError:
        import json

        return json.loads(text or "{}")


def indexed_values(source: str, text: str | None) -> list[IndexedValue]:
    """The rows to index for a run's config (`source="config"`) or summary JSON."""
    data = _loads(text)
    if not isinstance(data, dict):
        return []
    out: list[IndexedValue] = []
    for key, value in data.items():
        if not isinstance(key, str) or key.startswith("_"):
            continue
        if source == "config" and isinstance(value, dict) and "value" in value:
            value = value["value"]
        path = f"{source}.{key}"
        if "." in key or len(path) > MAX_PATH:  # unreachable by a dotted path: a marker
            kind = DICT if isinstance(value, dict) else LIST if isinstance(value, list) \
                else OPAQUE
            out.append(IndexedValue(path[:MAX_PATH], kind, top=True))
            out.append(IndexedValue(path[:MAX_PATH], OPAQUE))
            continue
        _index(path, value, out, top=True)
    if len(out) > MAX_PATHS_PER_RUN:  # too many: the rest is marked, queries there fall back
        dropped = {".".join(v.path.split(".")[:2]) for v in out[MAX_PATHS_PER_RUN:]}
        out = out[:MAX_PATHS_PER_RUN] + [IndexedValue(p, OPAQUE, top=True)
                                         for p in sorted(dropped)]
    return out


def _index(path: str, value: Any, out: list[IndexedValue], *, top: bool = False) -> None:
    out.append(scalar(path, value, top=top))
    if isinstance(value, dict) and len(out) <= MAX_PATHS_PER_RUN:
        for key, inner in value.items():
            sub = f"{path}.{key}"
            if not isinstance(key, str) or "." in key or len(sub) > MAX_PATH:
                out.append(IndexedValue(path, OPAQUE))
                continue
            _index(sub, inner, out)


def scalar(path: str, value: Any, *, top: bool = False) -> IndexedValue:
    if value is None:
        return IndexedValue(path, NULL, top=top)
    if isinstance(value, bool):
        return IndexedValue(path, BOOL, num=1.0 if value else 0.0, top=top)
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value) or abs(value) >= _INT_LIMIT:
            return IndexedValue(path, OPAQUE, top=top)
        return IndexedValue(path, NUMBER, num=float(value), top=top)
    if isinstance(value, str):
        return IndexedValue(path, STRING if _plain_text(value) else OPAQUE,
                            text=value if _plain_text(value) else None, top=top)
    if isinstance(value, dict):
        return IndexedValue(path, DICT, top=top)
    if isinstance(value, list):
        return IndexedValue(path, LIST, top=top)
    return IndexedValue(path, OPAQUE, top=top)


def blocking_paths(paths: frozenset[str]) -> tuple[list[str], list[str]]:
    """Where a complex value makes a plan inexact: (paths whose own value must be simple,
    their prefixes, which must not hold an OPAQUE marker)."""
    prefixes: set[str] = set()
    for path in paths:
        parts = path.split(".")
        prefixes.update(".".join(parts[:i]) for i in range(2, len(parts)))
    return sorted(paths), sorted(prefixes - set(paths))


_SURROGATE = re.compile("[\ud800-\udfff]")


def _plain_text(value: str) -> bool:
    # MySQL pads trailing spaces in comparisons and indexes only a prefix: keep those out;
    # a lone surrogate (a JSON escape UTF-8 cannot carry) cannot be stored at all
    return len(value) <= MAX_TEXT and not value.endswith(" ") and \
        (value.isascii() or not _SURROGATE.search(value))


# --- plans ------------------------------------------------------------------------------
# An expression is one of
#   ("true",) ("false",) ("and", [e...]) ("or", [e...]) ("not", e)
#   ("col", column, op, arg)   op in eq gt gte lt lte; arg a str or None (eq only)
#   ("val", path, op, arg)     op in eq gt gte lt lte exists; arg as in run_filters


@dataclass(frozen=True)
class Order:
    kind: str  # "created", "col" or "val"
    name: str  # column name or value path
    descending: bool


@dataclass(frozen=True)
class Plan:
    where: tuple[Any, ...]
    order: Order
    paths: frozenset[str]  # value paths the plan reads (complex values there: no plan)


def plan(filters: dict[str, Any], order: str | None) -> Plan | None:
    """A plan for `filters` and `order` as run_filters means them, or None."""
    paths: set[str] = set()
    where = _plan_query(filters, paths)
    sort = _plan_order(order, paths)
    if where is None or sort is None or not _fits_sql(where):
        return None
    return Plan(where=where, order=sort, paths=frozenset(paths))


def _fits_sql(where: tuple[Any, ...]) -> bool:
    """Whether an expression is small enough for every database's parser: SQLite refuses
    an expression tree deeper than 1,000 (a long OR is as deep as it is long)."""
    pending: list[tuple[Any, int]] = [(where, 1)]
    terms = 0
    while pending:
        node, depth = pending.pop()
        terms += 1
        if terms > MAX_PLAN_TERMS or depth > MAX_PLAN_DEPTH:
            return False
        if node[0] in ("and", "or"):
            pending.extend((sub, depth + 1) for sub in node[1])
        elif node[0] == "not":
            pending.append((node[1], depth + 1))
    return True


def value_path(name: str) -> str | None:
    """config.x / summary_metrics.x.y as an indexed path, or None if it is not one."""
    head, _, rest = name.partition(".")
    if not rest or rest.startswith("_"):
        return None
    parts = rest.split(".")
    if any(not p for p in parts):
        return None
    if head == "config":
        if len(parts) > 1 and parts[1] == "value":
            return None  # means something else when the value was not wrapped
        source = "config"
    elif head in SUMMARY_HEADS:
        source = "summary"
    else:
        return None
    path = f"{source}.{rest}"
    return path if len(path) <= MAX_PATH else None


def _plan_query(query: Any, paths: set[str]) -> tuple[Any, ...] | None:
    if not isinstance(query, dict):
        return None
    parts: list[tuple[Any, ...]] = []
    for key, cond in query.items():
        if key in ("$and", "$or", "$nor"):
            if not isinstance(cond, list) or not all(isinstance(q, dict) for q in cond):
                return None
            subs = [_plan_query(q, paths) for q in cond]
            if any(s is None for s in subs):
                return None
            if key == "$and":
                parts.append(("and", subs))
            elif key == "$or":
                parts.append(("or", subs))
            else:
                parts.append(("not", ("or", subs)))
        elif key.startswith("$"):
            return None
        else:
            field = _plan_field(key, cond, paths)
            if field is None:
                return None
            parts.append(field)
    return ("and", parts)


def _plan_field(name: str, cond: Any, paths: set[str]) -> tuple[Any, ...] | None:
    if name in COLUMNS:
        target: tuple[str, str] = ("col", COLUMNS[name])
    else:
        path = value_path(name)
        if path is None:
            return None
        paths.add(path)
        target = ("val", path)
    if isinstance(cond, dict) and cond and all(k.startswith("$") for k in cond):
        ops = [_plan_op(target, op, arg, paths) for op, arg in cond.items()]
        if any(o is None for o in ops):
            return None
        return ("and", ops)
    return _plan_eq(target, cond)


def _plan_eq(target: tuple[str, str], arg: Any) -> tuple[Any, ...] | None:
    if isinstance(arg, str):
        return (*target, "eq", arg) if _plain_text(arg) else None
    if target[0] == "col":
        return (*target, "eq", None) if arg is None else ("false",)  # columns hold text
    if arg is None or isinstance(arg, bool):
        return (*target, "eq", arg)
    if isinstance(arg, int | float):
        if isinstance(arg, float) and not math.isfinite(arg) or abs(arg) >= _INT_LIMIT:
            return None
        return (*target, "eq", arg)
    return None  # lists and dicts: leave to the evaluator


def _plan_op(target: tuple[str, str], op: str, arg: Any,
             paths: set[str]) -> tuple[Any, ...] | None:
    if op == "$eq":
        return _plan_eq(target, arg)
    if op == "$ne":
        eq = _plan_eq(target, arg)
        return None if eq is None else ("not", eq)
    if op in ("$gt", "$gte", "$lt", "$lte"):
        if isinstance(arg, bool) or not isinstance(arg, int | float | str):
            return ("false",)
        if isinstance(arg, str) and not _plain_text(arg):
            return None
        if isinstance(arg, float) and not math.isfinite(arg) or \
                not isinstance(arg, str) and abs(arg) >= _INT_LIMIT:
            return None
        if target[0] == "col" and not isinstance(arg, str):
            return ("false",)
        return (*target, op[1:], arg)
    if op in ("$in", "$nin"):
        if not isinstance(arg, list):
            return ("false",)
        eqs = [_plan_eq(target, a) for a in arg]
        if any(e is None for e in eqs):
            return None
        return ("or", eqs) if op == "$in" else ("not", ("or", eqs))
    if op == "$exists":
        if target[0] == "col":
            return None
        return (*target, "exists", bool(arg))
    if op == "$not":
        inner = _plan_field_target(target, arg, paths)
        return None if inner is None else ("not", inner)
    return None


def _plan_field_target(target: tuple[str, str], cond: Any,
                       paths: set[str]) -> tuple[Any, ...] | None:
    if isinstance(cond, dict) and cond and all(k.startswith("$") for k in cond):
        ops = [_plan_op(target, op, arg, paths) for op, arg in cond.items()]
        return None if any(o is None for o in ops) else ("and", ops)
    return _plan_eq(target, cond)


def _plan_order(order: str | None, paths: set[str]) -> Order | None:
    text = (order or "+created_at").strip()
    descending = text.startswith("-")
    key = text.lstrip("+-") or "created_at"
    if key in CREATED:
        return Order("created", "created_at", descending)
    if key in COLUMNS:
        return Order("col", COLUMNS[key], descending)
    path = value_path(key)
    if path is None:
        return None
    paths.add(path)
    return Order("val", path, descending)
