"""Run file rows: names handed out for upload, what landed, listing with cursors."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from wbserver.domain.clock import utcnow
from wbserver.domain.models import FilePage, RunFile
from wbserver.metadata import tables as t

_f = t.run_files.c
# Hot statements are built once (building one costs more than running it on SQLite); the
# UPDATE's SET columns are the parameters it is executed with.
_NAMES_IN_RUN = select(_f.name).where(_f.run_id == bindparam("run_id"),
                                      _f.name.in_(bindparam("names", expanding=True)))
_UPDATE_FILE = update(t.run_files).where(_f.run_id == bindparam("file_run_id"),
                                         _f.name == bindparam("file_name"))
_INSERT_FILE = t.run_files.insert()


def _file(row: Row[Any]) -> RunFile:
    return RunFile(id=row.id, run_id=row.run_id, name=row.name, size_bytes=row.size_bytes,
                   md5=row.md5, uploaded=row.uploaded, created_at=row.created_at,
                   updated_at=row.updated_at, store=row.store)


class FileRows:
    if TYPE_CHECKING:  # SqlStore's (store.py)
        def _read(self) -> AbstractContextManager[Connection]: ...
        def _write(self) -> AbstractContextManager[Connection]: ...

    def prepare_run_files(self, run_id: int, names: list[str]) -> None:
        with self._write() as conn:
            existing = set(conn.execute(_NAMES_IN_RUN, {"run_id": run_id,
                                                        "names": names}).scalars())
            now = utcnow()
            new = [n for n in dict.fromkeys(names) if n not in existing]
            if new:
                conn.execute(_INSERT_FILE, [
                    {"run_id": run_id, "name": n, "uploaded": False, "created_at": now,
                     "updated_at": now} for n in new])

    def record_file_upload(self, run_id: int, name: str, *, size_bytes: int, md5: str,
                           store: str | None = None) -> None:
        now = utcnow()
        values: dict[str, Any] = {"size_bytes": size_bytes, "md5": md5, "updated_at": now}
        if store is not None:
            values["store"] = store
        where = {"file_run_id": run_id, "file_name": name}
        with self._write() as conn:
            if conn.execute(_UPDATE_FILE, {**where, **values}).rowcount:
                return
            try:
                with conn.begin_nested():
                    conn.execute(_INSERT_FILE, {"run_id": run_id, "name": name,
                                                "uploaded": False, "created_at": now, **values})
            except IntegrityError:
                conn.execute(_UPDATE_FILE, {**where, **values})

    def get_run_file(self, run_id: int, name: str) -> RunFile | None:
        c = t.run_files.c
        with self._read() as conn:
            row = conn.execute(select(t.run_files).where(c.run_id == run_id, c.name == name)).first()
        return _file(row) if row else None

    def list_run_files(self, run_id: int, *, names: list[str] | None, pattern: str | None,
                       after: int | None, first: int) -> FilePage:
        c = t.run_files.c
        where = [c.run_id == run_id, c.size_bytes.is_not(None)]
        if names:
            where.append(c.name.in_(names))
        elif pattern:
            where.append(c.name.like(pattern))
        with self._read() as conn:
            total = conn.execute(select(func.count()).select_from(t.run_files).where(*where)).scalar_one()
            query = select(t.run_files).where(*where)
            if after is not None:
                query = query.where(c.id > after)
            rows = conn.execute(query.order_by(c.id).limit(first + 1)).all()
        return FilePage(files=[_file(r) for r in rows[:first]], has_next_page=len(rows) > first,
                        total=int(total))
