"""MySQL/MariaDB and PostgreSQL pools: a connection the server closed while it sat idle in the pool is replaced
before use (the pool pings idle connections instead of every checkout)."""

from __future__ import annotations

import pymysql
import pytest

from tests.postgres import ADMIN, POSTGRES
from wbserver.config.database_urls import postgres_url
from wbserver.metadata import engine as engine_module
from wbserver.metadata.engine import make_engine

from .conftest import MARIADB

# both drivers: mysqlclient (C, the default where it is installed) and PyMySQL (the fallback)
DRIVERS = pytest.mark.parametrize("driver", ["mysqldb", "pymysql"])


@DRIVERS
def test_connection_killed_while_idle_is_replaced(monkeypatch: pytest.MonkeyPatch,
                                                  driver: str) -> None:
    engine = make_engine(MARIADB.replace("mysql://", f"mysql+{driver}://") + "/mysql")
    try:
        with engine.connect() as conn:
            first = conn.exec_driver_sql("SELECT CONNECTION_ID()").scalar()
        admin = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="")
        with admin.cursor() as cursor:
            cursor.execute(f"KILL CONNECTION {int(first)}")
        admin.close()
        monkeypatch.setattr(engine_module, "IDLE_PING_AFTER", 0.0)
        with engine.connect() as conn:
            second = conn.exec_driver_sql("SELECT CONNECTION_ID()").scalar()
        assert second != first
    finally:
        engine.dispose()


@DRIVERS
def test_busy_connection_is_not_pinged(monkeypatch: pytest.MonkeyPatch, driver: str) -> None:
    engine = make_engine(MARIADB.replace("mysql://", f"mysql+{driver}://") + "/mysql")
    pings = []
    try:
        with engine.connect() as conn:
            raw = conn.connection.driver_connection
            original = type(raw).ping
            monkeypatch.setattr(type(raw), "ping", lambda self, *a, **k: (
                pings.append(1), original(self, *a, **k))[1])
        for _ in range(5):
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        assert pings == []  # used again within IDLE_PING_AFTER: no round trip spent on a ping
    finally:
        engine.dispose()


@pytest.mark.parametrize("autocommit", [False, True])
def test_postgres_connection_killed_while_idle_is_replaced(
        monkeypatch: pytest.MonkeyPatch, autocommit: bool) -> None:
    """The same on PostgreSQL (psycopg has no ping: a SELECT 1, then a rollback out of
    autocommit), for the write pool and the autocommit read pool."""
    import psycopg

    from wbserver.metadata.engine import reading_engine

    writer = make_engine(postgres_url(POSTGRES + "/postgres"))
    engine = reading_engine(writer) if autocommit else writer
    try:
        with engine.connect() as conn:
            first = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            conn.commit()
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [first])
        monkeypatch.setattr(engine_module, "IDLE_PING_AFTER", 0.0)
        with engine.connect() as conn:
            second = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            # the ping left no transaction open behind the one this use begins
            conn.commit()
        assert second != first
        with engine.connect() as conn:  # a live idle connection passes the ping and is kept
            assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() == second
    finally:
        if engine is not writer:
            engine.dispose()
        writer.dispose()
