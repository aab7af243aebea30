"""The project page's runs table: search, filters, sort and pages over a project's runs,
with config and summary keys as columns. Filters reuse the client's filter language
(`run_filters`), so the table and `wandb.Api().runs(filters=…)` agree."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from wbserver.domain.clock import utcnow
from wbserver.domain.media import describe
from wbserver.domain.models import RUN_STATES, RUNNING, Project, Run
from wbserver.domain.run_filters import RunView, check_filter, sort_runs
from wbserver.domain.run_query import SUMMARY_AGGREGATES, plan
from wbserver.errors import InvalidInput
from wbserver.ports import MetadataStore

PAGE_SIZE = 50
DEFAULT_EXTRA_COLUMNS = 6  # config and summary keys shown when none were chosen
OPERATORS = {"=": "$eq", "!=": "$ne", ">": "$gt", ">=": "$gte", "<": "$lt", "<=": "$lte",
             "~": "$regex"}
FIXED_SORTS = {"name": "display_name", "state": "state", "created": "created_at",
               "runtime": "duration", "user": "username"}


@dataclass(frozen=True)
class Condition:
    path: str  # config.<key> or summary.<key>
    op: str  # a key of OPERATORS
    value: str


@dataclass(frozen=True)
class RunQuery:
    search: str = ""
    states: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    conditions: tuple[Condition, ...] = ()
    sort: str = "created"
    descending: bool = True
    page: int = 1
    page_size: int = PAGE_SIZE
    columns: tuple[str, ...] | None = None  # None: the defaults


@dataclass
class RunTable:
    rows: list[dict[str, Any]]
    total: int
    project_total: int
    page: int
    pages: int
    columns: list[str]
    config_keys: list[str]
    summary_keys: list[str]
    tags: list[str]
    any_running: bool
    query: RunQuery = field(default_factory=RunQuery)


def parse_run_query(params: list[tuple[str, str]]) -> RunQuery:
    """From a query string: q, state (repeated), tag (repeated), fk/fo/fv (repeated
    condition triples), sort, desc, page, col (repeated)."""
    single = {k: v for k, v in params}
    many: dict[str, list[str]] = {}
    for k, v in params:
        many.setdefault(k, []).append(v)
    states = tuple(s for s in many.get("state", []) if s)
    for state in states:
        if state not in RUN_STATES:
            raise InvalidInput(f"state must be one of {', '.join(RUN_STATES)}")
    conditions = []
    for path, op, value in zip(many.get("fk", []), many.get("fo", []), many.get("fv", []),
                               strict=False):
        if not path:
            continue
        if op not in OPERATORS:
            raise InvalidInput(f"filter operator must be one of {' '.join(OPERATORS)}")
        if not path.startswith(("config.", "summary.")):
            raise InvalidInput("a filter key starts with config. or summary.")
        conditions.append(Condition(path, op, value))
    sort = single.get("sort") or "created"
    if sort not in FIXED_SORTS and not sort.startswith(("config.", "summary.")):
        raise InvalidInput(f"cannot sort by {sort!r}")
    try:
        page = max(1, int(single.get("page") or 1))
    except ValueError:
        raise InvalidInput("page must be a number") from None
    columns = tuple(c for c in many.get("col", []) if c) if "col" in many else None
    return RunQuery(search=(single.get("q") or "").strip(), states=states,
                    tags=tuple(t for t in many.get("tag", []) if t),
                    conditions=tuple(conditions), sort=sort,
                    descending=single.get("desc", "1" if sort == "created" else "") == "1",
                    page=page, columns=columns)


def _typed(text: str) -> Any:
    """A filter value: a JSON number, boolean or null when it reads as one, else the text."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, int | float | bool) or value is None else text


def mongo_filter(query: RunQuery) -> dict[str, Any]:
    """The query as the client's filter language."""
    parts: list[dict[str, Any]] = []
    if query.search:
        pattern = "(?i)" + re.escape(query.search)
        parts.append({"$or": [{"display_name": {"$regex": pattern}},
                              {"name": {"$regex": pattern}}]})
    if query.states:
        parts.append({"state": {"$in": list(query.states)}})
    parts.extend({"tags": tag} for tag in query.tags)
    for cond in query.conditions:
        head, _, rest = cond.path.partition(".")
        path = f"{'config' if head == 'config' else 'summary_metrics'}.{rest}"
        value: Any = cond.value if cond.op == "~" else _typed(cond.value)
        if cond.op == "~":
            value = "(?i)" + re.escape(cond.value)
        parts.append({path: {OPERATORS[cond.op]: value}})
    return {"$and": parts} if parts else {}


def _order(query: RunQuery) -> str:
    key = FIXED_SORTS.get(query.sort)
    if key is None:
        head, _, rest = query.sort.partition(".")
        key = f"{'config' if head == 'config' else 'summary_metrics'}.{rest}"
    return ("-" if query.descending else "+") + key


class _ParsedView(RunView):
    """A RunView whose config and summary were parsed once, up front (orjson)."""

    def __init__(self, run: Run, config: dict[str, Any], summary: dict[str, Any]) -> None:
        super().__init__(run)
        self._config = config
        self._summary = summary


def _loads(text: str | None) -> dict[str, Any]:
    try:
        value = orjson.loads(text or "{}")
    except orjson.JSONDecodeError:  # NaN or Infinity, which Python clients write
        value = json.loads(text or "{}")
    return value if isinstance(value, dict) else {}


def run_table(store: MetadataStore, project: Project, query: RunQuery) -> RunTable:
    wanted = mongo_filter(query)
    keep = check_filter(wanted)
    planned = plan(wanted, _order(query))
    if planned is not None:  # filtered, sorted and paged in the database
        total = store.count_runs(project.id, planned)
        if total is not None:
            pages = max(1, -(-total // query.page_size))
            page = min(query.page, pages)
            found = store.search_runs(project.id, planned, offset=(page - 1) * query.page_size,
                                      limit=query.page_size)
            if found is not None:
                config_keys, summary_keys = store.project_value_keys(project.id)
                shown = [_ParsedView(r, _loads(r.config), _loads(r.summary)) for r in found]
                return _table(query, shown, total=total, page=page, pages=pages,
                              project_total=store.project_run_count(
                                  project.id, mark=project.updated_at),
                              keys=(config_keys, summary_keys, store.project_tags(project.id)))
    runs = store.list_runs(project.id)
    views = [_ParsedView(r, _loads(r.config), _loads(r.summary)) for r in runs]
    keys = _discover(views)
    if wanted:
        views = [v for v in views if keep(v)]
    ordered = sort_runs(views, _order(query))
    pages = max(1, -(-len(ordered) // query.page_size))
    page = min(query.page, pages)
    shown = ordered[(page - 1) * query.page_size: page * query.page_size]
    return _table(query, shown, total=len(ordered), page=page, pages=pages,
                  project_total=len(runs), keys=keys)


def _table(query: RunQuery, shown: list[_ParsedView], *, total: int, page: int, pages: int,
           project_total: int, keys: tuple[list[str], list[str], list[str]]) -> RunTable:
    """`keys`: config and summary keys ordered by how many runs have them (most first):
    the default columns are the keys most runs share; the form lists them by name."""
    config_keys, summary_keys, tags = keys
    columns = list(query.columns) if query.columns is not None else \
        [f"config.{k}" for k in config_keys[:DEFAULT_EXTRA_COLUMNS]] + \
        [f"summary.{k}" for k in summary_keys[:DEFAULT_EXTRA_COLUMNS]]
    now = utcnow()
    return RunTable(rows=[table_row(v, columns, now) for v in shown], total=total,
                    project_total=project_total, page=page, pages=pages, columns=columns,
                    config_keys=sorted(config_keys), summary_keys=sorted(summary_keys),
                    tags=tags, any_running=any(v.run.state == RUNNING for v in shown),
                    query=query)


def _discover(views: list[_ParsedView]) -> tuple[list[str], list[str], list[str]]:
    config: dict[str, int] = {}
    summary: dict[str, int] = {}
    tags: set[str] = set()
    for view in views:
        for k in view._config or ():
            config[k] = config.get(k, 0) + 1
        for k in summary_columns(view._summary or {}):
            summary[k] = summary.get(k, 0) + 1
        tags.update(view.run.tags)

    def ordered(counts: dict[str, int]) -> list[str]:
        return sorted((k for k in counts if not k.startswith("_")),
                      key=lambda k: (-counts[k], k))
    return ordered(config), ordered(summary), sorted(tags)


def summary_columns(summary: dict[str, Any]) -> list[str]:
    """A summary's column keys: plain values, and the aggregates `define_metric(summary=…)`
    keeps as `val/acc.max` (never a media value's fields)."""
    out = []
    for key, value in summary.items():
        if not isinstance(value, dict | list):
            out.append(key)
        elif isinstance(value, dict) and "_type" not in value:
            out.extend(f"{key}.{agg}" for agg, inner in value.items()
                       if agg in SUMMARY_AGGREGATES and isinstance(inner, int | float)
                       and not isinstance(inner, bool))
    return out


def runtime_seconds(run: Run, now: datetime | None = None) -> float:
    end = run.finished_at or (now if run.state == RUNNING and now else run.heartbeat_at)
    return max(0.0, (end - run.created_at).total_seconds())


def format_duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60}s"
    if seconds < 86400:
        return f"{seconds // 3600}h {seconds % 3600 // 60}m"
    return f"{seconds // 86400}d {seconds % 86400 // 3600}h"


_SURROGATE = re.compile("[\ud800-\udfff]")


def format_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):  # a diverged loss: shown, never an error
            return "NaN" if math.isnan(value) else "∞" if value > 0 else "-∞"
        return f"{value:.6g}"
    if isinstance(value, dict) and isinstance(value.get("_type"), str):
        return displayable(describe(value))
    if isinstance(value, dict | list):
        text = json.dumps(value, separators=(",", ":"))
        return displayable(text if len(text) <= 60 else text[:59] + "…")
    return displayable(str(value))


def displayable(text: str) -> str:
    """Text a page can carry: a lone surrogate (which JSON's escapes can hold but UTF-8
    cannot) becomes U+FFFD."""
    return text if text.isascii() else _SURROGATE.sub("\ufffd", text)


def table_row(view: RunView, columns: list[str], now: datetime) -> dict[str, Any]:
    run = view.run
    cells = {}
    for column in columns:
        head, _, rest = column.partition(".")
        value = view.get(f"{'config' if head == 'config' else 'summary_metrics'}.{rest}")
        cells[column] = "" if value is None or type(value) is object else format_value(value)
    return {
        "name": run.name, "display_name": run.display_name or run.name, "state": run.state,
        "created": run.created_at.strftime("%Y-%m-%d %H:%M"),
        "created_iso": run.created_at.isoformat() + "Z",
        "runtime": format_duration(runtime_seconds(run, now)), "user": run.username or "",
        "tags": list(run.tags), "cells": cells,
    }
