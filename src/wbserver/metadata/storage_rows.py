"""Which store holds each file: the registry of stores and the per-file store names, and the
install's artifact content key layout (domain/artifact_storage.py)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, select, update
from sqlalchemy.exc import IntegrityError

from wbserver.domain.artifact_storage import LAYOUT, LAYOUTS, LEGACY_LAYOUT
from wbserver.domain.clock import utcnow
from wbserver.metadata import tables as t

LAYOUT_MARK = "artifact_layout:"  # a server_marks row: artifact_layout:<layout>


def layout_of(conn: Connection) -> str | None:
    """The artifact layout the database records (the earliest mark), or None."""
    c = t.server_marks.c
    found = conn.execute(select(c.name).where(c.name.like(LAYOUT_MARK + "%")).order_by(
        c.created_at, c.name).limit(1)).scalar()
    layout = str(found)[len(LAYOUT_MARK):] if found is not None else None
    return layout if layout in LAYOUTS else None


def layout_for(conn: Connection) -> str:
    """The layout a database without a mark gets: the legacy one if it holds any artifact
    version or content already (its objects stay where they are), else the current one."""
    held = conn.execute(select(t.artifact_blobs.c.md5).limit(1)).first() is not None or \
        conn.execute(select(t.artifacts.c.id).limit(1)).first() is not None
    return LEGACY_LAYOUT if held else LAYOUT


def layout_in(conn: Connection) -> str:
    """The layout of the database CONN reads (a snapshot's, an export's source...); a
    schema older than the marks (a backup of an older version) by what it holds."""
    if not inspect(conn).has_table(t.server_marks.name):
        return layout_for(conn)
    return layout_of(conn) or layout_for(conn)


def record_layout(conn: Connection, layout: str) -> None:
    conn.execute(t.server_marks.insert().values(name=LAYOUT_MARK + layout, created_at=utcnow()))


class StorageRows:
    if TYPE_CHECKING:  # SqlStore's (store.py)
        def _read(self) -> AbstractContextManager[Connection]: ...
        def _write(self) -> AbstractContextManager[Connection]: ...

    def artifact_layout(self) -> str:
        """This install's artifact content layout, recorded once (read once per process)."""
        known: str | None = getattr(self, "_artifact_layout", None)
        if known is None:
            with self._read() as conn:
                known = layout_of(conn)
            if known is None:  # a database that missed migration 0022's mark
                try:
                    with self._write() as conn:
                        record_layout(conn, layout_for(conn))
                except IntegrityError:
                    pass  # another process recorded it first
                with self._read() as conn:
                    known = layout_of(conn) or LEGACY_LAYOUT
            self._artifact_layout = known
        return known

    def content_store(self, md5: str) -> str | None:
        with self._read() as conn:
            return conn.execute(select(t.artifact_blobs.c.store).where(
                t.artifact_blobs.c.md5 == md5)).scalar()

    def manifest_store(self, artifact_id: int) -> str | None:
        with self._read() as conn:
            return conn.execute(select(t.artifacts.c.manifest_store).where(
                t.artifacts.c.id == artifact_id)).scalar()

    def set_manifest_store(self, artifact_id: int, store: str) -> None:
        A = t.artifacts.c
        with self._write() as conn:
            conn.execute(update(t.artifacts).where(
                A.id == artifact_id, (A.manifest_store != store) | A.manifest_store.is_(None))
                .values(manifest_store=store))

    def register_blob_store(self, name: str, config: str) -> None:
        """Remember a store (and how to open it again); the first registration wins."""
        with self._write() as conn:
            if conn.execute(select(t.blob_stores.c.name).where(
                    t.blob_stores.c.name == name)).first():
                return
            try:
                with conn.begin_nested():
                    conn.execute(t.blob_stores.insert().values(
                        name=name, config=config, created_at=utcnow()))
            except IntegrityError:  # another process registered it at the same moment
                pass

    def blob_stores(self) -> dict[str, str]:
        with self._read() as conn:
            rows = conn.execute(select(t.blob_stores.c.name, t.blob_stores.c.config)).all()
        return {row.name: row.config for row in rows}

    def unlanded_run_files(self, *, created_after: datetime, created_before: datetime,
                           limit: int) -> list[tuple[int, str]]:
        """Run files handed an upload URL in the window whose bytes were never recorded."""
        c = t.run_files.c
        with self._read() as conn:
            rows = conn.execute(select(c.run_id, c.name).where(
                c.size_bytes.is_(None), c.created_at > created_after,
                c.created_at <= created_before).order_by(c.id).limit(limit)).all()
        return [(int(r.run_id), str(r.name)) for r in rows]
