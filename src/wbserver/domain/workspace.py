"""The project workspace: the runs list (all runs, newest first, with what grouping and
filtering need), every logged key sorted into sections by its prefix, the system metrics the
client samples (a `system` section, with units), the x axes each metric asked for
(`define_metric(step_metric=…)`), and the viewer's saved layout."""

from __future__ import annotations

import fnmatch
from typing import Any

import orjson

from wbserver.domain.chart_data import X_KEYS
from wbserver.domain.clock import iso, utcnow
from wbserver.domain.compare import distinct_colours
from wbserver.domain.json_text import loads
from wbserver.domain.media import custom_charts
from wbserver.domain.models import Project, Run, User
from wbserver.domain.panels import BANDS, panel_kinds
from wbserver.domain.permissions import readable_project
from wbserver.domain.run_environment import system_unit
from wbserver.domain.system_panel import SECTION as SYSTEM, system_keys
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


def _scalar_config(run: Run) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in loads(run.config or "{}").items():
        if key.startswith("_"):
            continue
        if isinstance(value, dict) and "value" in value:
            value = value["value"]
        if value is None or isinstance(value, str | int | float | bool):
            out[key] = value
    return out


def step_metrics(config: dict[str, Any]) -> dict[str, str]:
    """{metric or glob: its x axis key} from the definitions the client keeps in
    config `_wandb.m` (MetricRecord as a dict of field numbers: 1 name, 2 glob, 4 step
    metric, 5 the step metric's 1-based index in the list)."""
    wandb = config.get("_wandb")
    value = wandb.get("value") if isinstance(wandb, dict) else None
    records = value.get("m") if isinstance(value, dict) else None
    if not isinstance(records, list):
        return {}
    names = [r.get("1") or r.get("2") if isinstance(r, dict) else None for r in records]
    out: dict[str, str] = {}
    for record in records:
        if not isinstance(record, dict):
            continue
        name = record.get("1") or record.get("2")
        step = record.get("4")
        index = record.get("5")
        if not step and isinstance(index, int) and 0 < index <= len(names):
            step = names[index - 1]
        if isinstance(name, str) and isinstance(step, str) and step:
            out[name] = step
    return out


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
    found = _project(store, viewer, entity, project)
    runs = sorted(store.list_runs(found.id), key=lambda r: r.created_at, reverse=True)
    colours = distinct_colours([r.name for r in runs])
    metrics: dict[str, int] = {}
    media: dict[str, str] = {}
    defined: dict[str, str] = {}
    config_keys: set[str] = set()
    charts: dict[str, str] = {}  # custom chart key -> its title
    chart_tables: set[str] = set()
    system: dict[str, int] = {}
    listed = []
    for run in runs:
        for key in system_keys(run):
            system[key] = system.get(key, 0) + 1
        kinds: dict[str, dict[str, int]] = orjson.loads(run.history_keys or "{}")
        for key, types in kinds.items():
            if key.startswith("_") or key in X_KEYS:
                continue
            if types.get("number"):
                metrics[key] = metrics.get(key, 0) + 1
            else:
                other = [t for t in types if t not in ("nil", "number")]
                if other:
                    media.setdefault(key, other[0])
        for chart in custom_charts(run):
            charts.setdefault(chart["key"], chart["strings"].get("title") or chart["key"])
            chart_tables.add(chart["tableKey"])
        config = loads(run.config or "{}")
        defined.update(step_metrics(config))
        scalars = _scalar_config(run)
        config_keys.update(scalars)
        listed.append({"name": run.name, "displayName": run.display_name or run.name,
                       "state": run.state, "colour": colours[run.name],
                       "group": run.group_name or "", "jobType": run.job_type or "",
                       "user": run.username or "", "createdAt": iso(run.created_at),
                       "tags": list(run.tags), "config": scalars})
    keys = sorted(metrics, key=lambda k: (section_of(k), k))
    layout = store.workspace_layout(viewer.id, found.id)
    return {
        "entity": found.entity_name, "project": found.name, "runs": listed,
        "defaultVisible": DEFAULT_VISIBLE,
        "metrics": [{"key": k, "section": section_of(k), "runs": metrics[k],
                     "xAxis": x_axis_for(k, defined)} for k in keys],
        "media": [{"key": k, "section": section_of(k), "type": t}
                  for k, t in sorted(media.items()) if k not in chart_tables],
        "charts": [{"key": k, "section": "custom charts", "title": title}
                   for k, title in sorted(charts.items())],
        "system": [{"key": k, "section": SYSTEM, "runs": n, "unit": system_unit(k)}
                   for k, n in sorted(system.items())],
        "configKeys": sorted(config_keys), "panelKinds": panel_kinds(),
        "layout": orjson.loads(layout) if layout else None,
    }


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
