"""The workspace's system panels: a system metric the client samples (CPU, memory, GPU,
disk, network: `system.cpu`, `system.gpu.0.temp`, …) over the visible runs, from each run's
events stream, on relative or wall time (the events stream has no steps), with its unit.
Downsampled and grouped as the line panel's runs are; the page draws them with the line
panel's renderer (`static/ui/panel_system.js`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from wbserver.domain.chart_data import SeriesQuery, drawable, system_columns
from wbserver.domain.history_codec import flatten
from wbserver.domain.line_panel import MAX_BUCKETS, buckets_for, groups, sample_runs
from wbserver.domain.models import Run
from wbserver.domain.panels import PanelQuery, PanelSource, register_panel_kind
from wbserver.domain.run_environment import system_unit

if TYPE_CHECKING:
    import numpy as np
else:
    from wbserver.domain.lazy_numpy import np

SECTION = "system"


def system_keys(run: Run) -> list[str]:
    """The system metrics in the run's latest events line (the run keeps it as its
    `system_metrics`): numeric keys, not the `_runtime`/`_timestamp` bookkeeping."""
    try:
        row = orjson.loads(run.system_metrics or "{}")
    except orjson.JSONDecodeError:
        return []  # NaN or Infinity in the line: the panels read the stream itself
    if not isinstance(row, dict):
        return []
    return [k for k, v in flatten(row).items() if not k.startswith("_")
            and isinstance(v, int | float) and not isinstance(v, bool)]


def system_panel(source: PanelSource, runs: list[Run], query: PanelQuery) -> dict[str, Any]:
    """{"buckets", "units": {key: unit}, "keys": {key: {"runs": [{name, x, y, …}]} or
    {"groups": […]}}}: the line panel's shape, x being `runtime` (or `wall`)."""
    buckets = buckets_for(len(runs))
    if query.x_min is not None or query.x_max is not None:
        buckets = min(MAX_BUCKETS, buckets * 4)
    series = SeriesQuery(keys=query.keys, x_min=query.x_min, x_max=query.x_max,
                         buckets=buckets)
    x_key = "_timestamp" if query.x_axis == "wall" else "_runtime"
    shown: dict[str, list[tuple[Run, np.ndarray, np.ndarray, int]]] = {k: [] for k in query.keys}
    with_events = [r for r in runs if r.events_line_count]
    chunks = source.store.read_chunks_of_runs([r.id for r in with_events], "events")
    for run in with_events:
        columns = system_columns(source.store, run, x_key, set(query.keys), chunks[run.id])
        for key, (xs, ys) in columns.items():
            xs, ys, not_finite = drawable(xs, ys, series)
            if len(xs) or not_finite:
                shown[key].append((run, xs, ys, not_finite))
    out: dict[str, Any] = {}
    for key in query.keys:
        lines = sample_runs(shown[key], buckets)
        out[key] = {"groups": groups(runs, lines, query.group_by, buckets)} if query.group_by \
            else {"runs": lines}
    return {"buckets": buckets, "units": {k: system_unit(k) for k in query.keys},
            "keys": out}


register_panel_kind("system", system_panel)
