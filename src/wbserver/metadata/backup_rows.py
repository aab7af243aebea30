"""What a backup reads from its snapshot besides the tables: the files the rows name in the
data folder's store, and the revision; and what a restore writes after loading."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Connection, Engine, inspect, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from wbserver.domain.artifact_storage import content_key, manifest_key
from wbserver.errors import ConfigError
from wbserver.metadata import tables as t
from wbserver.metadata.storage_rows import layout_in
from wbserver.ports import SnapshotFile

LOCAL = "local"  # the name of the data folder's store (LocalBlobStore with BUCKET empty)


def snapshot_files(conn: Connection) -> tuple[list[SnapshotFile], dict[str, int]]:
    """The landed files the snapshot's rows place in the data folder, and how many rows name
    each other store (buckets: backed up on the bucket's side)."""
    files: list[SnapshotFile] = []
    elsewhere: Counter[str] = Counter()
    f = t.run_files.c
    for row in conn.execute(select(f.run_id, f.name, f.md5, f.store)
                            .where(f.size_bytes.is_not(None)).order_by(f.id)):
        if row.store == LOCAL:
            files.append(SnapshotFile(key=f"runs/{row.run_id}/{row.name}", md5_hex=row.md5,
                                      run_file=(row.run_id, row.name)))
        elif row.store is not None:
            elsewhere[row.store] += 1
    b, layout = t.artifact_blobs.c, layout_in(conn)
    for blob in conn.execute(select(b.md5, b.store).order_by(b.md5)):
        if blob.store == LOCAL:
            files.append(SnapshotFile(key=content_key(blob.md5, layout), md5_hex=blob.md5))
        elif blob.store is not None:
            elsewhere[blob.store] += 1
    a = t.artifacts.c
    for version in conn.execute(select(a.id, a.manifest_store).order_by(a.id)):
        if version.manifest_store == LOCAL:
            files.append(SnapshotFile(key=manifest_key(version.id), md5_hex=None))
        elif version.manifest_store is not None:
            elsewhere[version.manifest_store] += 1
    return files, dict(elsewhere)


def revision_of(conn: Connection) -> str:
    try:
        found = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        found = None
    if not found:
        raise ConfigError("the database has no schema revision: is it a wbserver database?")
    return str(found)


def check_known_revision(revision: str) -> None:
    """ConfigError unless this version of wbserver knows the migration REVISION."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from wbserver.metadata.engine import MIGRATIONS_DIR

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    known = {s.revision for s in ScriptDirectory.from_config(config).walk_revisions()}
    if revision not in known:
        raise ConfigError(f"the backup's schema revision {revision} is newer than this "
                          "wbserver knows: restore it with the version that made it, or newer")


def correct_run_files(engine: Engine, fixes: list[tuple[int, str, int, str]]) -> None:
    """Rows of run files uploaded again after the snapshot take the size and MD5 of the bytes
    the backup holds."""
    if not fixes:
        return
    f = t.run_files.c
    with engine.begin() as conn:
        for run_id, name, size, md5 in fixes:
            conn.execute(update(t.run_files).where(f.run_id == run_id, f.name == name)
                         .values(size_bytes=size, md5=md5))


def table_names(engine: Engine) -> list[str]:
    return list(inspect(engine).get_table_names())
