"""Comparing runs: each selected run's series per metric, or runs grouped by a config value
with the group's mean and min/max band over shared x buckets."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from wbserver.domain.chart_data import SeriesQuery, numeric_keys, run_series
from wbserver.domain.json_text import loads
from wbserver.domain.models import Project, Run, RunKey, User
from wbserver.domain.permissions import readable_project
from wbserver.domain.run_filters import RunView
from wbserver.domain.run_table import format_value
from wbserver.domain.sweep_analysis import config_values
from wbserver.errors import InvalidInput, NotFound
from wbserver.ports import MetadataStore

if TYPE_CHECKING:
    import numpy as np
else:
    from wbserver.domain.lazy_numpy import np

MAX_RUNS = 50
# Colour-blind-friendly palette; a run's colour comes from its name, so it stays the same
# from page to page; runs shown together get different colours (`distinct_colours`).
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf", "#3b4cc0", "#b40426")


def run_colour(name: str) -> str:
    digest = hashlib.blake2s(name.encode("utf-8"), digest_size=2).digest()
    return PALETTE[int.from_bytes(digest, "big") % len(PALETTE)]


def distinct_colours(names: list[str]) -> dict[str, str]:
    """Each name's own colour (`run_colour`), unless a name before it in `names` has it: then
    the next colour of the palette nobody has yet (while there is one), so that the lines of
    up to len(PALETTE) runs shown together never share a colour."""
    colours: dict[str, str] = {}
    taken: set[str] = set()
    for name in names:
        if name in colours:
            continue
        own = run_colour(name)
        start = PALETTE.index(own)
        free = [c for c in PALETTE[start:] + PALETTE[:start] if c not in taken]
        colours[name] = free[0] if free else own
        taken.add(colours[name])
    return colours


def selected_runs(store: MetadataStore, *, viewer: User | None, entity: str, project: str,
                  names: list[str]) -> tuple[Project, list[Run]]:
    found = readable_project(store, viewer=viewer, entity=entity, project=project)
    if found is None:
        raise NotFound(f"project {entity}/{project} not found")
    names = list(dict.fromkeys(n for n in names if n))
    if len(names) > MAX_RUNS:
        raise InvalidInput(f"compare at most {MAX_RUNS} runs")
    runs = [store.get_run(RunKey(entity, project, n)) for n in names]
    return found, [r for r in runs if r is not None]


def compare_overview(store: MetadataStore, *, viewer: User | None, entity: str, project: str,
                     names: list[str]) -> dict[str, Any]:
    found, runs = selected_runs(store, viewer=viewer, entity=entity, project=project,
                                names=names)
    metrics = sorted({k for r in runs for k in numeric_keys(r)})
    config_keys = sorted({k for r in runs for k in loads(r.config or "{}")
                          if not k.startswith("_")})
    colours = distinct_colours([r.name for r in runs])
    return {"project": found, "metrics": metrics, "config_keys": config_keys,
            "config_diff": config_diff(runs),
            "runs": [{"name": r.name, "display_name": r.display_name or r.name,
                      "state": r.state, "colour": colours[r.name]} for r in runs]}


def config_diff(runs: list[Run]) -> list[dict[str, Any]]:
    """The flattened config keys whose values differ between RUNS (a key missing from a run
    differs from any value), each with its value per run, formatted as the runs table does,
    and whether it differs from the row's most common value (highlighted)."""
    if len(runs) < 2:
        return []
    configs = [config_values(r) for r in runs]
    out = []
    for key in sorted({k for c in configs for k in c}):
        seen = [repr(c[key]) if key in c else "\0missing" for c in configs]
        if len(set(seen)) > 1:
            common = max(seen, key=lambda v: (seen.count(v), -seen.index(v)))
            out.append({"key": key, "cells": [
                {"value": format_value(c[key]) if key in c else None, "odd": v != common}
                for c, v in zip(configs, seen, strict=True)]})
    return out


def compare_series(store: MetadataStore, *, viewer: User | None, entity: str, project: str,
                   names: list[str], query: SeriesQuery, group_by: str = "") -> dict[str, Any]:
    """{key: {"runs": [...]}} or, grouped, {key: {"groups": [...]}}."""
    _found, runs = selected_runs(store, viewer=viewer, entity=entity, project=project,
                                 names=names)
    per_run = [(r, run_series(store, r, query)) for r in runs]
    colours = distinct_colours([r.name for r in runs])  # the same as the overview's
    out: dict[str, Any] = {}
    for key in query.keys:
        lines = [{"name": r.name, "display_name": r.display_name or r.name,
                  "colour": colours[r.name], **series[key]}
                 for r, series in per_run if series[key]["total"]]
        if not group_by:
            out[key] = {"runs": lines}
            continue
        labels = {r.name: group_label(r, group_by) for r in runs}
        groups: dict[str, list[dict[str, Any]]] = {}
        for line in lines:
            groups.setdefault(labels[line["name"]], []).append(line)
        group_colours = distinct_colours(sorted(groups))
        out[key] = {"groups": [band(label, members, query.buckets, group_colours[label])
                               for label, members in sorted(groups.items())]}
    return out


def group_label(run: Run, group_by: str) -> str:
    value = RunView(run).get(f"config.{group_by}")
    return "(none)" if value is None or type(value) is object else format_value(value)


def band(label: str, lines: list[dict[str, Any]], buckets: int, colour: str) -> dict[str, Any]:
    """Mean, min, max, standard deviation and run count of the group's runs per x bucket
    (each run's points in a bucket averaged first), over the union of their x ranges."""
    xs = [np.asarray(line["x"], dtype=np.float64) for line in lines]
    ys = [np.asarray(line["y"], dtype=np.float64) for line in lines]
    lo = min(float(x.min()) for x in xs)
    hi = max(float(x.max()) for x in xs)
    count = max(1, min(buckets, max(len(x) for x in xs)))
    edges = np.linspace(lo, hi, count + 1) if hi > lo else np.array([lo, lo + 1.0])
    count = len(edges) - 1
    per_run = np.full((len(xs), count), np.nan)
    for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
        slot = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, count - 1)
        sums = np.bincount(slot, weights=y, minlength=count)
        hits = np.bincount(slot, minlength=count)
        with np.errstate(invalid="ignore", divide="ignore"):
            per_run[i] = np.where(hits > 0, sums / np.maximum(hits, 1), np.nan)
    present = ~np.all(np.isnan(per_run), axis=0)
    with np.errstate(invalid="ignore"):
        centres = ((edges[:-1] + edges[1:]) / 2)[present]
        data = per_run[:, present]
        mean = np.nanmean(data, axis=0)
        low = np.nanmin(data, axis=0)
        high = np.nanmax(data, axis=0)
        std = np.nanstd(data, axis=0)
    counts = np.count_nonzero(~np.isnan(data), axis=0)
    return {"label": label, "colour": colour, "runs": [line["name"] for line in lines],
            "x": centres.tolist(), "mean": mean.tolist(), "min": low.tolist(),
            "max": high.tolist(), "std": std.tolist(), "n": counts.tolist()}
