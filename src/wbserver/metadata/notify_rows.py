"""Slack connections, notification choices, and the outbox with leases (one sender per row)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, and_, bindparam, delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from wbserver.domain.models import OutboxItem, SlackConnection
from wbserver.metadata import tables as t

CHOICES = ("alerts", "run_finished", "run_failed", "run_crashed")


def _connection(row: Any) -> SlackConnection:
    return SlackConnection(id=row.id, entity_id=row.entity_id, webhook_url=row.webhook_url,
                           channel=row.channel, team_name=row.team_name,
                           created_at=row.created_at, disabled_at=row.disabled_at,
                           disabled_reason=row.disabled_reason)


# the outbox is polled: its statements are built once
_o = t.outbox.c
_DUE = (_o.sent_at.is_(None), _o.failed_at.is_(None), _o.next_attempt_at <= bindparam("now"),
        or_(_o.lease_until.is_(None), _o.lease_until < bindparam("now")))
_DUE_IDS = select(_o.id).where(*_DUE).order_by(_o.id).limit(bindparam("limit"))
_CLAIM = (update(t.outbox).where(_o.id == bindparam("item_id"), *_DUE)
          .values(lease_owner=bindparam("owner"), lease_until=bindparam("until")))


class NotifyRows:
    if TYPE_CHECKING:  # SqlStore's (store.py)
        def _read(self) -> AbstractContextManager[Connection]: ...
        def _write(self) -> AbstractContextManager[Connection]: ...

    def get_slack_connection(self, entity_id: int) -> SlackConnection | None:
        c = t.slack_connections.c
        with self._read() as conn:
            row = conn.execute(select(t.slack_connections).where(c.entity_id == entity_id)).first()
        return _connection(row) if row else None

    def get_slack_connection_by_id(self, connection_id: int) -> SlackConnection | None:
        c = t.slack_connections.c
        with self._read() as conn:
            row = conn.execute(select(t.slack_connections).where(c.id == connection_id)).first()
        return _connection(row) if row else None

    def save_slack_connection(self, *, entity_id: int, webhook_url: str, channel: str | None,
                              team_name: str | None, user_id: int, now: datetime) -> None:
        """Connect (or reconnect) an entity's channel, replacing any earlier connection."""
        with self._write() as conn:
            conn.execute(delete(t.slack_connections)
                         .where(t.slack_connections.c.entity_id == entity_id))
            conn.execute(t.slack_connections.insert().values(
                entity_id=entity_id, webhook_url=webhook_url, channel=channel,
                team_name=team_name, created_by=user_id, created_at=now))

    def delete_slack_connection(self, entity_id: int) -> bool:
        with self._write() as conn:
            result = conn.execute(delete(t.slack_connections)
                                  .where(t.slack_connections.c.entity_id == entity_id))
        return bool(result.rowcount)

    def disable_slack_connection(self, connection_id: int, *, reason: str, now: datetime) -> None:
        with self._write() as conn:
            conn.execute(update(t.slack_connections)
                         .where(t.slack_connections.c.id == connection_id)
                         .values(disabled_at=now, disabled_reason=reason))

    def get_notification_choices(self, entity_id: int) -> dict[str, bool] | None:
        c = t.notification_choices.c
        with self._read() as conn:
            row = conn.execute(select(t.notification_choices).where(c.entity_id == entity_id)).first()
        if row is None:
            return None
        return {k: bool(getattr(row, k)) for k in CHOICES}

    def save_notification_choices(self, entity_id: int, choices: dict[str, bool]) -> None:
        values = {k: bool(choices.get(k, False)) for k in CHOICES}
        with self._write() as conn:
            conn.execute(delete(t.notification_choices)
                         .where(t.notification_choices.c.entity_id == entity_id))
            conn.execute(t.notification_choices.insert().values(entity_id=entity_id, **values))

    # the outbox -------------------------------------------------------------------------

    def enqueue(self, *, channel: str, target: str, dedupe_key: str, payload: str,
                now: datetime) -> int:
        """1 when stored, 0 when an item with the same dedupe key exists already."""
        try:
            with self._write() as conn:
                conn.execute(t.outbox.insert().values(
                    channel=channel, target=target[:512], dedupe_key=dedupe_key[:255],
                    payload=payload, created_at=now, next_attempt_at=now, attempts=0))
        except IntegrityError:
            return 0
        return 1

    def claim_outbox(self, *, owner: str, now: datetime, lease_seconds: float,
                     limit: int = 20) -> list[OutboxItem]:
        """Due items this process now holds a lease on (no other process sends them)."""
        with self._read() as conn:
            ids = list(conn.execute(_DUE_IDS, {"now": now, "limit": limit}).scalars())
        claimed = []
        until = now + timedelta(seconds=lease_seconds)
        for item_id in ids:
            with self._write() as conn:
                got = conn.execute(_CLAIM, {"item_id": item_id, "now": now, "owner": owner,
                                            "until": until})
                if got.rowcount:
                    row = conn.execute(select(t.outbox).where(_o.id == item_id)).one()
                    claimed.append(OutboxItem(id=row.id, channel=row.channel, target=row.target,
                                              payload=row.payload, attempts=row.attempts,
                                              created_at=row.created_at))
        return claimed

    def outbox_sent(self, item_id: int, *, now: datetime) -> None:
        with self._write() as conn:
            conn.execute(update(t.outbox).where(t.outbox.c.id == item_id)
                         .values(sent_at=now, lease_until=None, last_error=None))

    def outbox_retry(self, item_id: int, *, next_attempt_at: datetime, error: str) -> None:
        with self._write() as conn:
            conn.execute(update(t.outbox).where(t.outbox.c.id == item_id).values(
                attempts=t.outbox.c.attempts + 1, next_attempt_at=next_attempt_at,
                lease_until=None, last_error=error[:2000]))

    def outbox_failed(self, item_id: int, *, now: datetime, error: str) -> None:
        with self._write() as conn:
            conn.execute(update(t.outbox).where(t.outbox.c.id == item_id).values(
                failed_at=now, lease_until=None, last_error=error[:2000]))

    def prune_outbox(self, *, before: datetime) -> int:
        """Forget items sent or given up on before `before`; returns how many."""
        with self._write() as conn:
            done = or_(and_(_o.sent_at.is_not(None), _o.sent_at < before),
                       and_(_o.failed_at.is_not(None), _o.failed_at < before))
            return int(conn.execute(delete(t.outbox).where(done)).rowcount or 0)

    def list_outbox(self, limit: int = 200) -> list[dict[str, Any]]:
        with self._read() as conn:
            rows = conn.execute(select(t.outbox).order_by(t.outbox.c.id).limit(limit)).all()
        return [dict(r._mapping) for r in rows]
