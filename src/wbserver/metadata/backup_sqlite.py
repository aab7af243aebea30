"""ports.DatabaseBackup for the SQLite file of the data folder: SQLite's online backup API
(`sqlite3.Connection.backup`) copies a consistent snapshot while the server keeps writing."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine

from wbserver.errors import ConfigError
from wbserver.metadata.backup_rows import (
    check_known_revision,
    correct_run_files,
    revision_of,
    snapshot_files,
)
from wbserver.metadata.engine import make_engine, upgrade_database
from wbserver.ports import BackupProgress, Snapshot

SNAPSHOT = "database/wbserver.sqlite"


class SqliteBackup:
    kind = "sqlite"

    def __init__(self, database: Path) -> None:
        self.database = database

    def snapshot(self, folder: Any, progress: BackupProgress) -> Snapshot:
        if not self.database.is_file():
            raise ConfigError(f"there is no database at {self.database}")
        target = Path(folder) / SNAPSHOT
        target.parent.mkdir(parents=True, exist_ok=True)
        progress.phase("database", total=1, unit="copy")
        source = sqlite3.connect(self.database, timeout=30)
        copy = sqlite3.connect(target)
        try:
            # One step (pages=-1): the whole copy reads one snapshot. Several smaller steps would
            # start over each time another connection writes, and the server writes all along.
            source.backup(copy, pages=-1)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            copy.close()
            source.close()
        progress.advance()
        engine = create_engine(f"sqlite:///{target}")
        try:
            with engine.connect() as conn:
                revision = revision_of(conn)
                files, elsewhere = snapshot_files(conn)
        finally:
            engine.dispose()
        return Snapshot(kind=self.kind, paths=[SNAPSHOT], revision=revision, files=files,
                        elsewhere=elsewhere)

    def is_empty(self) -> bool:
        return not self.database.exists()

    def clear(self) -> None:
        for suffix in ("", "-wal", "-shm", ".migrate-lock"):
            Path(f"{self.database}{suffix}").unlink(missing_ok=True)

    def check_revision(self, revision: str) -> None:
        check_known_revision(revision)

    def load(self, folder: Any, snapshot_paths: list[str], revision: str,
             progress: BackupProgress) -> None:
        progress.phase("database", total=1, unit="copy")
        self.database.parent.mkdir(parents=True, exist_ok=True)
        partial = self.database.with_name(self.database.name + ".restoring")
        source = sqlite3.connect(f"file:{Path(folder) / snapshot_paths[0]}?mode=ro", uri=True)
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        os.replace(partial, self.database)
        engine = make_engine(f"sqlite:///{self.database}")
        try:
            upgrade_database(engine)  # a backup made by an older version
        finally:
            engine.dispose()
        progress.advance()

    def correct_run_files(self, fixes: list[tuple[int, str, int, str]]) -> None:
        engine = make_engine(f"sqlite:///{self.database}")
        try:
            correct_run_files(engine, fixes)
        finally:
            engine.dispose()
