"""The schema tables.py declares is the one the migrations build, on SQLite, MariaDB and
PostgreSQL: a
first start creates it from tables.py at once (engine.upgrade_database), a database of an
older version gets it migration by migration, and both must be the same."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from tests.postgres import on_every_database
from wbserver.config.settings import load_settings
from wbserver.metadata.engine import MIGRATIONS_DIR, head_revision, make_engine, upgrade_database
from wbserver.metadata.tables import metadata


def _head() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head
    assert head_revision() == head  # what a start reads from the files, without Alembic
    return head


def _differences(engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    return [d for d in diff if not (d[0] == "remove_table" and d[1].name == "alembic_version")]


def _database(tmp_path, database, name):
    if not database:
        return make_engine(f"sqlite:///{tmp_path / name / 'wbserver.sqlite'}")
    return make_engine(load_settings(database, {"data_dir": str(tmp_path)}).database_url)


@on_every_database()
def test_migrations_build_what_tables_py_declares_and_a_first_start_creates_it(
        tmp_path, database):
    head = _head()
    migrated = _database(tmp_path, database, "migrated")
    try:
        upgrade_database(migrated, head)  # a named revision: every migration in turn
        assert _differences(migrated) == []
        if database:  # the next database on the same server (the fixture made an empty one)
            with migrated.begin() as conn:
                conn.execute(text("DROP TABLE alembic_version"))
                quote = migrated.dialect.identifier_preparer.quote
                for table in reversed(metadata.sorted_tables):
                    conn.execute(text(f"DROP TABLE {quote(table.name)}"))
    finally:
        migrated.dispose()
    fresh = _database(tmp_path, database, "fresh")
    try:
        upgrade_database(fresh)  # an empty database: created from tables.py, stamped
        assert _differences(fresh) == []
        with fresh.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
            if "MYSQL" in database:
                collation = conn.execute(text(
                    "SELECT collation_name FROM information_schema.columns WHERE table_schema"
                    " = DATABASE() AND table_name = 'runs' AND column_name = 'name'")).scalar()
                assert collation == "utf8mb4_bin"
        upgrade_database(fresh)  # again: nothing to do
    finally:
        fresh.dispose()


@pytest.mark.parametrize("database", ["sqlite", "mariadb", "postgres"], indirect=True)
def test_every_migration_goes_down_and_up_again(tmp_path, database):
    """Each migration's downgrade runs (to an empty database) and the schema built again is
    the declared one (on MariaDB too, which refuses to drop an index a foreign key needs)."""
    engine = _database(tmp_path, database, "downgraded")
    try:
        upgrade_database(engine, _head())
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        with engine.connect() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "base")
            conn.commit()
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
        upgrade_database(engine, _head())
        assert _differences(engine) == []
    finally:
        engine.dispose()
