"""Sweeps and sweep agents as the domain sees them (issue 25)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# A sweep's states, as the client spells them (wandb.apis.public.sweeps.SweepState)
SWEEP_RUNNING, SWEEP_PAUSED, SWEEP_CANCELED, SWEEP_FINISHED = (
    "RUNNING", "PAUSED", "CANCELED", "FINISHED")
SWEEP_STATES = (SWEEP_RUNNING, SWEEP_PAUSED, SWEEP_CANCELED, SWEEP_FINISHED)
METHODS = ("grid", "random", "bayes")


@dataclass(frozen=True)
class Sweep:
    id: int
    project_id: int
    entity_name: str
    project_name: str
    name: str
    display_name: str | None
    description: str | None
    method: str
    config: str  # YAML text, as the client sent it
    state: str
    controller: str | None  # the local controller's JSON (schedule, earlystop)
    scheduler: str | None  # the server's JSON answer to it (scheduled)
    run_count: int  # runs the server scheduled: the claim counter
    created_by: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class SweepAgent:
    id: int
    sweep_id: int
    host: str
    state: str
    user_id: int | None
    total_runs: int
    created_at: datetime
    heartbeat_at: datetime


@dataclass(frozen=True)
class NewSweepRun:
    """A run the controller scheduled: made pending, its process names it by `name`."""

    name: str
    config: str  # JSON: {param: {"value": v}}
    user_id: int
    program: str | None
