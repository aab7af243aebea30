"""Keyed one-row reads without SQLAlchemy's execution machinery (SQLite; MySQL/MariaDB).

Every GraphQL and file_stream request looks up its caller, its project and its run before it
writes anything. Through SQLAlchemy each such read costs about 75 µs on SQLite (a pooled
connection, BEGIN, the execution context, COMMIT); the SELECT itself about 4 µs. Here a
statement is compiled once by SQLAlchemy for SQLite and then runs on a connection of the
calling thread's own, in autocommit mode: one SELECT in WAL mode reads one consistent
snapshot, as the transaction around it did. Its values pass through the result processors
SQLAlchemy itself would apply (datetimes, booleans), so the rows are the same
(tests/unit/test_fast_reads.py compares them).

Only statements whose parameters need no conversion are taken (strings and integers), and
only for a database file (an in-memory database is private to one connection).

On MySQL/MariaDB (`PooledFastReads`) the same prepared statements run on a connection of the
store's autocommit reading pool, checked out and back as SQLAlchemy does (its idle ping
included): about 100 µs of the server's CPU less a read than through a Connection, three or
four reads a request. A driver error there invalidates that connection and the read is
done again the ordinary way, which reports errors as every other read does.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections import namedtuple
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, Select


class FastReadFailed(Exception):
    """The fast path could not read (a driver error): read the ordinary way instead."""


class _Prepared:
    def __init__(self, statement: Select[Any], engine: Engine) -> None:
        dialect = engine.dialect
        compiled = statement.compile(dialect=dialect)
        if compiled.positiontup is None and compiled.binds:
            raise ValueError("named parameters: not a fast read")
        self.sql = str(compiled)
        self.order: tuple[str, ...] = tuple(compiled.positiontup or ())
        for name in self.order:
            kind = compiled.binds[name].type
            if kind.dialect_impl(dialect).bind_processor(dialect) is not None:
                raise ValueError(f"parameter {name!r} needs converting: not a fast read")
        columns = list(statement.selected_columns)
        self.row_type: Any = namedtuple("Row", list(statement.selected_columns.keys()))  # type: ignore[misc]
        self.processors: list[Callable[[Any], Any] | None] = [
            c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns]

    def row(self, raw: tuple[Any, ...]) -> Any:
        return self.row_type._make(
            value if process is None or value is None else process(value)
            for process, value in zip(self.processors, raw))


class _ThreadConnection:
    """A thread's own connection: closed when its thread ends (the thread's locals go, and
    with them the connection), or by `FastReads.close`."""

    __slots__ = ("conn", "__weakref__")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn


class FastReads:
    """`first(statement, params)`: the statement's first row (attribute access by column key,
    as SQLAlchemy's rows), or None."""

    def __init__(self, engine: Engine) -> None:
        database = engine.url.database
        if engine.dialect.name != "sqlite" or not database or database == ":memory:":
            raise ValueError("fast reads need an SQLite database file")
        self._engine = engine
        self._path = database
        # by the statement's identity; the statement is kept so that its id is never reused
        self._prepared: dict[int, tuple[Select[Any], _Prepared]] = {}
        self._local = threading.local()
        # worker threads come and go: only the live ones' connections are held
        self._open: weakref.WeakSet[_ThreadConnection] = weakref.WeakSet()

    @classmethod
    def for_engine(cls, engine: Engine) -> FastReads | None:
        try:
            return cls(engine)
        except ValueError:
            return None

    def first(self, statement: Select[Any], params: dict[str, Any]) -> Any:
        found = self._prepared.get(id(statement))
        if found is None:  # the statements are module constants: a handful, kept for good
            found = self._prepared[id(statement)] = (statement, _Prepared(statement, self._engine))
        prepared = found[1]
        rows = self._connection().execute(prepared.sql,
                                          [params[name] for name in prepared.order]).fetchall()
        return prepared.row(rows[0]) if rows else None

    def _connection(self) -> sqlite3.Connection:
        held: _ThreadConnection | None = getattr(self._local, "held", None)
        if held is None:
            conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False,
                                   timeout=30)  # the busy timeout, as the engine's
            held = self._local.held = _ThreadConnection(conn)
            self._open.add(held)
        return held.conn

    def open_connections(self) -> int:
        return len(self._open)

    def close(self) -> None:
        for held in list(self._open):
            held.conn.close()
        self._local = threading.local()


class PooledFastReads:
    """`first(statement, params)` as FastReads, on MySQL/MariaDB: a raw connection of the
    reading pool (autocommit: one SELECT, no COMMIT) for each read."""

    def __init__(self, reader: Engine) -> None:
        if reader.dialect.name != "mysql" or reader.dialect.paramstyle != "format":
            raise ValueError("pooled fast reads need MySQL/MariaDB")
        self._engine = reader
        self._error = reader.dialect.loaded_dbapi.Error
        self._prepared: dict[int, tuple[Select[Any], _Prepared]] = {}

    @classmethod
    def for_engine(cls, reader: Engine) -> PooledFastReads | None:
        try:
            return cls(reader)
        except ValueError:
            return None

    def first(self, statement: Select[Any], params: dict[str, Any]) -> Any:
        found = self._prepared.get(id(statement))
        if found is None:
            found = self._prepared[id(statement)] = (statement, _Prepared(statement, self._engine))
        prepared = found[1]
        values = [params[name] for name in prepared.order]
        raw = self._engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute(prepared.sql, values)
            rows = cursor.fetchall()
            cursor.close()
        except self._error as exc:
            raw.invalidate(exc)
            raise FastReadFailed(str(exc)) from exc
        finally:
            raw.close()
        return prepared.row(rows[0]) if rows else None

    def close(self) -> None:
        """The pool is the reading engine's: it closes with it."""
