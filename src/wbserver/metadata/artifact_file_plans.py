"""CreateArtifactFiles in the store: a batch of announced files recorded in a few statements
(not two per file), and the plan of each (upload it, or not: its content is stored).

A file announced again with the same content (the client retries a batch whose answer it
did not get, or asks again for files whose upload it saw fail) keeps the time it was first
announced: commit accepts content first stored at or after that time
(ArtifactReads.stored_since_planned), and a late copy of the announcement must not move the
time past an upload that has already landed. Such a file whose upload has landed needs no
upload again (`landed`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from wbserver.domain.artifact_models import COMMITTED, FilePlan, FileSpec
from wbserver.metadata import tables as t

_IN_CHUNK = 500  # names or md5s per IN list (SQLite's bound on query parameters)
A, B, F = t.artifacts.c, t.artifact_blobs.c, t.artifact_files.c

# built once: a batch runs each with one parameter set per file
_INSERT_FILE = t.artifact_files.insert()
_NEW_CONTENT = update(t.artifact_files).where(
    F.artifact_id == bindparam("file_artifact"), F.name == bindparam("file_name")).values(
    md5=bindparam("file_md5"), mimetype=bindparam("file_mimetype"),
    updated_at=bindparam("file_now"))
_NEW_MIMETYPE = update(t.artifact_files).where(
    F.artifact_id == bindparam("file_artifact"), F.name == bindparam("file_name")).values(
    mimetype=bindparam("file_mimetype"))


def plan_files_in(conn: Connection, *, artifact_id: int, sequence_id: int,
                  specs: list[FileSpec], now: datetime) -> list[FilePlan]:
    """Record the announced files of a pending version (locked by the caller's transaction);
    one plan per spec, in order (a name given twice: its last spec counts)."""
    latest = {s.name: s for s in specs}
    md5s = sorted({s.md5 for s in specs})
    created = _stored_blobs(conn, md5s, now)
    births = _births(conn, sequence_id, sorted(created))
    known = _announced(conn, artifact_id, sorted(latest))
    new, moved, retyped = [], [], []
    landed: set[str] = set()
    for spec in latest.values():
        row = known.get(spec.name)
        params = {"file_artifact": artifact_id, "file_name": spec.name,
                  "file_md5": spec.md5, "file_mimetype": spec.mimetype, "file_now": now}
        if row is None:
            new.append({"artifact_id": artifact_id, "name": spec.name, "md5": spec.md5,
                        "mimetype": spec.mimetype, "updated_at": now})
        elif row.md5 != spec.md5:
            moved.append(params)
        else:
            if row.mimetype != spec.mimetype:
                retyped.append(params)
            stored_at = created.get(spec.md5)
            if stored_at is not None and stored_at >= row.updated_at:
                landed.add(spec.name)
    _insert(conn, new)
    for statement, rows in ((_NEW_CONTENT, moved), (_NEW_MIMETYPE, retyped)):
        if rows:
            conn.execute(statement, rows)
    return [FilePlan(name=s.name, md5=s.md5, needs_upload=s.md5 not in created,
                     birth_artifact_id=int(births.get(s.md5, artifact_id)),
                     landed=s.name in landed and latest[s.name].md5 == s.md5)
            for s in specs]


def _stored_blobs(conn: Connection, md5s: list[str], now: datetime) -> dict[str, datetime]:
    """md5 -> when its content was first stored, for the stored ones (rows locked, and
    marked referenced now: the collector leaves them alone)."""
    created: dict[str, datetime] = {}
    for start in range(0, len(md5s), _IN_CHUNK):
        chunk = md5s[start:start + _IN_CHUNK]
        created.update((md5, at) for md5, at in conn.execute(
            select(B.md5, B.created_at).where(B.md5.in_(chunk)).with_for_update()).all())
    stored = sorted(created)
    for start in range(0, len(stored), _IN_CHUNK):
        conn.execute(update(t.artifact_blobs).where(B.md5.in_(stored[start:start + _IN_CHUNK]))
                     .values(referenced_at=now))
    return created


def _births(conn: Connection, sequence_id: int, stored: list[str]) -> dict[str, int]:
    """md5 -> the first committed version of the sequence holding it."""
    births: dict[str, int] = {}
    for start in range(0, len(stored), _IN_CHUNK):
        births.update((md5, int(first)) for md5, first in conn.execute(
            select(F.md5, func.min(F.artifact_id)).join(t.artifacts, A.id == F.artifact_id)
            .where(A.sequence_id == sequence_id, A.state == COMMITTED,
                   F.md5.in_(stored[start:start + _IN_CHUNK])).group_by(F.md5)).all())
    return births


def _announced(conn: Connection, artifact_id: int, names: list[str]) -> dict[str, Any]:
    """name -> its row (md5, mimetype, updated_at), for the names the version has already."""
    rows: dict[str, Any] = {}
    for start in range(0, len(names), _IN_CHUNK):
        rows.update((row.name, row) for row in conn.execute(
            select(F.name, F.md5, F.mimetype, F.updated_at).where(
                F.artifact_id == artifact_id, F.name.in_(names[start:start + _IN_CHUNK]))))
    return rows


def _insert(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """All in one executemany; if the same batch, retried, inserted some of them meanwhile
    (another server process), one by one, skipping those."""
    if not rows:
        return
    try:
        with conn.begin_nested():
            conn.execute(_INSERT_FILE, rows)
    except IntegrityError:
        for row in rows:
            try:
                with conn.begin_nested():
                    conn.execute(_INSERT_FILE, row)
            except IntegrityError:
                pass
