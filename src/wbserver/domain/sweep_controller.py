"""The server-side sweep controller: the agents' heartbeat (their next run, stop and exit
commands) and the background step (Hyperband's early stops, finishing drained sweeps).

Safe in several processes at once: a run slot is taken by a conditional UPDATE of the sweep's
`run_count` (store.claim_sweep_run), so two heartbeats that computed the same grid point make
one run, the other searches again; state changes are conditional UPDATEs too, and a stop is a
flag set twice harmlessly.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from wbserver.domain.clock import utcnow
from wbserver.domain.models import PENDING, RUNNING, Run, User
from wbserver.domain.names import new_run_id
from wbserver.domain.sweep_models import (
    SWEEP_CANCELED,
    SWEEP_FINISHED,
    SWEEP_PAUSED,
    SWEEP_RUNNING,
    NewSweepRun,
    Sweep,
)
from wbserver.domain.sweep_search import (
    engine_runs,
    metric_of,
    next_params,
    parse_config,
    runs_to_stop,
)
from wbserver.domain.sweeps import agent_sweep
from wbserver.errors import InvalidInput
from wbserver.ports import MetadataStore

CLAIM_ATTEMPTS = 8
EXHAUSTED = "exhausted"  # the search has nothing more to run: idle agents exit
_WAIT = "wait"  # nothing to run now (a local controller has scheduled nothing yet)


def agent_heartbeat(store: MetadataStore, *, viewer: User, agent_id: int,
                    run_state: str | None) -> list[dict[str, Any]]:
    """The commands for an agent that reports which of its runs are alive: stop the runs
    flagged to stop, a new run when it runs none and the sweep is running, exit when the
    sweep is over (cancelled: its runs are stopped too)."""
    agent, sweep = agent_sweep(store, viewer=viewer, agent_id=agent_id)
    alive = _alive(run_state)
    commands: list[dict[str, Any]] = []
    config = parse_config(sweep.config)
    if alive:
        early = set(_local_controller(sweep).get("earlystop") or []) if _is_local(config) else set()
        for run in store.sweep_runs(sweep.project_id, sweep.name):
            if run.name in alive and (run.stop_requested or run.name in early
                                      or sweep.state == SWEEP_CANCELED):
                commands.append(_command("stop", run_id=run.name))
    started = False
    if sweep.state == SWEEP_CANCELED or (sweep.state == SWEEP_FINISHED and not alive):
        commands.append(_command("exit"))
    elif sweep.state == SWEEP_RUNNING and not alive:
        scheduled = schedule_next(store, sweep_id=sweep.id, user_id=viewer.id)
        if scheduled == EXHAUSTED:
            commands.append(_command("exit"))
        elif isinstance(scheduled, tuple):
            run, params = scheduled
            started = True
            commands.append(_command("run", run_id=run.name, program=run.program or "",
                                     args=params))
    store.touch_sweep_agent(agent.id, state="RUNNING" if sweep.state != SWEEP_PAUSED
                            else "PAUSED", now=utcnow(), started_run=started)
    return commands


def schedule_next(store: MetadataStore, *, sweep_id: int,
                  user_id: int) -> tuple[Run, dict[str, Any]] | str | None:
    """Make the sweep's next run (pending) and return it with its parameters; EXHAUSTED
    when the search has nothing more to run (a grid covered, run_cap runs made, a local
    controller done: the sweep is FINISHED once its runs have ended); None when there is
    nothing to make now (not running, nothing scheduled by a local controller, or every
    attempt lost its race to other heartbeats)."""
    for _attempt in range(CLAIM_ATTEMPTS):
        sweep = store.get_sweep_by_id(sweep_id)
        if sweep is None or sweep.state != SWEEP_RUNNING:
            return None
        config = parse_config(sweep.config)
        if _is_local(config):
            made = _schedule_local(store, sweep, config, user_id)
        else:
            made = _schedule_search(store, sweep, config, user_id)
        if made == _WAIT:
            return None
        if made is not None:
            return made  # type: ignore[no-any-return]
        # another heartbeat took this slot: search again from the runs there are now
    return None


def _schedule_search(store: MetadataStore, sweep: Sweep, config: dict[str, Any],
                     user_id: int) -> Any:
    runs = store.sweep_runs(sweep.project_id, sweep.name)
    cap = config.get("run_cap")
    if isinstance(cap, int) and not isinstance(cap, bool) and 0 < cap <= len(runs):
        _finish_if_drained(store, sweep, runs)
        return EXHAUSTED
    params = next_params(config, engine_runs(store, runs, config, with_history=False))
    if params is None:
        _finish_if_drained(store, sweep, runs)
        return EXHAUSTED
    run = store.claim_sweep_run(sweep.id, seen_count=sweep.run_count, run=NewSweepRun(
        name=new_run_id(), config=json.dumps(params), user_id=user_id,
        program=_program(config)), now=utcnow())
    return (run, params) if run is not None else None


def _schedule_local(store: MetadataStore, sweep: Sweep, config: dict[str, Any],
                    user_id: int) -> Any:
    """The local controller (wandb.controller()) puts its next run in controller.schedule;
    the server makes it and answers in scheduler.scheduled ({id, runid})."""
    scheduler = _json(sweep.scheduler)
    scheduled = list(scheduler.get("scheduled") or [])
    taken = {s.get("id") for s in scheduled if isinstance(s, dict)}
    for entry in _local_controller(sweep).get("schedule") or []:
        if not isinstance(entry, dict) or entry.get("id") in taken:
            continue
        args = (entry.get("data") or {}).get("args")
        if args is None:  # the controller has nothing more to run
            _finish(store, sweep)
            return EXHAUSTED
        if not isinstance(args, dict):
            raise InvalidInput("the local controller scheduled args that are not a mapping")
        name = new_run_id()
        scheduled.append({"id": entry.get("id"), "runid": name})
        run = store.claim_sweep_run(
            sweep.id, seen_count=sweep.run_count,
            run=NewSweepRun(name=name, config=json.dumps(args), user_id=user_id,
                            program=_program(config)),
            now=utcnow(), scheduler=json.dumps({**scheduler, "scheduled": scheduled}))
        return (run, args) if run is not None else None
    return _WAIT  # nothing scheduled yet: the agent asks again at its next heartbeat


@dataclass(frozen=True)
class StepReport:
    sweeps: int
    stopped_runs: int
    seconds: float


def controller_step(store: MetadataStore) -> StepReport:
    """One pass over the running sweeps with early termination: flag the runs Hyperband
    stops (the agents stop them at their next heartbeat). Idempotent: two processes flagging
    the same run set one flag."""
    started = time.perf_counter()
    stopped = 0
    sweeps = store.sweeps_in_state(SWEEP_RUNNING)
    for sweep in sweeps:
        try:
            config = parse_config(sweep.config)
        except InvalidInput:
            continue
        if _is_local(config):
            continue
        runs = store.sweep_runs(sweep.project_id, sweep.name)
        _finish_if_done(store, sweep, config, runs)
        if not isinstance(config.get("early_terminate"), dict) or metric_of(config)[0] is None:
            continue
        by_name = {r.name: r for r in runs}
        for name in runs_to_stop(config, engine_runs(store, runs, config, with_history=True)):
            run = by_name.get(name)
            if run is not None and run.state in (RUNNING, PENDING) and not run.stop_requested:
                store.update_run(run.id, lambda _r: {"stop_requested": True})
                stopped += 1
    return StepReport(sweeps=len(sweeps), stopped_runs=stopped,
                      seconds=time.perf_counter() - started)


def _finish_if_done(store: MetadataStore, sweep: Sweep, config: dict[str, Any],
                    runs: list[Run]) -> None:
    """A grid fully scheduled or a run_cap reached, and its runs ended: FINISHED."""
    if any(r.state in (RUNNING, PENDING) for r in runs):
        return  # Hyperband may still stop some; the sweep finishes when they have ended
    cap = config.get("run_cap")
    capped = isinstance(cap, int) and not isinstance(cap, bool) and 0 < cap <= len(runs)
    if not capped and (sweep.method != "grid" or not runs):
        return
    if capped or next_params(config, engine_runs(store, runs, config,
                                                 with_history=False)) is None:
        _finish(store, sweep)


def _finish_if_drained(store: MetadataStore, sweep: Sweep, runs: list[Run]) -> None:
    if not any(r.state in (RUNNING, PENDING) for r in runs):
        _finish(store, sweep)


def _finish(store: MetadataStore, sweep: Sweep) -> None:
    store.update_sweep(sweep.id, {"state": SWEEP_FINISHED}, now=utcnow(),
                       only_in_states=(SWEEP_RUNNING,))


def _is_local(config: dict[str, Any]) -> bool:
    controller = config.get("controller")
    return isinstance(controller, dict) and controller.get("type") == "local"


def _local_controller(sweep: Sweep) -> dict[str, Any]:
    return _json(sweep.controller)


def _program(config: dict[str, Any]) -> str | None:
    program = config.get("program")
    return program if isinstance(program, str) else None


def _alive(run_state: str | None) -> set[str]:
    try:
        value = json.loads(run_state or "{}")
    except ValueError:
        raise InvalidInput("runState is not valid JSON") from None
    if not isinstance(value, dict):
        raise InvalidInput("runState must be a JSON object")
    return {str(name) for name, alive in value.items() if alive}


def _command(kind: str, **fields: Any) -> dict[str, Any]:
    return {"id": secrets.token_hex(4), "type": kind, **fields}


def _json(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
