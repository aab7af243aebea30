"""The project workspace: the runs list (the newest runs first; more a page at a time),
every logged key sorted into sections by its prefix (from the project's key index), the
system metrics the client samples (a `system` section, with units), the x axes each metric asked for
(`define_metric(step_metric=…)`), and the viewer's saved layout."""

from __future__ import annotations

import fnmatch
from typing import Any

import orjson

from wbserver.domain.clock import utcnow
from wbserver.domain.models import Project, ProjectKey, User
from wbserver.domain.panels import BANDS, panel_kinds
from wbserver.domain.permissions import readable_project
from wbserver.domain.project_keys import (
    CHART,
    CHART_TABLE,
    CONFIG,
    MEDIA,
    METRIC,
    STEP,
    SYSTEM as SYSTEM_KIND,
)
from wbserver.domain.run_environment import system_unit
from wbserver.domain.system_panel import SECTION as SYSTEM
from wbserver.domain.workspace_runs import PAGE_LIMIT, listed_runs, page_of_runs
from wbserver.errors import InvalidInput, NotFound
from wbserver.ports import MetadataStore

DEFAULT_VISIBLE = 200  # the newest runs are shown until the viewer picks others
MAX_LAYOUT_BYTES = 64 * 1024
_LAYOUT_LISTS = {"visible": 5000, "collapsed": 200, "groupBy": 8}


def _project(store: MetadataStore, viewer: User | None, entity: str,
             project: str) -> Project:
    found = readable_project(store, viewer=viewer, entity=entity, project=project)
    if found is None:
        raise NotFound(f"project {entity}/{project} not found")
    return found


def x_axis_for(key: str, defined: dict[str, str]) -> str | None:
    if key in defined:
        return defined[key]
    for pattern, step in defined.items():
        if any(c in pattern for c in "*?[") and fnmatch.fnmatchcase(key, pattern):
            return step
    return None


def section_of(key: str) -> str:
    head, slash, _rest = key.partition("/")
    return head if slash and head else "charts"


def workspace_overview(store: MetadataStore, *, viewer: User, entity: str,
                       project: str) -> dict[str, Any]:
    """The keys from the project's key index (project_keys.py); the newest DEFAULT_VISIBLE
    runs, and the runs the saved layout shows, with the number of runs in all (the list
    asks for more a page at a time: workspace_runs.py)."""
    found = _project(store, viewer, entity, project)
    index: dict[str, dict[str, ProjectKey]] = {}
    for row in store.project_keys(found.id):
        index.setdefault(row.kind, {})[row.key] = row
    defined = {k: row.detail for k, row in index.get(STEP, {}).items()}
    metrics = index.get(METRIC, {})
    chart_tables = index.get(CHART_TABLE, {})
    keys = sorted(metrics, key=lambda k: (section_of(k), k))
    layout = store.workspace_layout(viewer.id, found.id)
    saved = orjson.loads(layout) if layout else None
    runs, total = page_of_runs(store, found, limit=DEFAULT_VISIBLE)
    newest = list(runs)
    listed = {r.name for r in runs}
    named = saved.get("visible") if isinstance(saved, dict) else None
    wanted = [n for n in named or () if isinstance(n, str) and n not in listed]
    if wanted:  # shown by the saved layout but not among the newest: listed too
        runs += sorted(store.runs_named(found.id, wanted), key=lambda r: r.created_at,
                       reverse=True)
    return {
        "entity": found.entity_name, "project": found.name,
        "runs": listed_runs(store, found, runs, newest=newest), "runCount": total,
        "defaultVisible": DEFAULT_VISIBLE, "pageLimit": PAGE_LIMIT,
        "metrics": [{"key": k, "section": section_of(k), "runs": metrics[k].runs,
                     "xAxis": x_axis_for(k, defined)} for k in keys],
        "media": [{"key": k, "section": section_of(k), "type": row.detail}
                  for k, row in sorted(index.get(MEDIA, {}).items()) if k not in chart_tables],
        "charts": [{"key": k, "section": "custom charts", "title": row.detail}
                   for k, row in sorted(index.get(CHART, {}).items())],
        "system": [{"key": k, "section": SYSTEM, "runs": row.runs, "unit": system_unit(k)}
                   for k, row in sorted(index.get(SYSTEM_KIND, {}).items())],
        "configKeys": sorted(index.get(CONFIG, {})), "panelKinds": panel_kinds(),
        "layout": saved,
    }


def workspace_runs(store: MetadataStore, *, viewer: User, entity: str, project: str,
                   search: str, state: str, offset: int, limit: int) -> dict[str, Any]:
    """One page of the workspace's runs list (newest first, searched and filtered)."""
    found = _project(store, viewer, entity, project)
    runs, total = page_of_runs(store, found, search=search, state=state, offset=offset,
                               limit=limit)
    return {"runs": listed_runs(store, found, runs), "total": total, "offset": offset}


def save_layout(store: MetadataStore, *, viewer: User, entity: str, project: str,
                body: bytes) -> dict[str, Any]:
    found = _project(store, viewer, entity, project)
    layout = check_layout(body)
    store.save_workspace_layout(viewer.id, found.id, orjson.dumps(layout).decode(), utcnow())
    return layout


def check_layout(body: bytes) -> dict[str, Any]:
    """The layout document, checked field by field (a clear message for the first wrong)."""
    if len(body) > MAX_LAYOUT_BYTES:
        raise InvalidInput(f"a layout is at most {MAX_LAYOUT_BYTES // 1024} KiB")
    try:
        layout = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise InvalidInput("the layout is not JSON") from None
    if not isinstance(layout, dict):
        raise InvalidInput("the layout is a JSON object")
    checks = {
        "version": lambda v: v == 1,
        "xAxis": lambda v: isinstance(v, str) and 0 < len(v) <= 256,
        "smoothing": lambda v: isinstance(v, int | float) and not isinstance(v, bool)
        and 0 <= v < 1,
        "logY": lambda v: isinstance(v, bool),
        "band": lambda v: v in BANDS,
        "visible": lambda v: v is None or _strings(v, _LAYOUT_LISTS["visible"]),
        "collapsed": lambda v: _strings(v, _LAYOUT_LISTS["collapsed"]),
        "groupBy": lambda v: _strings(v, _LAYOUT_LISTS["groupBy"]),
        "colours": lambda v: isinstance(v, dict) and len(v) <= 5000 and all(
            isinstance(c, str) and len(c) == 7 and c[0] == "#" and _hex(c[1:])
            for c in v.values()),
        "panels": _panels,
    }
    for key, value in layout.items():
        check = checks.get(key)
        if check is None:
            raise InvalidInput(f"unknown layout field {key!r} (known: {', '.join(checks)})")
        if not check(value):
            raise InvalidInput(f"layout field {key!r} has a wrong value")
    return layout


def _strings(value: Any, most: int) -> bool:
    return isinstance(value, list) and len(value) <= most and all(
        isinstance(s, str) and len(s) <= 512 for s in value)


def _hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text)


def _panels(value: Any) -> bool:
    """Panels the viewer added: [{"id", "kind", "section", "keys", "title"?}]."""
    if not isinstance(value, list) or len(value) > 200:
        return False
    for panel in value:
        if not isinstance(panel, dict) or set(panel) - {"id", "kind", "section", "keys",
                                                        "title", "xAxis"}:
            return False
        if not all(isinstance(panel.get(k), str) and 0 < len(panel[k]) <= 256
                   for k in ("id", "kind", "section")):
            return False
        if not _strings(panel.get("keys"), 16) or not panel["keys"]:
            return False
        if not all(isinstance(panel.get(k, ""), str) and len(panel.get(k, "")) <= 256
                   for k in ("title", "xAxis")):
            return False
    return True
