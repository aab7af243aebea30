"""The search of a sweep's next run and Hyperband's early stops, by W&B's sweeps engine.

The engine (the `sweeps` package, MIT, pinned in pyproject.toml) decides grid, random and
Bayesian search and Hyperband early termination from the sweep config and the sweep's runs,
as W&B's own controllers do; this module only translates runs and configs to and from it.
It is imported when a sweep needs a decision (it loads scikit-learn and SciPy).
"""

from __future__ import annotations

import json
from typing import Any

from wbserver.domain.history import sampled_history
from wbserver.domain.models import CRASHED, FAILED, FINISHED, PENDING, RUNNING, Run
from wbserver.errors import InvalidInput
from wbserver.ports import MetadataStore

HISTORY_SAMPLES = 2000
# our run states -> the engine's (sweeps.RunState)
_ENGINE_STATE = {RUNNING: "running", FINISHED: "finished", FAILED: "failed",
                 CRASHED: "crashed", PENDING: "pending"}


def parse_config(text: str | None) -> dict[str, Any]:
    """The sweep config from the client's YAML (or JSON) text."""
    import yaml

    try:
        value = yaml.safe_load(text or "")
    except yaml.YAMLError as exc:
        raise InvalidInput(f"the sweep config is not valid YAML: {str(exc)[:300]}") from None
    if not isinstance(value, dict):
        raise InvalidInput("the sweep config must be a mapping")
    return value


def config_warnings(config: dict[str, Any]) -> list[str]:
    """What the engine's JSON schema says is wrong with the config (the client prints them)."""
    try:
        return list(_engine().schema_violations_from_proposed_config(config))
    except ValueError as exc:
        return [str(exc)]


def metric_of(config: dict[str, Any]) -> tuple[str | None, str]:
    metric = config.get("metric")
    if not isinstance(metric, dict) or not isinstance(metric.get("name"), str):
        return None, "minimize"
    goal = metric.get("goal")
    return metric["name"], goal if goal in ("minimize", "maximize") else "minimize"


def engine_runs(store: MetadataStore, runs: list[Run], config: dict[str, Any], *,
                with_history: bool) -> list[Any]:
    """The runs as the engine reads them (state, config, summary, the metric's history)."""
    SweepRun = _engine().SweepRun  # noqa: N806
    metric, _goal = metric_of(config)
    found = []
    for run in runs:
        history: list[dict[str, Any]] = []
        if with_history and metric and run.history_line_count:
            history = sampled_history(store, run, {"keys": [metric],
                                                   "samples": HISTORY_SAMPLES})
        state = _ENGINE_STATE.get(run.state, "failed")
        if run.stop_requested and state != "running":
            state = "killed"
        # by the aliases: the engine's field names are not read under pydantic 2
        found.append(SweepRun(name=run.name, state=state, config=_json(run.config),
                              summaryMetrics=_json(run.summary), sampledHistory=history,
                              stopped=run.stop_requested, shouldStop=run.stop_requested,
                              exitcode=run.exit_code))
    return found


def next_params(config: dict[str, Any], runs: list[Any]) -> dict[str, Any] | None:
    """The next run's parameters, {name: {"value": v}}; None when the search is done
    (a grid fully covered)."""
    try:
        suggestion = _engine().next_run(config, runs)
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"the sweep config cannot be searched: {str(exc)[:300]}") from None
    if suggestion is None:
        return None
    return {str(k): _plain(v) for k, v in suggestion.config.items()}


def runs_to_stop(config: dict[str, Any], runs: list[Any]) -> list[str]:
    """The names of the running runs Hyperband stops now (none without early_terminate)."""
    if not isinstance(config.get("early_terminate"), dict):
        return []
    try:
        return [r.name for r in _engine().stop_runs(config, runs) if r.name]
    except (ValueError, KeyError, TypeError):
        return []


def _engine() -> Any:
    """The sweeps package (its pydantic-1 style models warn under pydantic 2 at import)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import sweeps
    return sweeps


def _plain(value: Any) -> Any:
    """numpy scalars the engine returns, as the Python numbers JSON writes."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    item = getattr(value, "item", None)
    if callable(item) and type(value).__module__ == "numpy":
        return item()
    return value


def _json(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
