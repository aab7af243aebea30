"""Sweep analysis over a set of runs (a sweep's runs, or the workspace's shown runs): each
config key's importance for a chosen metric, by correlation (Pearson and Spearman; a
categorical key one-hot, its strongest level) and by a random forest's impurity importance
(scikit-learn, fixed seed, so the same runs give the same answer), and the rows the
parallel coordinates and scatter plots draw (issues 22 and 25)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from wbserver.domain.json_text import loads
from wbserver.domain.models import Run

if TYPE_CHECKING:
    import numpy as np
else:
    from wbserver.domain.lazy_numpy import np

MIN_RUNS = 3
MAX_PARAMS = 64
MAX_LEVELS = 32  # categories of one key beyond this are lumped as "(other)"
TREES = 100
SEED = 0
MISSING = "(none)"


def config_values(run: Run) -> dict[str, Any]:
    """The run's config as flat keys (`a.b` for nested values; the client's {"value": v}
    wrappers opened; keys starting with "_" left out)."""
    try:
        config = loads(run.config or "{}")
    except ValueError:
        return {}
    out: dict[str, Any] = {}
    if isinstance(config, dict):
        _flatten(config, "", out, unwrap=True)
    return out


def _flatten(value: dict[str, Any], prefix: str, out: dict[str, Any], *, unwrap: bool) -> None:
    for key, item in value.items():
        if not isinstance(key, str) or key.startswith("_"):
            continue
        if unwrap and isinstance(item, dict) and "value" in item:
            item = item["value"]
        if isinstance(item, dict) and item:
            _flatten(item, f"{prefix}{key}.", out, unwrap=False)
        else:
            out[prefix + key] = item
        if len(out) > 4 * MAX_PARAMS:
            return


def summary_value(run: Run, metric: str) -> float | None:
    """The run's finite summary value of METRIC (dots reach into nested summaries)."""
    try:
        summary = loads(run.summary or "{}")
    except ValueError:
        return None
    value: Any = summary
    if isinstance(summary, dict) and metric in summary:
        value = summary[metric]
    else:
        for part in metric.split("."):
            value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def numeric_summary_keys(runs: list[Run]) -> list[str]:
    """The summary keys holding a number in any of RUNS (what the metric may be)."""
    keys: set[str] = set()
    for run in runs:
        try:
            summary = loads(run.summary or "{}")
        except ValueError:
            continue
        if isinstance(summary, dict):
            for key, value in summary.items():
                if (isinstance(key, str) and not key.startswith("_")
                        and isinstance(value, int | float) and not isinstance(value, bool)):
                    keys.add(key)
    return sorted(keys)


def _is_number(value: Any) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))


def _label(value: Any) -> str:
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return str(value) if not isinstance(value, list | dict) else str(value)[:80]


def _pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    if len(x) < MIN_RUNS or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    value = float(np.corrcoef(x, y)[0, 1])
    return value if math.isfinite(value) else None


def _ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks (ties share the mean of their positions), as Spearman's rho wants."""
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x), dtype=np.float64)
    ranks[order] = np.arange(len(x), dtype=np.float64)
    _unique, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    return np.asarray(sums[inverse] / counts[inverse], dtype=np.float64)


def _spearman(x: np.ndarray, y: np.ndarray) -> float | None:
    if len(x) < MIN_RUNS:
        return None
    return _pearson(_ranks(x), _ranks(y))


def analyse(runs: list[Run], metric: str, *, importance: bool = True) -> dict[str, Any]:
    """The analysis of METRIC over RUNS. Runs without a finite summary value of the metric
    are listed (they draw as missing) but left out of the statistics; keys holding one value
    in every scored run are named as constant; fewer than MIN_RUNS scored runs give a
    message instead of numbers."""
    rows: list[dict[str, Any]] = []
    for run in runs:
        rows.append({"name": run.name, "displayName": run.display_name or run.name,
                     "state": run.state, "metric": summary_value(run, metric),
                     "config": config_values(run)})
    keys: dict[str, None] = {}
    for row in rows:
        keys.update(dict.fromkeys(row["config"]))
    scored = [row for row in rows if row["metric"] is not None]
    y = np.array([row["metric"] for row in scored], dtype=np.float64)
    params, constant = [], []
    for key in sorted(keys):
        values = [row["config"].get(key) for row in scored]
        shown = [row["config"].get(key) for row in rows]
        if len({_label(v) for v in (values or shown)}) <= 1:
            constant.append(key)
            continue
        params.append(_param(key, values, shown, y))
    too_many = len(params) > MAX_PARAMS
    params.sort(key=lambda p: (-abs(p["correlation"] or 0.0), p["key"]))
    params = params[:MAX_PARAMS]
    for row in rows:  # only the keys the plots draw
        row["config"] = {p["key"]: row["config"].get(p["key"]) for p in params}
    out: dict[str, Any] = {
        "metric": metric, "runs": rows, "params": params, "constant": constant,
        "scored": len(scored), "missing": len(rows) - len(scored), "message": None,
        "messageId": None,
        "truncated": too_many, "importance": importance}
    if len(scored) < MIN_RUNS:
        out["messageId"] = "too_few"
        out["message"] = (f"parameter importance needs at least {MIN_RUNS} runs with a value "
                          f"of {metric}; {len(scored)} of {len(rows)} have one")
        for p in params:
            p["correlation"] = p["spearman"] = p["importance"] = None
        return out
    if not params:
        out["messageId"] = "no_varying"
        out["message"] = "no config key varies between these runs"
        return out
    if importance:
        _forest(params, scored, y)
        params.sort(key=lambda p: (-(p["importance"] or 0.0), p["key"]))
    return out


def _param(key: str, values: list[Any], shown: list[Any], y: np.ndarray) -> dict[str, Any]:
    present = [v for v in shown if v is not None]
    numeric = bool(present) and all(_is_number(v) for v in present)
    param: dict[str, Any] = {"key": key, "type": "numeric" if numeric else "categorical",
                             "importance": None, "correlation": None, "spearman": None}
    if numeric:
        at = [i for i, v in enumerate(values) if v is not None]
        x = np.array([values[i] for i in at], dtype=np.float64)
        param["correlation"] = _pearson(x, y[at])
        param["spearman"] = _spearman(x, y[at])
        param["min"] = min(float(v) for v in present)
        param["max"] = max(float(v) for v in present)
        return param
    counts: dict[str, int] = {}
    for v in shown:
        counts[_label(v)] = counts.get(_label(v), 0) + 1
    levels = sorted(counts, key=lambda k: (-counts[k], k))[:MAX_LEVELS]
    param["levels"] = levels
    labels = [_level(v, levels) for v in values]
    best: tuple[float, str] | None = None
    per_level = {}
    for level in sorted(set(labels)):
        r = _pearson(np.array([1.0 if lab == level else 0.0 for lab in labels]), y)
        per_level[level] = r
        if r is not None and (best is None or abs(r) > abs(best[0])):
            best = (r, level)
    param["levelCorrelation"] = per_level
    if best is not None:
        param["correlation"] = best[0]
        param["strongestLevel"] = best[1]
    return param


def _level(value: Any, levels: list[str]) -> str:
    label = _label(value)
    return label if label in levels else "(other)"


def _forest(params: list[dict[str, Any]], scored: list[dict[str, Any]], y: np.ndarray) -> None:
    """Each param's share of a random forest's impurity importance (one-hot columns summed),
    missing numbers filled with the key's median."""
    from sklearn.ensemble import RandomForestRegressor

    columns: list[np.ndarray] = []
    owner: list[int] = []
    for i, p in enumerate(params):
        values = [row["config"].get(p["key"]) for row in scored]
        if p["type"] == "numeric":
            col = np.array([np.nan if v is None else float(v) for v in values])
            fill = np.nanmedian(col) if np.isfinite(col).any() else 0.0
            columns.append(np.where(np.isnan(col), fill, col))
            owner.append(i)
        else:
            labels = [_level(v, p["levels"]) for v in values]
            for level in sorted(set(labels)):
                columns.append(np.array([1.0 if lab == level else 0.0 for lab in labels]))
                owner.append(i)
    if np.ptp(y) == 0:
        for p in params:
            p["importance"] = 0.0
        return
    forest = RandomForestRegressor(n_estimators=TREES, random_state=SEED, n_jobs=1)
    forest.fit(np.column_stack(columns), y)
    shares = np.zeros(len(params))
    np.add.at(shares, owner, forest.feature_importances_)
    for i, p in enumerate(params):
        p["importance"] = round(float(shares[i]), 6)
