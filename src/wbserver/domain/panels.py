"""Workspace panels: one registry of panel kinds, each a reader that turns the visible runs
and a query into the JSON its renderer (`web/static/ui/panel_<kind>.js`) draws. A new kind (image,
table, histogram, custom chart) is one module named `domain/<name>_panel.py` that calls
`register_panel_kind` (found and imported on first use); the page
asks `/_ui/<entity>/<project>/panels/<kind>?keys=…&runs=…&x=…` and gets
`{"kind": kind, "keys": {key: <whatever the kind's reader returns>}}`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from wbserver.domain.media import ViewLink
from wbserver.domain.models import Run, User
from wbserver.domain.permissions import readable_project
from wbserver.errors import InvalidInput, NotFound
from wbserver.ports import MetadataStore

MAX_PANEL_RUNS = 500
MAX_PANEL_KEYS = 16
GROUP_FIELDS = ("group", "job_type")
BANDS = ("minmax", "stddev", "stderr")


@dataclass(frozen=True)
class PanelQuery:
    kind: str
    keys: tuple[str, ...]
    runs: tuple[str, ...]  # run names (ids), in the order the page lists them
    x_axis: str = "step"  # step | runtime | wall | any numeric history key
    x_min: float | None = None
    x_max: float | None = None
    group_by: tuple[str, ...] = ()  # "group", "job_type", "config.<key>"
    params: dict[str, str] = field(default_factory=dict)  # the rest, for a kind's reader


@dataclass(frozen=True)
class PanelSource:
    """What a reader may read: the metadata store, and how to link a run's files for the
    page (kinds that show files: images, audio, video); None: the page uses the file route."""
    store: MetadataStore
    view_link: ViewLink | None = None


PanelReader = Callable[[PanelSource, list[Run], PanelQuery], dict[str, Any]]
_KINDS: dict[str, PanelReader] = {}


def register_panel_kind(kind: str, reader: PanelReader) -> None:
    _KINDS[kind] = reader


def panel_kinds() -> list[str]:
    _load_builtin()
    return sorted(_KINDS)


def _load_builtin() -> None:
    """Import every `domain/*_panel.py` once: each registers its kind (line_panel: "line")."""
    if _LOADED:
        return
    import importlib
    import pkgutil

    import wbserver.domain as package

    for module in pkgutil.iter_modules(package.__path__):
        if module.name.endswith("_panel"):
            importlib.import_module(f"wbserver.domain.{module.name}")
    _LOADED.append(True)


_LOADED: list[bool] = []


def parse_panel_query(kind: str, params: list[tuple[str, str]]) -> PanelQuery:
    single = dict(params)
    keys = tuple(k for k in (single.get("keys") or "").split(",") if k)
    if not keys:
        raise InvalidInput("keys: name at least one key")
    if len(keys) > MAX_PANEL_KEYS:
        raise InvalidInput(f"at most {MAX_PANEL_KEYS} keys per panel")
    runs = tuple(dict.fromkeys(v for k, v in params if k == "runs" and v))
    if len(runs) > MAX_PANEL_RUNS:
        raise InvalidInput(f"a panel shows at most {MAX_PANEL_RUNS} runs")
    group_by = tuple(g for g in (single.get("group") or "").split(",") if g)
    for g in group_by:
        if g not in GROUP_FIELDS and not (g.startswith("config.") and len(g) > 7):
            raise InvalidInput("group by group, job_type or config.<key>")
    x_axis = single.get("x") or "step"
    if len(x_axis) > 256:
        raise InvalidInput("x: a key of at most 256 characters")
    return PanelQuery(kind=kind, keys=keys, runs=runs, x_axis=x_axis,
                      x_min=_number(single.get("min"), "min"),
                      x_max=_number(single.get("max"), "max"), group_by=group_by,
                      params={k: v for k, v in single.items()
                              if k not in ("keys", "runs", "x", "min", "max", "group")})


def _number(text: str | None, name: str) -> float | None:
    if text in (None, ""):
        return None
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(f"{name} must be a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidInput(f"{name} must be finite")
    return value


def panel_data(store: MetadataStore, *, viewer: User | None, entity: str, project: str,
               query: PanelQuery, view_link: ViewLink | None = None) -> dict[str, Any]:
    _load_builtin()
    reader = _KINDS.get(query.kind)
    if reader is None:
        raise NotFound(f"no panel kind {query.kind!r} (known: {', '.join(sorted(_KINDS))})")
    found = readable_project(store, viewer=viewer, entity=entity, project=project)
    if found is None:
        raise NotFound(f"project {entity}/{project} not found")
    wanted = set(query.runs)
    runs = [r for r in store.list_runs(found.id) if r.name in wanted]
    order = {name: i for i, name in enumerate(query.runs)}
    runs.sort(key=lambda r: order[r.name])
    return {"kind": query.kind, "x": query.x_axis,
            **reader(PanelSource(store, view_link), runs, query)}
