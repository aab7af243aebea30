"""Run events (created, finished, failed, crashed, preempting, alert) into the outbox: one row
per destination (a Slack connection, the notifications queue), each with a dedupe key so an
event enqueued twice is stored once. A worker delivers them (workers/outbox.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from wbserver.domain.clock import iso
from wbserver.domain.models import Run
from wbserver.ports import MetadataStore

SCHEMA_VERSION = 1
RUN_CREATED, RUN_FINISHED, RUN_FAILED = "run_created", "run_finished", "run_failed"
RUN_CRASHED, RUN_PREEMPTING, ALERT = "run_crashed", "run_preempting", "alert"
# the outbox target of a queue row: the setting whose value (encrypted at rest) says where
QUEUE_TARGET = "NOTIFICATIONS_QUEUE"
EVENT_KINDS = (RUN_CREATED, RUN_FINISHED, RUN_FAILED, RUN_CRASHED, RUN_PREEMPTING, ALERT)
# which notification choice lets an event kind reach Slack
SLACK_CHOICE = {ALERT: "alerts", RUN_FINISHED: "run_finished", RUN_FAILED: "run_failed",
                RUN_CRASHED: "run_crashed"}
DEFAULT_CHOICES = {"alerts": True, "run_finished": False, "run_failed": True,
                   "run_crashed": True}


@dataclass(frozen=True)
class AlertInfo:
    id: int
    title: str
    text: str
    severity: str


def choices_for(store: MetadataStore, entity_id: int) -> dict[str, bool]:
    """Which events reach this entity's Slack channel (defaults until it chooses)."""
    return store.get_notification_choices(entity_id) or dict(DEFAULT_CHOICES)


def run_url(base_url: str, run: Run) -> str | None:
    if not base_url:
        return None
    parts = (run.entity_name, run.project_name, "runs", run.name)
    return base_url.rstrip("/") + "/" + "/".join(quote(p, safe="") for p in parts)


def event_payload(kind: str, run: Run, *, now: datetime, base_url: str,
                  alert: AlertInfo | None = None) -> dict[str, Any]:
    """The documented event (docs/notifications.md): versioned, ids and names, state, times."""
    payload: dict[str, Any] = {
        "version": SCHEMA_VERSION, "type": kind, "time": iso(now) + "Z",
        "entity": run.entity_name, "project": run.project_name,
        "run": {"id": run.name, "storage_id": run.id, "display_name": run.display_name,
                "state": run.state, "user": run.username, "exit_code": run.exit_code,
                "created_at": _z(run.created_at), "finished_at": _z(run.finished_at),
                "url": run_url(base_url, run)},
    }
    if alert is not None:
        payload["alert"] = {"id": alert.id, "title": alert.title, "text": alert.text,
                            "severity": alert.severity}
    return payload


def _z(value: datetime | None) -> str | None:
    text = iso(value)
    return text + "Z" if text else None


def episode(kind: str, run: Run, now: datetime, alert: AlertInfo | None) -> str:
    """What makes this event unique: a run finishes once per resume, an alert once, ..."""
    if alert is not None:
        return f"alert{alert.id}"
    if kind in (RUN_FINISHED, RUN_FAILED):
        return iso(run.finished_at) or iso(now) or ""
    if kind == RUN_CREATED:
        return "created"
    return iso(now) or ""


def enqueue_run_event(store: MetadataStore, *, kind: str, run: Run, now: datetime,
                      base_url: str, to_queue: bool, alert: AlertInfo | None = None) -> int:
    """Put the event in the outbox for every destination that wants it; returns how many.
    A queue row names the setting (QUEUE_TARGET), never the URI and its credentials: the
    sender reads NOTIFICATIONS_QUEUE when it delivers."""
    payload = json.dumps(event_payload(kind, run, now=now, base_url=base_url, alert=alert))
    key = f"{kind}:{run.id}:{episode(kind, run, now, alert)}"
    rows = 0
    if to_queue:
        rows += store.enqueue(channel="queue", target=QUEUE_TARGET, dedupe_key=f"queue:{key}",
                              payload=payload, now=now)
    choice = SLACK_CHOICE.get(kind)
    if choice is None:
        return rows
    for entity_name in dict.fromkeys(filter(None, (run.username, run.entity_name))):
        entity = store.get_entity(entity_name)
        if entity is None:
            continue
        connection = store.get_slack_connection(entity.id)
        if connection is None or connection.disabled_at is not None:
            continue
        if not choices_for(store, entity.id).get(choice, False):
            continue
        rows += store.enqueue(channel="slack", target=str(connection.id),
                              dedupe_key=f"slack{connection.id}:{key}", payload=payload, now=now)
    return rows
