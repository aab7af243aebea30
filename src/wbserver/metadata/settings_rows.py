"""Values saved from /system-admin, and the audit log."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select, update

from wbserver.metadata import tables as t


class SettingsRows:
    if TYPE_CHECKING:  # SqlStore's (store.py)
        def _read(self) -> AbstractContextManager[Connection]: ...
        def _write(self) -> AbstractContextManager[Connection]: ...

    def load_saved_settings(self) -> dict[str, str]:
        """Saved raw values by name (secrets still encrypted); cleared ones are absent."""
        c = t.saved_settings.c
        with self._read() as conn:
            rows = conn.execute(select(c.name, c.value).where(c.value.is_not(None))).all()
        return {r.name: r.value for r in rows}

    def settings_revision(self) -> tuple[Any, int]:
        """Changes whenever any saved value changes (rows are never deleted, only cleared)."""
        c = t.saved_settings.c
        with self._read() as conn:
            row = conn.execute(select(func.max(c.updated_at), func.count())).one()
        return (row[0], int(row[1]))

    def save_settings(self, values: dict[str, str | None], *, user_id: int | None,
                      now: datetime, audit: list[tuple[str, str, str]]) -> None:
        """Save (None clears) several values and their audit entries in one transaction."""
        c = t.saved_settings.c
        with self._write() as conn:
            for name, value in values.items():
                changed = conn.execute(update(t.saved_settings).where(c.name == name)
                                       .values(value=value, updated_at=now, updated_by=user_id))
                if not changed.rowcount:
                    conn.execute(t.saved_settings.insert().values(
                        name=name, value=value, updated_at=now, updated_by=user_id))
            for action, target, detail in audit:
                conn.execute(t.audit_log.insert().values(actor_id=user_id, action=action,
                                                         target=target, detail=detail,
                                                         created_at=now))

    def add_audit(self, *, user_id: int | None, action: str, target: str, detail: str,
                  now: datetime) -> None:
        with self._write() as conn:
            conn.execute(t.audit_log.insert().values(actor_id=user_id, action=action,
                                                     target=target, detail=detail, created_at=now))

    def list_audit(self, limit: int = 100) -> list[dict[str, Any]]:
        query = (select(t.audit_log, t.users.c.username)
                 .outerjoin(t.users, t.users.c.id == t.audit_log.c.actor_id)
                 .order_by(t.audit_log.c.id.desc()).limit(limit))
        with self._read() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]
