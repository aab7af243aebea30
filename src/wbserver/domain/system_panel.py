"""The workspace's system panels: a system metric the client samples (CPU, memory, GPU,
disk, network: `system.cpu`, `system.gpu.0.temp`, …) over the visible runs, from each run's
events stream, on relative or wall time (the events stream has no steps), with its unit.
Downsampled and grouped as the line panel's runs are; the page draws them with the line
panel's renderer (`static/ui/panel_system.js`).

Parsing the events of 200 runs costs about half a second of CPU, so each process keeps the
columns of the runs it drew last (`ColumnCache`, a byte budget): a run's entry is found again
only while its events line count and last update are the same, so a live run is read anew
and a finished one is parsed once."""

from __future__ import annotations

import threading
from collections import OrderedDict
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

    Columns = dict[str, tuple[np.ndarray, np.ndarray]]
else:
    from wbserver.domain.lazy_numpy import np

SECTION = "system"


class ColumnCache:
    """Runs' system columns by (run id, events line count, last update, x key), least
    recently used dropped first once their arrays pass BUDGET bytes."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._entries: OrderedDict[tuple[Any, ...], tuple[Columns, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @staticmethod
    def key(run: Run, x_key: str) -> tuple[Any, ...]:
        return (run.id, run.events_line_count, run.updated_at, x_key)

    def get(self, key: tuple[Any, ...]) -> Columns | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found[0]

    def put(self, key: tuple[Any, ...], columns: Columns) -> None:
        size = sum(xs.nbytes + ys.nbytes for xs, ys in columns.values())
        if size > self.budget:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            self._bytes += size - (old[1] if old else 0)
            self._entries[key] = (columns, size)
            while self._bytes > self.budget:
                _key, (_columns, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped


CACHE = ColumnCache(budget=32 * 2**20)


def run_columns(source: PanelSource, runs: list[Run], x_key: str) -> dict[int, Columns]:
    """Every system column of RUNS (runs with events): from the cache, the rest read in one
    query and parsed."""
    out: dict[int, Columns] = {}
    missing = []
    for run in runs:
        found = CACHE.get(ColumnCache.key(run, x_key))
        if found is None:
            missing.append(run)
        else:
            out[run.id] = found
    if missing:
        chunks = source.store.read_chunks_of_runs([r.id for r in missing], "events")
        for run in missing:
            out[run.id] = system_columns(source.store, run, x_key, None, chunks[run.id])
            CACHE.put(ColumnCache.key(run, x_key), out[run.id])
    return out


def system_keys(run: Run) -> list[str]:
    """The system metrics in the run's latest events line (the run keeps it as its
    `system_metrics`): numeric keys, not the `_runtime`/`_timestamp` bookkeeping."""
    return system_keys_in(run.system_metrics)


def system_keys_in(line: str | None) -> list[str]:
    """system_keys of one events line."""
    try:
        row = orjson.loads(line or "{}")
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
    columns = run_columns(source, with_events, x_key)
    for run in with_events:
        for key in query.keys:
            if key not in columns[run.id]:
                continue
            xs, ys, not_finite = drawable(*columns[run.id][key], series)
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
