"""Run lifecycle: create or update from UpsertBucket, resume status, stop, crash detection."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from wbserver.domain.clock import utcnow
from wbserver.domain.console import write_output_log
from wbserver.domain.models import CRASHED, FAILED, FINISHED, RUN_STATES, RUNNING, Run, User
from wbserver.domain.names import check_name, new_display_name, new_run_id
from wbserver.domain.permissions import (
    check_project_writable,
    check_project_write,
    default_visibility,
)
from wbserver.errors import InvalidInput, NotFound
from wbserver.ports import BlobStore, MetadataStore

DEFAULT_PROJECT = "uncategorized"


@dataclass(frozen=True)
class RunUpsert:
    """UpsertBucket's input. None means 'leave unchanged'."""

    storage_id: int | None = None
    name: str | None = None
    project: str | None = None
    entity: str | None = None
    display_name: str | None = None
    notes: str | None = None
    description: str | None = None
    group: str | None = None
    job_type: str | None = None
    host: str | None = None
    program: str | None = None
    repo: str | None = None
    commit: str | None = None
    sweep: str | None = None
    state: str | None = None
    tags: list[str] | None = None
    config: str | None = None
    summary: str | None = None


def upsert_run(store: MetadataStore, *, viewer: User, spec: RunUpsert) -> tuple[Run, bool]:
    project = check_name("project", spec.project or DEFAULT_PROJECT)
    if spec.storage_id is not None:
        existing = store.get_run_by_id(spec.storage_id)
        found = store.get_project_by_id(existing.project_id) if existing else None
        if existing is None or found is None:
            raise NotFound("run not found")
        entity = store.get_entity(found.entity_name)
        assert entity is not None
        check_project_write(store, viewer=viewer, project=found, entity=entity)
    else:
        entity = check_project_writable(store, viewer=viewer,
                                        entity=spec.entity or viewer.username, project=project)
    name = check_name("run", spec.name) if spec.name else None
    new_config = _json_object("config", spec.config)
    new_summary = _json_object("summaryMetrics", spec.summary)
    if spec.state is not None and spec.state not in RUN_STATES:
        raise InvalidInput(f"state must be one of {', '.join(RUN_STATES)}")
    from_run_process = spec.name is not None  # wandb-core names the run; Api.update() does not

    def mutation(current: Run | None) -> dict[str, Any]:
        now = utcnow()
        fields: dict[str, Any] = {"updated_at": now}
        if current is None:
            fields["name"] = name or new_run_id()
            fields["display_name"] = spec.display_name or new_display_name(now.microsecond % 97 + 1)
        elif from_run_process and current.state != RUNNING:
            fields.update(state=RUNNING, exit_code=None, finished_at=None, heartbeat_at=now)
        for column, value in (("display_name", spec.display_name), ("notes", spec.notes),
                              ("group_name", spec.group), ("job_type", spec.job_type),
                              ("host", spec.host), ("program", spec.program),
                              ("repo", spec.repo), ("commit_hash", spec.commit),
                              ("sweep_name", spec.sweep), ("state", spec.state),
                              ("tags", spec.tags)):
            if value is not None:
                fields[column] = value
        if spec.description is not None or spec.notes is not None:
            fields["description"] = spec.description if spec.description is not None else spec.notes
        if new_config is not None:
            base = {} if current is None or not from_run_process else json.loads(current.config)
            base.update(new_config)
            fields["config"] = json.dumps(base)
        if new_summary is not None:
            fields["summary"] = json.dumps(new_summary)
        if fields.get("state") in (FINISHED, FAILED, CRASHED) and (current is None or current.state == RUNNING):
            fields.setdefault("finished_at", now)
        return fields

    return store.upsert_run(entity_id=entity.id, project=project, run_id=spec.storage_id,
                            name=name, user_id=viewer.id, mutation=mutation,
                            new_project_visibility=default_visibility(entity))


def _json_object(what: str, text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise InvalidInput(f"{what} is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise InvalidInput(f"{what} must be a JSON object")
    return value


def request_stop(store: MetadataStore, *, run_id: int) -> Run:
    return store.update_run(run_id, lambda _run: {"stop_requested": True})


def mark_crashed_runs(store: MetadataStore, blobs: BlobStore, *, timeout_seconds: float,
                      now: datetime | None = None,
                      on_crash: Callable[[Run], None] | None = None) -> int:
    """Runs whose last file_stream request is older than the timeout are crashed; each gets
    an output.log made from its streamed console lines (its client never uploaded one)."""
    now = now or utcnow()
    crashed = store.mark_stale_runs_crashed(cutoff=now - timedelta(seconds=timeout_seconds),
                                            now=now)
    for run_id in crashed:
        write_output_log(store, blobs, run_id=run_id)
        run = store.get_run_by_id(run_id)
        if on_crash is not None and run is not None:
            on_crash(run)
    return len(crashed)


def wandb_config(run: Run, keys: list[str] | None) -> dict[str, Any]:
    """The `_wandb` part of the config, unwrapped, limited to `keys` when given."""
    config = json.loads(run.config or "{}")
    wandb = config.get("_wandb", {})
    if isinstance(wandb, dict) and "value" in wandb:
        wandb = wandb["value"]
    if not isinstance(wandb, dict):
        return {}
    return {k: v for k, v in wandb.items() if keys is None or k in keys}
