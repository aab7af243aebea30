"""Recording stored artifact content (SqlStore.record_blob, one upsert statement): the first
upload makes the row, later ones count and touch it, on SQLite, MariaDB and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from tests.unit import test_leases
from wbserver.metadata import artifact_rows, tables as t
from wbserver.metadata.store import SqlStore

MD5 = "0123456789abcdef0123456789abcdef"
store = test_leases.store  # the fixture: a migrated store on SQLite, MariaDB and PostgreSQL


def blob_row(store: SqlStore) -> tuple[int, datetime, datetime, int, str | None]:
    B = t.artifact_blobs.c
    with store.engine.connect() as conn:
        row = conn.execute(select(B.size, B.created_at, B.referenced_at, B.upload_count,
                                  B.store).where(B.md5 == MD5)).one()
    return row.size, row.created_at, row.referenced_at, row.upload_count, row.store


def test_first_upload_makes_the_row_later_ones_count_and_touch_it(
        store: SqlStore, monkeypatch: pytest.MonkeyPatch) -> None:
    times = iter([datetime(2026, 1, 1, 12, 0, second) for second in range(10)])
    monkeypatch.setattr(artifact_rows, "utcnow", lambda: next(times))
    assert store.stored_blobs([MD5]) == set()
    store.record_blob(MD5, 10, store="local")
    assert store.stored_blobs([MD5]) == {MD5}
    assert blob_row(store) == (10, datetime(2026, 1, 1, 12, 0, 0),
                               datetime(2026, 1, 1, 12, 0, 0), 1, "local")
    store.record_blob(MD5, 99)  # no store named: the row keeps its store; size stays
    assert blob_row(store) == (10, datetime(2026, 1, 1, 12, 0, 0),
                               datetime(2026, 1, 1, 12, 0, 1), 2, "local")
    store.record_blob(MD5, 10, uploaded=False, store="s3://b")  # found, not uploaded
    assert blob_row(store) == (10, datetime(2026, 1, 1, 12, 0, 0),
                               datetime(2026, 1, 1, 12, 0, 2), 2, "s3://b")
    store.record_blob("f" * 32, 5, uploaded=False)
    assert store.stored_blobs([MD5, "f" * 32, "e" * 32]) == {MD5, "f" * 32}
