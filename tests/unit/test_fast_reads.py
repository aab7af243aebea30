"""Keyed one-row reads without SQLAlchemy's execution machinery (SQLite files; MySQL/MariaDB
on the reading pool) give the rows SQLAlchemy gives: same columns, same values after its
result processors (datetimes, booleans, NULLs), for every statement the store reads that
way."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine

from tests.mariadb import fresh_database
from tests.postgres import fresh_database as fresh_postgres
from wbserver.app import open_store
from wbserver.config.runtime import SettingsSource
from wbserver.domain.models import RunKey
from wbserver.domain.runs import RunUpsert, upsert_run
from wbserver.domain.users import create_api_key, create_user, hash_api_key
from wbserver.metadata import run_rows, store as store_module
from wbserver.metadata.fast_reads import FastReads, PooledFastReads


def _open(tmp_path, environ):
    settings = SettingsSource(environ=environ,
                              overrides={"data_dir": str(tmp_path / "data")}).current()
    return open_store(settings)


@pytest.fixture(params=["sqlite", "mariadb"])
def store(request, tmp_path):
    if request.param == "sqlite":
        store = _open(tmp_path, {})
        yield store
        store.close()
        return
    with fresh_database() as uri:
        store = _open(tmp_path, {"MYSQL": uri})
        assert isinstance(store._fast, PooledFastReads)  # mysqlclient (the test extra)
        yield store
        store.close()


@pytest.fixture
def sqlite_store(tmp_path):
    store = _open(tmp_path, {})
    yield store
    store.close()


def _filled(store):
    alice = create_user(store, username="alice", email="alice@example.com", is_admin=True)
    key = create_api_key(store, username="alice")
    run, _ = upsert_run(store, viewer=alice, spec=RunUpsert(
        name="r1", project="proj", entity="alice", config='{"lr": {"value": 0.1}}',
        tags=["a", "b"], state="finished"))
    return key, run


def test_each_fast_statement_reads_what_sqlalchemy_reads(store):
    key, run = _filled(store)
    assert store._fast is not None
    reads = [
        (store_module._USER_BY_KEY_HASH, {"key_hash": hash_api_key(key)}),
        (store_module._ENTITY_BY_NAME, {"name": "alice"}),
        (store_module._PROJECT_BY_NAME, {"entity": "alice", "project": "proj"}),
        (store_module._ENTITY_AND_PROJECT, {"entity": "alice", "project": "proj"}),
        (store_module._ENTITY_AND_PROJECT, {"entity": "alice", "project": "none yet"}),
        (store_module._PROJECT_BY_ID, {"project_id": run.project_id}),
        (run_rows._RUN_BY_KEY, {"entity": "alice", "project": "proj", "name": "r1"}),
        (run_rows._RUN_BY_ID, {"run_id": run.id}),
        (run_rows._RUN_BY_ID, {"run_id": run.id + 1000}),  # no such row
    ]
    for statement, params in reads:
        with store.engine.connect() as conn:
            expected = conn.execute(statement, params).first()
        got = store._fast.first(statement, params)
        if expected is None:
            assert got is None
            continue
        assert got._fields == tuple(expected._fields)
        assert tuple(got) == tuple(expected)
        assert [type(v) for v in got] == [type(v) for v in expected]  # datetimes, bools


def test_the_store_answers_the_same_through_either_path(store, monkeypatch):
    key, run = _filled(store)
    fast = (store.find_user_by_key_hash(hash_api_key(key)), store.get_entity("alice"),
            store.get_project("alice", "proj"), store.get_entity_and_project("alice", "proj"),
            store.get_project_by_id(run.project_id), store.get_run(RunKey("alice", "proj", "r1")),
            store.get_run_by_id(run.id))
    monkeypatch.setattr(store, "_fast", None)
    slow = (store.find_user_by_key_hash(hash_api_key(key)), store.get_entity("alice"),
            store.get_project("alice", "proj"), store.get_entity_and_project("alice", "proj"),
            store.get_project_by_id(run.project_id), store.get_run(RunKey("alice", "proj", "r1")),
            store.get_run_by_id(run.id))
    assert fast == slow
    assert fast[-1].tags == ["a", "b"] and fast[-1].state == "finished"


def test_a_write_is_seen_by_the_next_fast_read(store):
    _key, run = _filled(store)
    store.update_run(run.id, lambda _run: {"state": "crashed"})
    assert store.get_run_by_id(run.id).state == "crashed"


def test_only_for_an_sqlite_file(tmp_path):
    assert FastReads.for_engine(create_engine("sqlite://")) is None  # in memory: one connection
    assert FastReads.for_engine(create_engine(f"sqlite:///{tmp_path / 'x.db'}")) is not None
    assert FastReads.for_engine(create_engine("mysql+pymysql://u:p@127.0.0.1/db")) is None


def test_a_statement_whose_parameters_need_converting_is_refused(tmp_path):
    from datetime import datetime

    from sqlalchemy import bindparam, select

    from wbserver.metadata import tables as t

    fast = FastReads(create_engine(f"sqlite:///{tmp_path / 'x.db'}"))
    with pytest.raises(ValueError, match="needs converting"):
        fast.first(select(t.runs.c.id).where(t.runs.c.created_at > bindparam("since")),
                   {"since": datetime(2026, 1, 1)})


def test_a_threads_connection_goes_with_the_thread(sqlite_store):
    store = sqlite_store
    import gc
    import threading

    _filled(store)
    assert store._fast is not None
    store.get_entity("alice")  # this thread's connection
    threads = [threading.Thread(target=store.get_entity, args=("alice",)) for _ in range(5)]
    for thread in threads:
        thread.start()
        thread.join()
    gc.collect()
    assert store._fast.open_connections() == 1  # worker threads that ended took theirs along


def test_postgres_reads_the_ordinary_way(tmp_path):
    with fresh_postgres() as uri:
        store = _open(tmp_path, {"POSTGRES": uri})
        try:
            assert store._fast is None
            _filled(store)
            assert store.get_entity("alice").name == "alice"
        finally:
            store.close()


def test_mariadb_only_with_mysqlclient():
    assert PooledFastReads.for_engine(create_engine("mysql+mysqldb://u:p@127.0.0.1/db")) \
        is not None
    assert PooledFastReads.for_engine(create_engine("mysql+pymysql://u:p@127.0.0.1/db")) is None
    assert PooledFastReads.for_engine(create_engine("sqlite://")) is None


def test_a_connection_the_server_dropped_is_replaced_and_the_read_answers(tmp_path):
    with fresh_database() as uri:
        store = _open(tmp_path, {"MYSQL": uri})
        try:
            _key, run = _filled(store)
            raw = store._reader.raw_connection()  # the pooled connection the next read takes
            thread_id = raw.driver_connection.thread_id()
            raw.close()
            with store.engine.connect() as conn:
                conn.exec_driver_sql(f"KILL {int(thread_id)}")
            assert store.get_run_by_id(run.id).name == "r1"  # fell back, then read anew
            assert store.get_run_by_id(run.id).name == "r1"  # the pool works on
        finally:
            store.close()
