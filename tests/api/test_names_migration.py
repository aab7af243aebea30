"""Migration 0015: name columns compare byte-wise on MySQL/MariaDB (utf8mb4_bin), rows stored
before it kept; a name that differed only in case from a stored one can be added after it.
SQLite and MariaDB through the `database` fixture."""

from __future__ import annotations

import importlib
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.dialects import mysql

from wbserver.config.settings import load_settings
from wbserver.metadata import tables as t
from wbserver.metadata.engine import make_engine, upgrade_database

M0015 = importlib.import_module("wbserver.metadata.migrations.versions.0015_names_binary")
NOW = datetime(2026, 12, 1, 12, 0, 0)


def _insert(conn, table: str, **values) -> int:
    columns = ", ".join(values)
    params = ", ".join(f":{k}" for k in values)
    return int(conn.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({params})"),
                            values).lastrowid)


def _binary_columns() -> dict[str, set[str]]:
    """The columns tables.py declares utf8mb4_bin on MySQL/MariaDB."""
    found: dict[str, set[str]] = {}
    for table in t.metadata.sorted_tables:
        for column in table.columns:
            variant = getattr(column.type, "_variant_mapping", {}).get("mysql")
            if isinstance(variant, mysql.VARCHAR) and variant.collation == "utf8mb4_bin":
                found.setdefault(table.name, set()).add(column.name)
    return found


def test_tables_py_declares_what_0015_and_0010_made_binary():
    migrated = {table: {c[0] for c in columns} for table, columns in M0015.COLUMNS.items()}
    migrated.update({"history_segments": {"key"}, "history_rollups": {"key"},
                     "run_values": {"path", "text"},
                     "project_keys": {"key", "detail"}})  # made binary by 0023 itself
    assert _binary_columns() == migrated


def test_0015_keeps_stored_rows_and_then_tells_names_apart_by_case_and_emoji(tmp_path,
                                                                             database):
    settings = load_settings(database, {"data_dir": str(tmp_path / "data")})
    (tmp_path / "data").mkdir()
    engine = make_engine(settings.database_url)
    try:
        upgrade_database(engine, "0014")  # as the previous release left it
        with engine.begin() as conn:
            user = _insert(conn, "users", username="Alice", email="a@example.com",
                           is_admin=False, is_active=True, created_at=NOW)
            entity = _insert(conn, "entities", name="Alice", is_team=False, user_id=user,
                             created_at=NOW)
            project = _insert(conn, "projects", entity_id=entity, name="Proj",
                              visibility="private", created_at=NOW, updated_at=NOW)
            run = _insert(conn, "runs", project_id=project, name="Run\U0001F680", state="running",
                          tags="[]", config="{}", summary="{}", history_keys="{}", last_step=-1,
                          history_line_count=0, events_line_count=0, log_line_count=0,
                          preempting=False, stop_requested=False, created_at=NOW,
                          updated_at=NOW, heartbeat_at=NOW)
            _insert(conn, "run_files", run_id=run, name="Model.PT", uploaded=False,
                    created_at=NOW, updated_at=NOW)
            kind = _insert(conn, "artifact_types", project_id=project, name="Dataset",
                           created_at=NOW)
            _insert(conn, "artifact_sequences", project_id=project, type_id=kind, name="Data",
                    created_at=NOW, updated_at=NOW)

        upgrade_database(engine)  # what `wbserver serve` / `db upgrade` runs

        with engine.begin() as conn:
            # the stored rows, as they were
            assert conn.execute(text("SELECT name FROM runs")).scalars().all() == [
                "Run\U0001F680"]
            assert conn.execute(text("SELECT name FROM run_files")).scalars().all() == [
                "Model.PT"]
            # names equal to them under the old collation are other names now
            user2 = _insert(conn, "users", username="alice", email="b@example.com",
                            is_admin=False, is_active=True, created_at=NOW)
            entity2 = _insert(conn, "entities", name="alice", is_team=False, user_id=user2,
                              created_at=NOW)
            _insert(conn, "projects", entity_id=entity, name="proj", visibility="private",
                    created_at=NOW, updated_at=NOW)
            _insert(conn, "runs", project_id=project, name="run\U0001F389", state="running",
                    tags="[]", config="{}", summary="{}", history_keys="{}", last_step=-1,
                    history_line_count=0, events_line_count=0, log_line_count=0,
                    preempting=False, stop_requested=False, created_at=NOW, updated_at=NOW,
                    heartbeat_at=NOW)
            _insert(conn, "run_files", run_id=run, name="model.pt", uploaded=False,
                    created_at=NOW, updated_at=NOW)
            _insert(conn, "artifact_types", project_id=project, name="dataset", created_at=NOW)
            _insert(conn, "artifact_sequences", project_id=project, type_id=kind, name="data",
                    created_at=NOW, updated_at=NOW)
            assert entity2 != entity
            for table, column, value in [("entities", "name", "alice"),
                                         ("projects", "name", "proj"),
                                         ("runs", "name", "run\U0001F389"),
                                         ("run_files", "name", "model.pt")]:
                found = conn.execute(text(f"SELECT {column} FROM {table} WHERE {column} = :v"),
                                     {"v": value}).scalars().all()
                assert found == [value], (table, found)
            if engine.dialect.name != "sqlite":
                rows = conn.execute(text(
                    "SELECT table_name, column_name, collation_name FROM "
                    "information_schema.columns WHERE table_schema = DATABASE()")).all()
                collations = {(r[0], r[1]): r[2] for r in rows}
                for table, columns in M0015.COLUMNS.items():
                    for column, _length, _nullable in columns:
                        assert collations[(table, column)] == "utf8mb4_bin", (table, column)
    finally:
        engine.dispose()
