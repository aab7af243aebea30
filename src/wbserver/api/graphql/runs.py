"""Run mutations (UpsertBucket, alerts, stop) and the Run type's plain fields."""

from __future__ import annotations

from typing import Any

import orjson

from wbserver.api.events import emitter
from wbserver.api.graphql.ids import decode_id, encode_id
from wbserver.api.graphql.resolve_info import GraphQLResolveInfo
from wbserver.api.graphql.schema import Resolver, renames
from wbserver.domain import alerts, history
from wbserver.domain.models import Run, RunKey
from wbserver.domain.notifications import ALERT, RUN_CREATED
from wbserver.domain.permissions import readable_project
from wbserver.domain.runs import RunUpsert, request_stop, upsert_run, wandb_config
from wbserver.errors import NotFound


def upsert_bucket(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
    ctx = info.context
    spec = RunUpsert(
        storage_id=decode_id("Run", input["id"]) if input.get("id") else None,
        name=input.get("name"), project=input.get("modelName"), entity=input.get("entityName"),
        display_name=input.get("displayName"), notes=input.get("notes"),
        description=input.get("description"), group=input.get("groupName"),
        job_type=input.get("jobType"), host=input.get("host"), program=input.get("jobProgram"),
        repo=input.get("jobRepo"), commit=input.get("commit"), sweep=input.get("sweep"),
        state=input.get("state"), tags=input.get("tags"), config=input.get("config"),
        summary=input.get("summaryMetrics"))
    run, inserted = upsert_run(ctx.store, viewer=ctx.viewer, spec=spec)
    if inserted:
        emitter(ctx.services, ctx.base_url)(RUN_CREATED, run)
    return {"bucket": run, "inserted": inserted, "updateAvailable": False}


def find_run(info: GraphQLResolveInfo, entity: str | None, project: str, name: str) -> Run:
    """A run the viewer may read, or NotFound."""
    ctx = info.context
    entity = entity or ctx.viewer.username
    if readable_project(ctx.store, viewer=ctx.viewer, entity=entity, project=project) is None:
        raise NotFound(f"project {entity}/{project} not found")
    run = ctx.store.get_run(RunKey(entity, project, name))
    if run is None:
        raise NotFound(f"run {entity}/{project}/{name} not found")
    return run


def notify_alert(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
    run = find_run(info, input["entityName"], input["projectName"], input["runName"])
    new = alerts.record_alert(info.context.store, run=run, title=input["title"],
                              text=input["text"], severity=input.get("severity") or "INFO",
                              wait_duration_ms=input.get("waitDuration"))
    if new is not None:
        emitter(info.context.services, info.context.base_url)(ALERT, run, new)
    return {"success": True}


def stop_run(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
    run = info.context.store.get_run_by_id(decode_id("Run", input["id"]))
    if run is None:
        raise NotFound("run not found")
    find_run(info, run.entity_name, run.project_name, run.name)  # permission check
    request_stop(info.context.store, run_id=run.id)
    return {"success": True}


def _tail(stream: str) -> Resolver:
    return lambda r, info: orjson.dumps(history.tail_lines(info.context.store, r, stream)).decode()


def _run_user(run: Run, info: GraphQLResolveInfo) -> Any:
    """The run's user, looked up once per request (a page of runs shares a few users)."""
    if not run.user_id:
        return None
    users = info.context.cache.setdefault("users", {})
    if run.user_id not in users:
        users[run.user_id] = info.context.store.get_user(run.user_id)
    return users[run.user_id]


def _wandb_config(run: Run, _info: GraphQLResolveInfo, keys: list[str] | None = None) -> str:
    return orjson.dumps(wandb_config(run, keys)).decode()


RESOLVERS: dict[str, dict[str, Resolver]] = {
    "Mutation": {"upsertBucket": upsert_bucket, "notifyScriptableRunAlert": notify_alert,
                 "stopRun": stop_run},
    "Run": {
        **renames({"displayName": "display_name", "group": "group_name", "jobType": "job_type",
                   "commit": "commit_hash", "sweepName": "sweep_name", "createdAt": "created_at",
                   "updatedAt": "updated_at", "heartbeatAt": "heartbeat_at",
                   "summaryMetrics": "summary", "systemMetrics": "system_metrics",
                   "exitcode": "exit_code", "stopped": "stop_requested",
                   "historyLineCount": "history_line_count",
                   "eventsLineCount": "events_line_count", "logLineCount": "log_line_count"}),
        "id": lambda r, _i: encode_id("Run", r.id),
        "projectId": lambda r, _i: str(r.project_id),
        "project": lambda r, info: info.context.store.get_project_by_id(r.project_id),
        "user": _run_user,
        "readOnly": lambda _r, _i: False,
        "historyTail": _tail("history"),
        "eventsTail": _tail("events"),
        "wandbConfig": _wandb_config,
    },
}
