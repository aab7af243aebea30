"""Migration 0004 marks what was stored before it as living on the local disk."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from wbserver.metadata.engine import MIGRATIONS_DIR, make_engine


def test_files_stored_before_0004_are_on_the_local_disk(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    def upgrade(revision: str) -> None:
        with engine.connect() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

    upgrade("0003")
    with sqlite3.connect(tmp_path / "db.sqlite") as raw:  # no foreign keys: no run needed
        raw.execute("INSERT INTO run_files (run_id, name, size_bytes, md5, uploaded, "
                    "created_at, updated_at) VALUES (1, 'landed.txt', 3, 'x', 1, "
                    "'2026-01-01', '2026-01-01'), (1, 'pending.txt', NULL, NULL, 0, "
                    "'2026-01-01', '2026-01-01')")
    upgrade("0004")
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT name, store FROM run_files")).all())
        stores = conn.execute(text("SELECT name, config FROM blob_stores")).all()
    assert rows == {"landed.txt": "local", "pending.txt": None}
    assert [tuple(s) for s in stores] == [("local", "")]
    engine.dispose()
