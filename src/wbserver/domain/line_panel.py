"""The line panel: one or more numeric history keys over the visible runs, on an x axis of
step, relative time, wall time or any other numeric key (`define_metric(step_metric=…)`),
each run downsampled to a budget that shrinks as the runs grow (first, last and each
bucket's min and max kept), or grouped (mean with min/max, std dev and std err bands)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wbserver.domain.chart_data import X_AXES, SeriesQuery, align_lines, drawable
from wbserver.domain.compare import band, distinct_colours
from wbserver.domain.history_codec import unpack_segments
from wbserver.domain.models import Run
from wbserver.domain.panels import PanelQuery, PanelSource, register_panel_kind
from wbserver.domain.run_filters import RunView
from wbserver.domain.run_table import format_value
from wbserver.domain.sampling import bucket_indices_many

if TYPE_CHECKING:
    import numpy as np
else:
    from wbserver.domain.lazy_numpy import np

POINTS_PER_PANEL = 12_000  # per key, all runs together (a run never gets under MIN_BUCKETS)
MIN_BUCKETS = 25
MAX_BUCKETS = 1000


def buckets_for(run_count: int) -> int:
    return int(min(MAX_BUCKETS, max(MIN_BUCKETS, POINTS_PER_PANEL // 4 // max(run_count, 1))))


def line_panel(source: PanelSource, runs: list[Run], query: PanelQuery) -> dict[str, Any]:
    store = source.store
    buckets = buckets_for(len(runs))
    if query.x_min is not None or query.x_max is not None:
        buckets = min(MAX_BUCKETS, buckets * 4)  # zoomed in: finer
    series = SeriesQuery(keys=query.keys, x_min=query.x_min, x_max=query.x_max,
                         buckets=buckets)
    ids = [r.id for r in runs]
    x_key = X_AXES.get(query.x_axis, query.x_axis)
    x_columns = None
    if x_key != "_step":
        x_columns = {run_id: unpack_segments(segs) for run_id, segs in
                     store.read_segments_of_runs(ids, x_key).items()}
    out: dict[str, Any] = {}
    for key in query.keys:
        per_run = store.read_segments_of_runs(ids, key)
        shown: list[tuple[Run, np.ndarray, np.ndarray, int]] = []
        for run in runs:
            line_numbers, steps, values, _ints = unpack_segments(per_run[run.id])
            if x_columns is None:
                xs = steps.astype(np.float64)
            else:
                x_lines, _s, x_values, _i = x_columns[run.id]
                xs, values = align_lines(line_numbers, values, x_lines, x_values)
            xs, ys, not_finite = drawable(xs, values, series)
            if len(xs) or not_finite:
                shown.append((run, xs, ys, not_finite))
        lines = sample_runs(shown, buckets)
        if query.group_by:
            out[key] = {"groups": groups(runs, lines, query.group_by, buckets)}
        else:
            out[key] = {"runs": lines}
    return {"buckets": buckets, "keys": out}


def sample_runs(shown: list[tuple[Run, np.ndarray, np.ndarray, int]],
             buckets: int) -> list[dict[str, Any]]:
    """Each run's points downsampled (first, last, min and max of each bucket), all runs in
    one pass (`bucket_indices_many`)."""
    if not shown:
        return []
    all_x = np.concatenate([x for _r, x, _y, _n in shown])
    all_y = np.concatenate([y for _r, _x, y, _n in shown])
    bounds, at = [], 0
    for _r, x, _y, _n in shown:
        bounds.append((at, at + len(x)))
        at += len(x)
    kept = bucket_indices_many(all_y, bounds, buckets)
    cuts = np.searchsorted(kept, [start for start, _stop in bounds] + [at])
    out = []
    for i, (run, xs, _ys, not_finite) in enumerate(shown):
        chosen = kept[cuts[i]:cuts[i + 1]]
        out.append({"name": run.name, "x": all_x[chosen].tolist(), "y": all_y[chosen].tolist(),
                    "total": len(xs), "sampled": bool(len(chosen) < len(xs)),
                    "notFinite": not_finite})
    return out


def group_label(run: Run, fields: tuple[str, ...]) -> str:
    view = RunView(run)
    parts = []
    for name in fields:
        value = view.get(name)
        parts.append("(none)" if value is None or type(value) is object or value == ""
                     else format_value(value))
    return " · ".join(parts)


def groups(runs: list[Run], lines: list[dict[str, Any]], fields: tuple[str, ...],
           buckets: int) -> list[dict[str, Any]]:
    labels = {r.name: group_label(r, fields) for r in runs}
    members: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        if line["total"]:
            members.setdefault(labels[line["name"]], []).append(line)
    colours = distinct_colours(sorted(members))
    return [band(label, found, max(buckets * 2, 100), colours[label])
            for label, found in sorted(members.items())]


register_panel_kind("line", line_panel)
