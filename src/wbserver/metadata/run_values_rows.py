"""Keeping `run_values` (domain/run_query.py) in step with each run's config and summary."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, delete

from wbserver.domain.run_query import indexed_values
from wbserver.metadata import tables as t

_v = t.run_values.c
_DELETE_SOURCE = delete(t.run_values).where(
    _v.run_id == bindparam("run_id"), _v.path >= bindparam("low"), _v.path < bindparam("high"))


def sync_run_values(conn: Connection, *, run_id: int, project_id: int,
                    fields: dict[str, Any], fresh: bool = False) -> None:
    """Re-index the config and/or summary among `fields` (called inside the run's write;
    `fresh`: the run was just inserted, so it has nothing indexed yet)."""
    for source in ("config", "summary"):
        if source not in fields:
            continue
        if not fresh:
            conn.execute(_DELETE_SOURCE, {"run_id": run_id, "low": source + ".",
                                          "high": source + "/"})
        rows = [{"run_id": run_id, "project_id": project_id, "path": x.path, "kind": x.kind,
                 "num": x.num, "text": x.text, "top": x.top}
                for x in indexed_values(source, fields[source])]
        if rows:
            conn.execute(t.run_values.insert(), rows)
