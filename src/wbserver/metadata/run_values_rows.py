"""Keeping `run_values` (domain/run_query.py) in step with each run's config and summary."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete

from wbserver.domain.run_query import indexed_values
from wbserver.metadata import tables as t


def sync_run_values(conn: Connection, *, run_id: int, project_id: int,
                    fields: dict[str, Any]) -> None:
    """Re-index the config and/or summary among `fields` (called inside the run's write)."""
    v = t.run_values.c
    for source in ("config", "summary"):
        if source not in fields:
            continue
        conn.execute(delete(t.run_values).where(
            v.run_id == run_id, v.path >= source + ".", v.path < source + "/"))
        rows = [{"run_id": run_id, "project_id": project_id, "path": x.path, "kind": x.kind,
                 "num": x.num, "text": x.text, "top": x.top}
                for x in indexed_values(source, fields[source])]
        if rows:
            conn.execute(t.run_values.insert(), rows)
