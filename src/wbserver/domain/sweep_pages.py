"""The sweep pages: a project's sweeps, and one sweep with its state, controls, runs and best
run by the sweep's metric (parallel coordinates and parameter importance come later)."""

from __future__ import annotations

import json
from typing import Any

from wbserver.domain.models import Project, User
from wbserver.domain.permissions import WRITE, project_access, readable_project
from wbserver.domain.sweep_analysis import (
    analyse,
    numeric_summary_keys,
    summary_value as metric_value,
)
from wbserver.domain.sweep_models import (
    SWEEP_CANCELED,
    SWEEP_FINISHED,
    SWEEP_PAUSED,
    SWEEP_RUNNING,
    Sweep,
)
from wbserver.domain.sweep_search import metric_of, parse_config
from wbserver.domain.sweep_views import best_run, expected_run_count
from wbserver.domain.sweeps import change_state, writable_sweep
from wbserver.errors import InvalidInput, NotFound
from wbserver.ports import MetadataStore

# the page's buttons: action -> the state it sets
ACTIONS = {"pause": SWEEP_PAUSED, "resume": SWEEP_RUNNING, "stop": SWEEP_FINISHED,
           "cancel": SWEEP_CANCELED}
MAX_RUNS = 2000


def _project(store: MetadataStore, viewer: User | None, entity: str, project: str) -> Project:
    found = readable_project(store, viewer=viewer, entity=entity, project=project)
    if found is None:
        raise NotFound(f"project {entity}/{project} not found")
    return found


def project_sweeps(store: MetadataStore, *, viewer: User | None, entity: str,
                   project: str) -> dict[str, Any]:
    found = _project(store, viewer, entity, project)
    sweeps = store.list_sweeps(found.id)
    return {"project": found, "sweeps": [
        {"sweep": s, "runs": store.count_sweep_runs(found.id, s.name),
         "expected": expected_run_count(s)} for s in sweeps]}


def _readable_sweep(store: MetadataStore, viewer: User | None, entity: str, project: str,
                    name: str) -> tuple[Project, Sweep, dict[str, Any]]:
    """The readable project, its sweep NAME and the sweep's parsed config ({} if unreadable)."""
    found = _project(store, viewer, entity, project)
    sweep = store.get_sweep(found.id, name)
    if sweep is None:
        raise NotFound(f"sweep {name} not found")
    try:
        return found, sweep, parse_config(sweep.config)
    except InvalidInput:
        return found, sweep, {}


def sweep_overview(store: MetadataStore, *, viewer: User | None, entity: str, project: str,
                   name: str) -> dict[str, Any]:
    found, sweep, config = _readable_sweep(store, viewer, entity, project, name)
    metric, goal = metric_of(config)
    runs = store.sweep_runs(found.id, sweep.name)
    params = sorted(config.get("parameters") or {}) if isinstance(
        config.get("parameters"), dict) else []
    rows = []
    for run in runs[:MAX_RUNS]:
        values = _config_values(run.config)
        rows.append({"run": run, "params": [values.get(p) for p in params],
                     "metric": metric_value(run, metric) if metric else None})
    best = best_run(store, sweep, runs)
    return {"project": found, "sweep": sweep, "metric": metric, "goal": goal,
            "params": params, "rows": rows, "run_total": len(runs),
            "expected": expected_run_count(sweep),
            "best": {"run": best[0], "value": best[1]} if best else None,
            "actions": _actions(sweep), "agents": store.list_sweep_agents(sweep.id),
            "can_write": project_access(store, viewer, found) == WRITE,
            "config_text": sweep.config}


def sweep_analysis(store: MetadataStore, *, viewer: User | None, entity: str, project: str,
                   name: str, metric: str | None = None) -> dict[str, Any]:
    """Parameter importance, parallel coordinates and scatter data over the sweep's runs, for
    METRIC (default: the sweep's own metric)."""
    found, sweep, config = _readable_sweep(store, viewer, entity, project, name)
    own, goal = metric_of(config)
    runs = store.sweep_runs(found.id, sweep.name)[:MAX_RUNS]
    metrics = numeric_summary_keys(runs)
    chosen = metric or own or (metrics[0] if metrics else None)
    if chosen is None:
        return {"metric": None, "metrics": [], "goal": goal, "runs": [], "params": [],
                "constant": [], "scored": 0, "missing": 0, "importance": True,
                "messageId": "no_metric", "message": "these runs have no numeric summary value to analyse"}
    if len(chosen) > 256:
        raise InvalidInput("metric: a key of at most 256 characters")
    if own:  # the sweep's own metric first
        metrics = [own] + [m for m in metrics if m != own]
    return {**analyse(runs, chosen), "metrics": metrics,
            "goal": goal if chosen == own else None}


def _actions(sweep: Sweep) -> list[str]:
    if sweep.state == SWEEP_RUNNING:
        return ["pause", "stop", "cancel"]
    if sweep.state == SWEEP_PAUSED:
        return ["resume", "stop", "cancel"]
    return []


def act_on_sweep(store: MetadataStore, *, viewer: User, entity: str, project: str, name: str,
                 action: str) -> Sweep:
    """A button of the sweep page: pause, resume, stop or cancel (project writers only)."""
    found = _project(store, viewer, entity, project)
    sweep = store.get_sweep(found.id, name)
    if sweep is None:
        raise NotFound(f"sweep {name} not found")
    if action not in ACTIONS:
        raise InvalidInput(f"unknown sweep action {action!r}")
    sweep = writable_sweep(store, viewer=viewer, sweep_id=sweep.id)
    change_state(store, viewer=viewer, sweep=sweep, state=ACTIONS[action])
    return sweep


def _config_values(text: str) -> dict[str, Any]:
    try:
        config = json.loads(text or "{}")
    except ValueError:
        return {}
    if not isinstance(config, dict):
        return {}
    return {k: (v.get("value") if isinstance(v, dict) and "value" in v else v)
            for k, v in config.items()}
