"""Keyed one-row reads on SQLite without SQLAlchemy's execution machinery.

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
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections import namedtuple
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, Select


class _Prepared:
    def __init__(self, statement: Select[Any], engine: Engine) -> None:
        dialect = engine.dialect
        compiled = statement.compile(dialect=dialect)
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
