"""Sweep and sweep-agent rows; the claim on a sweep's next run slot (issue 25)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, func, select, update

from wbserver.domain.models import PENDING, Run
from wbserver.domain.sweep_models import NewSweepRun, Sweep, SweepAgent
from wbserver.metadata import tables as t
from wbserver.metadata.inserted import inserted_id
from wbserver.metadata.project_key_rows import sync_project_keys
from wbserver.metadata.run_rows import TOUCH_PROJECT, row_to_run, run_select

_s = t.sweeps.c
_SWEEP = (select(t.sweeps, t.projects.c.name.label("project_name"),
                 t.entities.c.name.label("entity_name"))
          .join(t.projects, t.projects.c.id == _s.project_id)
          .join(t.entities, t.entities.c.id == t.projects.c.entity_id))


def _sweep(row: Row[Any]) -> Sweep:
    return Sweep(id=row.id, project_id=row.project_id, entity_name=row.entity_name,
                 project_name=row.project_name, name=row.name, display_name=row.display_name,
                 description=row.description, method=row.method, config=row.config,
                 state=row.state, controller=row.controller, scheduler=row.scheduler,
                 run_count=row.run_count, created_by=row.created_by,
                 created_at=row.created_at, updated_at=row.updated_at)


def _agent(row: Row[Any]) -> SweepAgent:
    return SweepAgent(id=row.id, sweep_id=row.sweep_id, host=row.host, state=row.state,
                      user_id=row.user_id, total_runs=row.total_runs,
                      created_at=row.created_at, heartbeat_at=row.heartbeat_at)


class SweepRows:
    if TYPE_CHECKING:  # SqlStore's (store.py)
        def _read(self) -> AbstractContextManager[Connection]: ...
        def _write(self) -> AbstractContextManager[Connection]: ...

    def create_sweep(self, *, project_id: int, name: str, values: dict[str, Any],
                     user_id: int, now: datetime) -> Sweep:
        """Raises IntegrityError when the project has a sweep of that name already."""
        with self._write() as conn:
            result = conn.execute(t.sweeps.insert().values(
                project_id=project_id, name=name, run_count=0, created_by=user_id,
                created_at=now, updated_at=now, **values))
            sweep_id = inserted_id(result)
            return _sweep(conn.execute(_SWEEP.where(_s.id == sweep_id)).one())

    def get_sweep(self, project_id: int, name: str) -> Sweep | None:
        with self._read() as conn:
            row = conn.execute(_SWEEP.where(_s.project_id == project_id, _s.name == name)).first()
        return _sweep(row) if row else None

    def get_sweep_by_id(self, sweep_id: int) -> Sweep | None:
        with self._read() as conn:
            row = conn.execute(_SWEEP.where(_s.id == sweep_id)).first()
        return _sweep(row) if row else None

    def list_sweeps(self, project_id: int) -> list[Sweep]:
        with self._read() as conn:
            rows = conn.execute(_SWEEP.where(_s.project_id == project_id)
                                .order_by(_s.created_at.desc(), _s.id.desc())).all()
        return [_sweep(r) for r in rows]

    def sweeps_in_state(self, state: str, *, limit: int = 500) -> list[Sweep]:
        with self._read() as conn:
            rows = conn.execute(_SWEEP.where(_s.state == state).order_by(_s.id).limit(limit)).all()
        return [_sweep(r) for r in rows]

    def update_sweep(self, sweep_id: int, values: dict[str, Any], *, now: datetime,
                     only_in_states: tuple[str, ...] | None = None) -> bool:
        """Set `values`; with `only_in_states`, only while the sweep is in one of them
        (a conditional UPDATE: two processes deciding the same change make it once)."""
        where = [_s.id == sweep_id]
        if only_in_states is not None:
            where.append(_s.state.in_(only_in_states))
        with self._write() as conn:
            result = conn.execute(update(t.sweeps).where(*where)
                                  .values(updated_at=now, **values))
        return bool(result.rowcount)

    def claim_sweep_run(self, sweep_id: int, *, seen_count: int, run: NewSweepRun,
                        now: datetime, scheduler: str | None = None) -> Run | None:
        """Take the sweep's next run slot and make its run, pending, in one transaction; None
        when another process (or another agent's heartbeat) took that slot first or the sweep
        is no longer running: the caller searches again from what is there now."""
        with self._write() as conn:
            values: dict[str, Any] = {"run_count": _s.run_count + 1, "updated_at": now}
            if scheduler is not None:
                values["scheduler"] = scheduler
            claimed = conn.execute(update(t.sweeps).where(
                _s.id == sweep_id, _s.run_count == seen_count, _s.state == "RUNNING")
                .values(**values))
            if not claimed.rowcount:
                return None
            project_id, sweep_name = conn.execute(
                select(_s.project_id, _s.name).where(_s.id == sweep_id)).one()
            result = conn.execute(t.runs.insert().values(
                project_id=project_id, name=run.name, user_id=run.user_id, state=PENDING,
                tags="[]", config=run.config, summary="{}", history_keys="{}", last_step=-1,
                history_line_count=0, events_line_count=0, log_line_count=0, preempting=False,
                stop_requested=False, sweep_name=sweep_name, program=run.program,
                created_at=now, updated_at=now, heartbeat_at=now))
            run_id = inserted_id(result)
            # the project's mark of a change in its runs (project_run_count)
            conn.execute(TOUCH_PROJECT, {"project_id": project_id, "now": now})
            sync_project_keys(conn, project_id=project_id, before=None,
                              fields={"config": run.config})
            return row_to_run(conn.execute(run_select().where(t.runs.c.id == run_id)).one())

    def sweep_runs(self, project_id: int, sweep_name: str) -> list[Run]:
        with self._read() as conn:
            rows = conn.execute(run_select().where(t.runs.c.project_id == project_id,
                                                   t.runs.c.sweep_name == sweep_name)
                                .order_by(t.runs.c.created_at, t.runs.c.id)).all()
        return [row_to_run(r) for r in rows]

    def count_sweep_runs(self, project_id: int, sweep_name: str) -> int:
        with self._read() as conn:
            return int(conn.execute(select(func.count()).select_from(t.runs).where(
                t.runs.c.project_id == project_id, t.runs.c.sweep_name == sweep_name)).scalar_one())

    def create_sweep_agent(self, *, sweep_id: int, host: str, user_id: int,
                           now: datetime) -> SweepAgent:
        with self._write() as conn:
            result = conn.execute(t.sweep_agents.insert().values(
                sweep_id=sweep_id, host=host, state="RUNNING", user_id=user_id, total_runs=0,
                created_at=now, heartbeat_at=now))
            agent_id = inserted_id(result)
            return _agent(conn.execute(select(t.sweep_agents)
                                       .where(t.sweep_agents.c.id == agent_id)).one())

    def get_sweep_agent(self, agent_id: int) -> SweepAgent | None:
        with self._read() as conn:
            row = conn.execute(select(t.sweep_agents)
                               .where(t.sweep_agents.c.id == agent_id)).first()
        return _agent(row) if row else None

    def list_sweep_agents(self, sweep_id: int) -> list[SweepAgent]:
        with self._read() as conn:
            rows = conn.execute(select(t.sweep_agents).where(t.sweep_agents.c.sweep_id == sweep_id)
                                .order_by(t.sweep_agents.c.id)).all()
        return [_agent(r) for r in rows]

    def touch_sweep_agent(self, agent_id: int, *, state: str, now: datetime,
                          started_run: bool = False) -> None:
        a = t.sweep_agents.c
        values: dict[str, Any] = {"state": state, "heartbeat_at": now}
        if started_run:
            values["total_runs"] = a.total_runs + 1
        with self._write() as conn:
            conn.execute(update(t.sweep_agents).where(a.id == agent_id).values(**values))
