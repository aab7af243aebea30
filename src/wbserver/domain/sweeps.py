"""Sweeps as the wandb client drives them: upsertSweep (create, update, state changes, the
local controller's schedule), createAgent, and the read side (issue 25). The agents'
heartbeat and the controller are in domain/sweep_agents.py and domain/sweep_controller.py."""

from __future__ import annotations

import json
from typing import Any

from wbserver.domain.clock import utcnow
from wbserver.domain.models import Project, RunKey, User
from wbserver.domain.names import check_name, new_run_id
from wbserver.domain.permissions import (
    READ,
    check_project_writable,
    check_project_write,
    default_visibility,
    project_access,
)
from wbserver.domain.sweep_models import (
    METHODS,
    SWEEP_CANCELED,
    SWEEP_FINISHED,
    SWEEP_PAUSED,
    SWEEP_RUNNING,
    SWEEP_STATES,
    Sweep,
    SweepAgent,
)
from wbserver.domain.sweep_search import config_warnings, parse_config
from wbserver.errors import AlreadyExists, InvalidInput, NotFound
from wbserver.ports import MetadataStore

# state -> the states it may be reached from (the client's _set_sweep_state, and the page)
STATE_CHANGES = {
    SWEEP_PAUSED: (SWEEP_RUNNING, SWEEP_PAUSED),
    SWEEP_RUNNING: (SWEEP_PAUSED, SWEEP_RUNNING),
    SWEEP_FINISHED: (SWEEP_RUNNING, SWEEP_PAUSED),
    SWEEP_CANCELED: (SWEEP_RUNNING, SWEEP_PAUSED),
}
MAX_CONFIG = 1_000_000


def upsert_sweep(store: MetadataStore, *, viewer: User, entity: str | None,
                 project: str | None, sweep_id: int | None, config: str | None,
                 description: str | None, display_name: str | None, state: str | None,
                 controller: str | None,
                 prior_runs: str | None = None) -> tuple[Sweep, list[str]]:
    """Create a sweep (no id) or change one (its config, name, state, or the local
    controller's JSON). Returns it and the config's validation warnings. `prior_runs`
    (`wandb sweep -R RUN`: {"$or": [{"name": RUN}, ...]}) names runs of the project that
    join the new sweep, so its search counts them."""
    if sweep_id is not None:
        return _update(store, viewer=viewer, sweep_id=sweep_id, config=config,
                       description=description, display_name=display_name, state=state,
                       controller=controller)
    if config is None:
        raise InvalidInput("config is required to create a sweep")
    if len(config) > MAX_CONFIG:
        raise InvalidInput(f"the sweep config is over {MAX_CONFIG} characters")
    parsed = parse_config(config)
    method = parsed.get("method")
    if method not in METHODS:
        raise InvalidInput(f"the sweep config's method must be one of {', '.join(METHODS)}, "
                           f"not {method!r}")
    entity_name = entity or viewer.username
    project_name = check_name("project", project or parsed.get("project") or "uncategorized")
    owner = check_project_writable(store, viewer=viewer, entity=entity_name,
                                   project=project_name)
    found = store.get_project(owner.name, project_name)
    if found is None:
        found, _created = store.upsert_project(entity_id=owner.id, name=project_name,
                                               user_id=viewer.id, description=None,
                                               visibility=default_visibility(owner))
    assert found is not None
    values = {"display_name": display_name or _name_of(parsed), "description": description,
              "method": method, "config": config, "state": _start_state(state),
              "controller": controller}
    name = new_run_id()
    for _attempt in range(5):  # 36**8 names: a second draw is already rare
        if store.get_sweep(found.id, name) is None:
            break
        name = new_run_id()
    else:
        raise AlreadyExists("no free sweep name; try again")
    prior = _prior_run_names(prior_runs)
    sweep = store.create_sweep(project_id=found.id, name=name, values=values,
                               user_id=viewer.id, now=utcnow())
    for run_name in prior:
        run = store.get_run(RunKey(found.entity_name, found.name, run_name))
        if run is not None:
            store.update_run(run.id, lambda _r: {"sweep_name": sweep.name})
    return sweep, config_warnings(parsed)


def _prior_run_names(filters: str | None) -> list[str]:
    if not filters:
        return []
    try:
        parsed = json.loads(filters)
    except ValueError:
        raise InvalidInput("priorRunsFilters is not valid JSON") from None
    either = parsed.get("$or") if isinstance(parsed, dict) else None
    if not isinstance(either, list) or not all(
            isinstance(f, dict) and isinstance(f.get("name"), str) for f in either):
        raise InvalidInput('priorRunsFilters must be {"$or": [{"name": RUN}, ...]}')
    return [f["name"] for f in either][:1000]


def _update(store: MetadataStore, *, viewer: User, sweep_id: int, config: str | None,
            description: str | None, display_name: str | None, state: str | None,
            controller: str | None) -> tuple[Sweep, list[str]]:
    sweep = writable_sweep(store, viewer=viewer, sweep_id=sweep_id)
    values: dict[str, Any] = {}
    warnings: list[str] = []
    if config is not None and config != sweep.config:
        parsed = parse_config(config)
        if parsed.get("method") != sweep.method:
            raise InvalidInput("a sweep's method cannot be changed")
        values["config"] = config
        warnings = config_warnings(parsed)
    if description is not None:
        values["description"] = description
    if display_name is not None:
        values["display_name"] = display_name
    if controller is not None:
        try:
            json.loads(controller)
        except ValueError:
            raise InvalidInput("controller is not valid JSON") from None
        values["controller"] = controller
    if values:
        store.update_sweep(sweep.id, values, now=utcnow())
    if state is not None:
        change_state(store, viewer=viewer, sweep=sweep, state=state)
    updated = store.get_sweep_by_id(sweep.id)
    assert updated is not None
    return updated, warnings


def change_state(store: MetadataStore, *, viewer: User, sweep: Sweep, state: str) -> None:
    """Pause, resume, stop (FINISHED: no new runs) or cancel (CANCELED: its runs are stopped
    too) a sweep the viewer may write."""
    state = state.upper()
    if state not in SWEEP_STATES:
        raise InvalidInput(f"a sweep's state is one of {', '.join(SWEEP_STATES)}, "
                           f"not {state!r}")
    allowed = STATE_CHANGES[state]
    if not store.update_sweep(sweep.id, {"state": state}, now=utcnow(), only_in_states=allowed):
        current = store.get_sweep_by_id(sweep.id)
        now_state = current.state if current else "deleted"
        if now_state == state:
            return
        raise InvalidInput(f"a {now_state.lower()} sweep cannot be set to {state.lower()}")
    if state == SWEEP_CANCELED:
        for run in store.sweep_runs(sweep.project_id, sweep.name):
            if run.state in ("running", "pending") and not run.stop_requested:
                store.update_run(run.id, lambda _run: {"stop_requested": True})
    store.add_audit(user_id=viewer.id, action=f"sweep.{state.lower()}",
                    target=f"{sweep.entity_name}/{sweep.project_name}/{sweep.name}",
                    detail="", now=utcnow())


def _start_state(state: str | None) -> str:
    if state is None or state.upper() in ("", "PENDING", SWEEP_RUNNING):
        return SWEEP_RUNNING
    if state.upper() == SWEEP_PAUSED:
        return SWEEP_PAUSED
    raise InvalidInput(f"a new sweep starts RUNNING or PAUSED, not {state!r}")


def _name_of(config: dict[str, Any]) -> str | None:
    name = config.get("name")
    return name[:255] if isinstance(name, str) and name else None


def writable_sweep(store: MetadataStore, *, viewer: User, sweep_id: int) -> Sweep:
    """A sweep (by its storage id) in a project the viewer may write; NotFound when they may
    not read it (no leak)."""
    sweep = store.get_sweep_by_id(sweep_id)
    project = store.get_project_by_id(sweep.project_id) if sweep else None
    if sweep is None or project is None or project_access(store, viewer, project) < READ:
        raise NotFound("sweep not found")
    check_project_write(store, viewer=viewer, project=project)
    return sweep


def agent_sweep(store: MetadataStore, *, viewer: User, agent_id: int) -> tuple[SweepAgent, Sweep]:
    """An agent and its sweep, whose project the viewer may write."""
    agent = store.get_sweep_agent(agent_id)
    if agent is None:
        raise NotFound("sweep agent not found")
    return agent, writable_sweep(store, viewer=viewer, sweep_id=agent.sweep_id)


def create_agent(store: MetadataStore, *, viewer: User, entity: str | None,
                 project: str | None, sweep_name: str, host: str) -> SweepAgent:
    """Register an agent of the sweep named in entity/project (wandb agent)."""
    found = store.get_project(entity or viewer.username, project or "uncategorized")
    sweep = store.get_sweep(found.id, sweep_name) if found else None
    if sweep is None:
        raise NotFound(f"sweep {sweep_name!r} not found")
    writable_sweep(store, viewer=viewer, sweep_id=sweep.id)
    return store.create_sweep_agent(sweep_id=sweep.id, host=host[:255] or "unknown",
                                    user_id=viewer.id, now=utcnow())


def project_sweep(store: MetadataStore, project: Project, name: str) -> Sweep | None:
    """A sweep of a project the caller reads already (the resolver got it from `project`)."""
    return store.get_sweep(project.id, name)
