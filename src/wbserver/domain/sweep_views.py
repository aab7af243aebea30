"""What is shown of a sweep: its runs, its best run by the sweep's metric, its expected size."""

from __future__ import annotations

from typing import Any

from wbserver.domain.models import Run
from wbserver.domain.sweep_analysis import summary_value as metric_value
from wbserver.domain.sweep_models import Sweep
from wbserver.domain.sweep_search import metric_of, parse_config
from wbserver.errors import InvalidInput
from wbserver.ports import MetadataStore


def _config(sweep: Sweep) -> dict[str, Any]:
    try:
        return parse_config(sweep.config)
    except InvalidInput:
        return {}


def best_run(store: MetadataStore, sweep: Sweep,
             runs: list[Run] | None = None) -> tuple[Run, float] | None:
    """The run with the best summary value of the sweep's metric (by metric.goal)."""
    metric, goal = metric_of(_config(sweep))
    if metric is None:
        return None
    scored = [(run, v) for run in (runs if runs is not None else
                                   store.sweep_runs(sweep.project_id, sweep.name))
              if (v := metric_value(run, metric)) is not None]
    if not scored:
        return None
    pick = max if goal == "maximize" else min
    return pick(scored, key=lambda rv: rv[1])


def sweep_run_page(store: MetadataStore, sweep: Sweep, *, offset: int, limit: int,
                   order: str | None = None) -> tuple[list[Run], int]:
    runs = store.sweep_runs(sweep.project_id, sweep.name)
    if order and order.lstrip("+-") in ("created_at", "createdAt"):
        runs.sort(key=lambda r: (r.created_at, r.id), reverse=order.startswith("-"))
    return runs[offset:offset + limit], len(runs)


def expected_run_count(sweep: Sweep) -> int | None:
    """run_cap when set; for a grid, the number of its points (values lists only)."""
    config = _config(sweep)
    cap = config.get("run_cap")
    if isinstance(cap, int) and not isinstance(cap, bool) and cap > 0:
        return cap
    if sweep.method != "grid":
        return None
    return _grid_size(config.get("parameters"))


def _grid_size(parameters: Any) -> int | None:
    if not isinstance(parameters, dict):
        return None
    total = 1
    for spec in parameters.values():
        if not isinstance(spec, dict):
            return None
        if "values" in spec and isinstance(spec["values"], list):
            total *= max(1, len(spec["values"]))
        elif "parameters" in spec:
            inner = _grid_size(spec["parameters"])
            if inner is None:
                return None
            total *= inner
        elif "value" not in spec:
            return None
    return total
