"""Building the SQLAlchemy engine for a database URL, and running the migrations."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    create_engine,
    event,
    inspect,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError

from wbserver.metadata.mysql_literals import send_bytes_as_hex

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def make_engine(url: str) -> Engine:
    """An engine tuned for the dialect: SQLite gets WAL and BEGIN IMMEDIATE for writers;
    MySQL/MariaDB (PyMySQL) and PostgreSQL (psycopg) a pool in READ COMMITTED."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(url)
        _disk_full_refused(engine)
        return engine
    # READ COMMITTED: a re-read after a duplicate-key error sees the row another
    # transaction just committed (REPEATABLE READ would keep showing the old snapshot).
    # Every use of a connection commits or rolls back its own transaction, so the pool does
    # not roll back again on return; a connection idle for a while is pinged before use
    # (instead of on every checkout: each is a round trip in the pure-Python driver).
    engine = create_engine(url, pool_recycle=3600, pool_size=10, max_overflow=20,
                           isolation_level="READ COMMITTED", pool_reset_on_return=None,
                           **_connect_args(url))
    send_bytes_as_hex(engine)
    _ping_when_idle(engine)
    _disk_full_refused(engine)
    return engine


def reading_engine(engine: Engine) -> Engine:
    """MySQL/MariaDB and PostgreSQL: a second pool for reads whose connections stay in
    autocommit mode, so a read is its statements and nothing else: no COMMIT (or ROLLBACK)
    round trip after each, which on a busy database server cost as much as the read. Under
    READ COMMITTED every statement saw the newest committed rows anyway, in a transaction or
    not. PyMySQL's commit and rollback still send COMMIT/ROLLBACK in autocommit mode: this
    dialect skips them. SQLite: the engine itself (reads there cost no round trip)."""
    if engine.dialect.name == "sqlite":
        return engine
    reader = create_engine(engine.url, pool_recycle=3600, pool_size=10, max_overflow=20,
                           isolation_level="AUTOCOMMIT", pool_reset_on_return=None,
                           **_connect_args(engine.url))
    setattr(reader.dialect, "do_commit", _nothing)  # noqa: B010
    setattr(reader.dialect, "do_rollback", _nothing)  # noqa: B010
    send_bytes_as_hex(reader)
    _ping_when_idle(reader)
    _disk_full_refused(reader)
    return reader


def _connect_args(url: Any) -> dict[str, Any]:
    """PostgreSQL: timestamps are read and written in UTC, whatever the server's TimeZone
    (the columns hold naive UTC times, as on MySQL and SQLite)."""
    if make_url(url).get_backend_name() == "postgresql":
        return {"connect_args": {"options": "-c timezone=UTC"}}
    return {}


def _nothing(_dbapi_conn: Any) -> None:
    """Commit or rollback of an autocommit connection: nothing to end."""


# SQLite's SQLITE_FULL; MySQL/MariaDB's ER_DISK_FULL, ER_RECORD_FILE_FULL (a table is full);
# PostgreSQL's SQLSTATE 53100 disk_full
_FULL_MESSAGES = ("database or disk is full",)
_FULL_CODES = (1021, 1114)
_FULL_STATES = ("53100",)


def _disk_full_refused(engine: Engine) -> None:
    """A write that finds the database's disk full is refused as InsufficientStorage (507,
    retried by the client), not an internal error; its transaction is rolled back.
    PostgreSQL: text with a NUL character, which its text types cannot hold, is refused as
    InvalidInput (400) naming it, not an internal error."""
    from wbserver.errors import InsufficientStorage, InvalidInput

    @event.listens_for(engine, "handle_error")
    def _on_error(context: Any) -> None:
        original = context.original_exception
        if "NUL (0x00)" in str(original) and engine.dialect.name == "postgresql":
            raise InvalidInput("text with a NUL character (\\x00) cannot be stored in this "
                               "server's PostgreSQL database") from original
        code = original.args[0] if getattr(original, "args", None) else None
        state = getattr(original, "sqlstate", None)
        if (any(text in str(original) for text in _FULL_MESSAGES) or code in _FULL_CODES
                or state in _FULL_STATES):
            raise InsufficientStorage("the database's disk is full: nothing of this request "
                                      "was stored (an operator must free space; the same "
                                      "request can then be sent again)") from original


IDLE_PING_AFTER = 10.0  # seconds


def _ping_when_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    # the dialect pings as its driver wants it (PyMySQL: ping(False), no reconnect behind the
    # pool's back; mysqlclient: ping(), whose reconnect argument is deprecated)
    ping = engine.dialect.do_ping

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < IDLE_PING_AFTER:
            return
        try:
            if hasattr(dbapi_conn, "ping"):  # PyMySQL or mysqlclient, as the dialect pings
                ping(dbapi_conn)
            else:  # psycopg: a round trip; out of autocommit it opened a transaction
                dbapi_conn.execute("SELECT 1")
                if not dbapi_conn.autocommit:
                    dbapi_conn.rollback()
        except Exception as exc:  # the server closed it: the pool takes a fresh connection
            raise DisconnectionError(str(exc)) from exc


def _sqlite_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                           pool_size=8, max_overflow=16, pool_reset_on_return=None)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (below)
        cursor = dbapi_conn.cursor()
        # page_size applies to a new database file only (before its first table): 16 KiB
        # pages halve the cost of writing history blobs; small writes barely notice.
        for pragma in ("page_size=16384", "journal_mode=WAL", "synchronous=NORMAL",
                       "busy_timeout=30000",
                       "foreign_keys=ON", "cache_size=-65536", "temp_store=MEMORY"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("wb_write", False)
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def upgrade_database(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to the newest migration (or REVISION; idempotent), holding a lock so
    that several server processes starting at once migrate one after the other."""
    with _migration_lock(engine), engine.connect() as connection:
        if revision == "head":
            tables = inspect(connection).get_table_names()
            if not tables:
                # An empty database (a first start): the newest schema at once, as tables.py
                # declares it (tests/api/test_schema.py holds it equal to the migrations'
                # result), instead of every migration in turn: a second or more of DDL on
                # SQLite, several on MariaDB. Migrations that move data have nothing to move
                # in it. Stamped without Alembic, whose import is a fifth of a start.
                from wbserver.domain.artifact_storage import LAYOUT
                from wbserver.metadata.storage_rows import record_layout
                from wbserver.metadata.tables import metadata

                metadata.create_all(connection)
                record_layout(connection, LAYOUT)  # as migration 0022 records it
                _stamp(connection, head_revision())
                connection.commit()
                return
            if "alembic_version" in tables and _current(connection) == head_revision():
                return  # up to date: nothing for Alembic to do (nor to import)
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


_VERSION = Table("alembic_version", MetaData(),  # as Alembic makes it
                 Column("version_num", String(32), nullable=False),
                 PrimaryKeyConstraint("version_num", name="alembic_version_pkc"))


def _stamp(connection: Connection, revision: str) -> None:
    _VERSION.create(connection)
    connection.execute(_VERSION.insert().values(version_num=revision))


def _current(connection: Connection) -> str | None:
    rows = connection.execute(select(_VERSION.c.version_num)).scalars().all()
    connection.rollback()
    return str(rows[0]) if len(rows) == 1 else None


_REVISION = re.compile(r"""^revision\b[^=]*= *['"]([^'"]+)['"]""", re.MULTILINE)
_DOWN_REVISION = re.compile(r"""^down_revision\b[^=]*= *['"]([^'"]+)['"]""", re.MULTILINE)


def head_revision() -> str:
    """The newest migration's revision, read from the migration files (what Alembic's
    ScriptDirectory finds, without importing Alembic): the one no other revises."""
    revisions, revised = set(), set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        found = _REVISION.search(text)
        down = _DOWN_REVISION.search(text)
        if found:
            revisions.add(found.group(1))
        if down:
            revised.add(down.group(1))
    heads = revisions - revised
    if len(heads) != 1:
        raise RuntimeError(f"the migrations have {len(heads)} heads: {sorted(heads)}")
    return heads.pop()


PG_MIGRATION_LOCK = 0x77627365727665  # an advisory lock's key: "wbserve" in ASCII


@contextlib.contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if not database or database == ":memory:":
            yield
            return
        import fcntl

        with open(database + ".migrate-lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.exec_driver_sql("SET lock_timeout = '300s'")
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({PG_MIGRATION_LOCK})")
            conn.commit()
            try:
                yield
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({PG_MIGRATION_LOCK})")
                conn.exec_driver_sql("RESET lock_timeout")
                conn.commit()
        return
    with engine.connect() as conn:
        got = conn.exec_driver_sql("SELECT GET_LOCK('wbserver_migrations', 300)").scalar()
        if got != 1:
            raise RuntimeError("could not take the migration lock within 300 s")
        try:
            yield
        finally:
            conn.exec_driver_sql("SELECT RELEASE_LOCK('wbserver_migrations')")


def check_reachable(engine: Engine, shown_url: str) -> None:
    """Fail early, naming the database, when it cannot be reached or used."""
    from sqlalchemy.exc import SQLAlchemyError

    from wbserver.errors import ConfigError

    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)) or type(exc).__name__
        raise ConfigError(f"cannot use the database {shown_url}: {reason}") from None
