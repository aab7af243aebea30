"""A run's file_stream write locks that run's row and nothing else (issue 24, 256 live runs):
while it holds the lock, the run's project and another run of the project can be locked by
another connection at once. On MariaDB a joined SELECT ... FOR UPDATE locked the project
row too, so every live run of a project waited on the others. On MariaDB and PostgreSQL
(SQLite takes one writer at a time anyway). Run upserts still lock the project row on
MariaDB, on purpose (run_rows.py); a run upsert during a live run's write is checked too."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from tests.unit.test_leases import migrated_store, server_database
from wbserver.domain.models import Run, StreamWrite
from wbserver.domain.users import create_user
from wbserver.metadata.store import SqlStore


@pytest.fixture(params=["mariadb", "postgres"])
def store(request: pytest.FixtureRequest) -> Iterator[SqlStore]:
    with server_database(request.param) as url, migrated_store(url) as made:
        yield made


def lockable(engine: Engine, table: str, row_id: int) -> bool:
    """Whether another connection can lock the row now (NOWAIT: refused at once if held)."""
    with engine.connect() as conn, conn.begin():
        try:
            conn.execute(text(f"SELECT id FROM {table} WHERE id = :id FOR UPDATE NOWAIT"),
                         {"id": row_id})
        except OperationalError:
            return False
        return True


def test_a_stream_write_locks_its_run_row_only(store: SqlStore) -> None:
    user = create_user(store, username="alice", email="alice@example.com")
    entity = store.get_entity("alice")
    assert entity is not None
    runs = [store.upsert_run(entity_id=entity.id, project="p", run_id=None, name=name,
                             user_id=user.id,
                             mutation=lambda current, name=name: {"name": name})[0]
            for name in ("a", "b")]
    seen: dict[str, bool] = {}

    def mutation(locked: Run) -> StreamWrite:
        if not seen:  # another run of the project is created meanwhile, without waiting
            store.upsert_run(entity_id=entity.id, project="p", run_id=None, name="c",
                             user_id=user.id, mutation=lambda current: {"name": "c"})
        seen["own run"] = lockable(store.engine, "runs", locked.id)
        seen["other run"] = lockable(store.engine, "runs", runs[1].id)
        seen["project"] = lockable(store.engine, "projects", locked.project_id)
        return StreamWrite(run_fields={"log_line_count": 1})

    updated = store.apply_stream(project_id=runs[0].project_id, name="a", mutation=mutation)
    assert updated is not None
    assert (updated.id, updated.log_line_count) == (runs[0].id, 1)
    assert (updated.entity_name, updated.project_name, updated.username) == ("alice", "p",
                                                                           "alice")
    assert seen == {"own run": False, "other run": True, "project": True}
    assert store.apply_stream(project_id=runs[0].project_id, name="nope",
                              mutation=mutation) is None
