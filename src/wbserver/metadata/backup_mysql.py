"""ports.DatabaseBackup for MySQL/MariaDB (MYSQL=...) and PostgreSQL (POSTGRES=...), in
process, without mysqldump or pg_dump: one REPEATABLE READ transaction (MySQL's `START
TRANSACTION WITH CONSISTENT SNAPSHOT`) reads every table, streamed, into one gzipped
JSON-lines file per table; a restore migrates an empty database to the backup's revision,
loads the rows, then migrates to the newest schema."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, inspect, text

from wbserver.metadata import tables
from wbserver.metadata.backup_rows import (
    check_known_revision,
    correct_run_files,
    revision_of,
    snapshot_files,
    table_names,
)
from wbserver.metadata.engine import make_engine, upgrade_database
from wbserver.metadata.storage_rows import LAYOUT_MARK
from wbserver.ports import BackupProgress, Snapshot

FOLDER = "database"
BATCH_ROWS = 500
BATCH_BYTES = 4 * 1024 * 1024


class MysqlBackup:
    kind = "mysql"

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)

    def close(self) -> None:
        self.engine.dispose()

    def _quote(self, name: str) -> str:
        return str(self.engine.dialect.identifier_preparer.quote(name))

    def _begin_snapshot(self, conn: Connection) -> None:
        conn.exec_driver_sql("START TRANSACTION WITH CONSISTENT SNAPSHOT")

    def snapshot(self, folder: Any, progress: BackupProgress) -> Snapshot:
        (Path(folder) / FOLDER).mkdir(parents=True, exist_ok=True)
        with self.engine.connect() as raw:
            conn = raw.execution_options(isolation_level="REPEATABLE READ")
            self._begin_snapshot(conn)
            revision = revision_of(conn)
            names = [n for n in table_names_in(conn) if n != "alembic_version"]
            counts = {n: conn.execute(text(f"SELECT COUNT(*) FROM {self._quote(n)}"))
                      .scalar_one() for n in names}
            progress.phase("database", total=sum(counts.values()), unit="row")
            paths = [self._dump_table(conn, Path(folder), name, progress) for name in names]
            files, elsewhere = snapshot_files(conn)
            conn.rollback()
        return Snapshot(kind=self.kind, paths=paths, revision=revision, files=files,
                        elsewhere=elsewhere)

    def _dump_table(self, conn: Connection, folder: Path, name: str,
                    progress: BackupProgress) -> str:
        relative = f"{FOLDER}/{name}.jsonl.gz"
        result = conn.execution_options(stream_results=True, yield_per=1000).execute(
            text(f"SELECT * FROM {self._quote(name)}"))
        with gzip.open(folder / relative, "wt", encoding="utf-8", compresslevel=6) as out:
            out.write(json.dumps({"table": name, "columns": list(result.keys())}) + "\n")
            for row in result:
                out.write(json.dumps([encode_value(v) for v in row]) + "\n")
                progress.advance()
        return relative

    def is_empty(self) -> bool:
        return not table_names(self.engine)

    def clear(self) -> None:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS=0")
            for name in table_names(self.engine):
                conn.exec_driver_sql(f"DROP TABLE `{name}`")
            conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS=1")
            conn.commit()

    def check_revision(self, revision: str) -> None:
        check_known_revision(revision)

    def load(self, folder: Any, snapshot_paths: list[str], revision: str,
             progress: BackupProgress) -> None:
        upgrade_database(self.engine, revision)
        meta = MetaData()
        meta.reflect(self.engine)
        progress.phase("database", total=len(snapshot_paths), unit="table")
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS=0")
            for relative in snapshot_paths:
                _load_table(conn, meta, Path(folder) / relative)
                progress.advance()
            conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS=1")
            conn.commit()
        upgrade_database(self.engine)  # a backup made by an older version
        next_run_id_past_deleted_runs(self.engine)

    def correct_run_files(self, fixes: list[tuple[int, str, int, str]]) -> None:
        correct_run_files(self.engine, fixes)


class PostgresBackup(MysqlBackup):
    """The same format as MySQL's (kind "postgres"); foreign keys are kept checked, so the
    tables are loaded parents first, and each id sequence is moved past the loaded ids."""

    kind = "postgres"

    def _begin_snapshot(self, conn: Connection) -> None:
        conn.exec_driver_sql("SELECT 1")  # the REPEATABLE READ snapshot: taken here

    def clear(self) -> None:
        with self.engine.connect() as conn:
            for name in table_names(self.engine):
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {self._quote(name)} CASCADE")
            conn.commit()

    def load(self, folder: Any, snapshot_paths: list[str], revision: str,
             progress: BackupProgress) -> None:
        upgrade_database(self.engine, revision)
        meta = MetaData()
        meta.reflect(self.engine)
        order = {table.name: i for i, table in enumerate(meta.sorted_tables)}
        paths = sorted(snapshot_paths,
                       key=lambda p: order.get(Path(p).name.split(".")[0], len(order)))
        progress.phase("database", total=len(paths), unit="table")
        with self.engine.connect() as conn:
            for relative in paths:
                _load_table(conn, meta, Path(folder) / relative)
                progress.advance()
        upgrade_database(self.engine)  # a backup made by an older version
        sequences_past_loaded_ids(self.engine)


def sequences_past_loaded_ids(engine: Engine) -> None:
    """PostgreSQL: rows loaded with their ids leave each id sequence where it was; every
    one is set past its table's highest id (runs': past every deleted run's too, as
    next_run_id_past_deleted_runs does on MySQL)."""
    with engine.begin() as conn:
        inspector = inspect(conn)
        for name in inspector.get_table_names():
            if "id" not in {column["name"] for column in inspector.get_columns(name)}:
                continue
            quoted = engine.dialect.identifier_preparer.quote(name)
            sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"),
                                    {"t": quoted}).scalar()
            if sequence is None:
                continue
            top = conn.execute(text(f"SELECT COALESCE(MAX(id), 0) FROM {quoted}")).scalar_one()
            if name == "runs":
                gone = conn.execute(text(
                    "SELECT COALESCE(MAX(run_id), 0) FROM deleted_runs")).scalar_one()
                top = max(int(top), int(gone))
            # setval(s, n, false): the next id is n itself
            conn.execute(text("SELECT setval(:s, :n, false)"),
                         {"s": sequence, "n": int(top) + 1})


def next_run_id_past_deleted_runs(engine: Engine) -> None:
    """Loading rows with their ids leaves AUTO_INCREMENT at the highest *live* run + 1: the
    id of a run deleted before the backup would be given again (a retried deleteRun could
    then hit the new run). The next id is set above every run's and every deleted run's."""
    with engine.begin() as conn:
        top = conn.execute(text(
            "SELECT GREATEST((SELECT COALESCE(MAX(id), 0) FROM runs), "
            "(SELECT COALESCE(MAX(run_id), 0) FROM deleted_runs))")).scalar_one()
        conn.exec_driver_sql(f"ALTER TABLE runs AUTO_INCREMENT = {int(top) + 1}")


def table_names_in(conn: Connection) -> list[str]:
    if conn.dialect.name == "postgresql":
        return sorted(inspect(conn).get_table_names())
    return [str(n) for n in conn.exec_driver_sql("SHOW TABLES").scalars()]


def _load_table(conn: Connection, meta: MetaData, path: Path) -> None:
    """Insert a snapshot file's rows into its table, a committed batch at a time."""
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        header = json.loads(next(lines))
        table = meta.tables[header["table"]]
        if table.name == "server_marks":
            # migration 0022 recorded a layout when it built the empty schema; the snapshot's
            # own is the install's (its content keys follow it)
            conn.execute(table.delete().where(table.c.name.like(LAYOUT_MARK + "%")))
        # a column the database computes (runs.created_second) is not written
        columns = [None if _computed(table.name, c) else c for c in header["columns"]]
        for batch in _batches(lines, columns):
            conn.execute(table.insert(), batch)
            conn.commit()


def _computed(table: str, column: str) -> bool:
    declared = tables.metadata.tables.get(table)
    return declared is not None and column in declared.c and \
        declared.c[column].computed is not None


def _batches(lines: Iterator[str],
             columns: list[str | None]) -> Iterator[list[dict[str, Any]]]:
    """Rows of `columns` (a None column is left out) in batches for one INSERT each."""
    batch: list[dict[str, Any]] = []
    size = 0
    for line in lines:
        batch.append({c: decode_value(v) for c, v in zip(columns, json.loads(line))
                      if c is not None})
        size += len(line)
        if len(batch) >= BATCH_ROWS or size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def encode_value(value: Any) -> Any:
    """JSON for a column value; the few non-JSON types become one-key objects (a column value
    is never a JSON object, so these cannot be confused with data)."""
    if isinstance(value, bytes | bytearray | memoryview):
        return {"b": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"n": str(value)}
    return value


def decode_value(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if "b" in value:
        return base64.b64decode(value["b"])
    if "t" in value:
        return datetime.fromisoformat(value["t"])
    if "d" in value:
        return date.fromisoformat(value["d"])
    return Decimal(value["n"])
