"""Which store holds each file: the registry of stores and the per-file store names."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import IntegrityError

from wbserver.domain.clock import utcnow
from wbserver.metadata import tables as t


class StorageRows:
    if TYPE_CHECKING:  # SqlStore's (store.py)
        def _read(self) -> AbstractContextManager[Connection]: ...
        def _write(self) -> AbstractContextManager[Connection]: ...

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
