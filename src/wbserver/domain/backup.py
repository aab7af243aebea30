"""`wbserver backup` and `wbserver restore`: a consistent snapshot of a serving server.

Order of a backup: the database first (one consistent snapshot), then the data folder's files
its rows name, then the secret key, then the manifest, then a verify pass.

Copying files after the snapshot is safe because every row that says a file landed was
written after its bytes were in place (atomic rename first, row second), and:
- artifact content (wandb_artifacts/md5/..., artifacts/md5/... on older installs: the
  snapshot's own layout) is addressed by its MD5 and never rewritten; only the
  garbage collector deletes it, and only content no committed version holds: if that happens
  between snapshot and copy, the key is listed as missing (its rows are garbage);
- a version's manifest is written once, before its commit;
- run files may be uploaded again under the same name (wandb-summary.json, output.log, files
  saved with policy "live"): the rename makes the copy one whole version, the snapshot's or a
  later one. A later one (its MD5 differs from its row) is kept and listed in the manifest, and
  the restore writes its size and MD5 into the row, so rows and bytes always agree.
Files landed after the snapshot are not copied: no row of the snapshot names them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from wbserver.domain.backup_manifest import MANIFEST, Manifest, read_manifest, sha256_of, verify
from wbserver.errors import ConfigError, InvalidInput
from wbserver.ports import BackupProgress, DatabaseBackup, SnapshotFile

FILES = "files"
SECRET = "secret.key"


@dataclass
class BackupReport:
    folder: Path
    manifest: Manifest
    copied: int = 0
    copied_bytes: int = 0
    problems: list[str] = field(default_factory=list)  # from the final verify


def make_backup(*, database: DatabaseBackup, read_blob: Callable[[str], Iterator[bytes]],
                secret_file: Path | None, dest: Path, progress: BackupProgress,
                server_version: str) -> BackupReport:
    """Back up into DEST (a new or empty folder). SECRET_FILE None: the key comes from the
    environment (WBSERVER_SECRET_KEY) and is not in the backup."""
    with new_folder(dest):
        return _make_backup(database=database, read_blob=read_blob, secret_file=secret_file,
                            dest=dest, progress=progress, server_version=server_version)


def _make_backup(*, database: DatabaseBackup, read_blob: Callable[[str], Iterator[bytes]],
                 secret_file: Path | None, dest: Path, progress: BackupProgress,
                 server_version: str) -> BackupReport:
    snapshot = database.snapshot(dest, progress)
    manifest = Manifest(database=snapshot.kind, revision=snapshot.revision,
                        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                        server_version=server_version, database_paths=snapshot.paths,
                        secret_key="environment" if secret_file is None else "file",
                        elsewhere=snapshot.elsewhere)
    report = BackupReport(folder=dest, manifest=manifest)
    progress.phase("files", total=len(snapshot.files), unit="file")
    for item in snapshot.files:
        _copy_file(item, read_blob, dest, manifest, report)
        progress.advance()
    if secret_file is not None:
        shutil.copyfile(secret_file, dest / SECRET)
        os.chmod(dest / SECRET, 0o600)
    for relative in [*snapshot.paths, *([SECRET] if secret_file is not None else [])]:
        size, sha256 = sha256_of(dest / relative)
        manifest.entries[relative] = {"size": size, "sha256": sha256}
    (dest / MANIFEST).write_text(manifest.to_json())
    report.problems = verify(dest, progress)
    return report


@contextmanager
def new_folder(dest: Path, what: str = "back up") -> Iterator[None]:
    """DEST made (or found empty), private; emptied again if what fills it fails."""
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise InvalidInput(f"{dest} is not an empty folder: {what} into a new one")
    dest.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(dest, 0o700)  # a backup holds the secret key
    try:
        yield
    except BaseException:
        for child in dest.iterdir():
            shutil.rmtree(child) if child.is_dir() else child.unlink()
        raise


def blob_path(folder: Path, key: str) -> Path:
    parts = PurePosixPath(key).parts
    if not parts or any(p in ("", ".", "..") for p in parts) or key.startswith("/"):
        raise InvalidInput(f"storage key {key!r} cannot be a file name in a backup")
    return folder.joinpath(FILES, *parts)


def _copy_file(item: SnapshotFile, read_blob: Callable[[str], Iterator[bytes]], dest: Path,
               manifest: Manifest, report: BackupReport) -> None:
    target = blob_path(dest, item.key)
    target.parent.mkdir(parents=True, exist_ok=True)
    md5, sha256, size = hashlib.md5(usedforsecurity=False), hashlib.sha256(), 0
    try:
        chunks = read_blob(item.key)
        with target.open("wb") as out:
            for chunk in chunks:
                out.write(chunk)
                md5.update(chunk)
                sha256.update(chunk)
                size += len(chunk)
    except FileNotFoundError:
        target.unlink(missing_ok=True)
        manifest.missing.append(item.key)
        return
    relative = str(target.relative_to(dest))
    manifest.entries[relative] = {"size": size, "sha256": sha256.hexdigest()}
    if item.run_file is not None and item.md5_hex != md5.hexdigest():
        manifest.rewritten.append([*item.run_file, size, md5.hexdigest()])
    report.copied += 1
    report.copied_bytes += size


# restore --------------------------------------------------------------------------------

@dataclass
class RestoreReport:
    manifest: Manifest
    files: int = 0


def restore_backup(*, source: Path, database: DatabaseBackup,
                   write_blob: Callable[[str, Iterable[bytes]], Any], data_dir: Path,
                   force: bool, progress: BackupProgress) -> RestoreReport:
    """Restore the backup in SOURCE into DATA_DIR and DATABASE (both empty unless FORCE),
    after verifying it; migrations run when the backup is older than this server."""
    problems = verify(source, progress)
    if problems:
        raise InvalidInput("the backup fails verification, nothing was restored: "
                           + "; ".join(problems[:10]))
    manifest = read_manifest(source)
    if manifest.database != database.kind:
        where = {"mysql": "MYSQL is set", "postgres": "POSTGRES is set"}.get(
            manifest.database, "neither MYSQL nor POSTGRES is set")
        raise ConfigError(f"the backup holds a {manifest.database} database and the target is "
                          f"{database.kind}: restore it where {where}")
    database.check_revision(manifest.revision)
    if not force and (has_files(data_dir) or not database.is_empty()):
        raise InvalidInput(f"the target is not empty (data folder {data_dir}"
                           f"{' or its database' if database.kind != 'sqlite' else ''}): "
                           "restore into a fresh one, or pass --force to replace it")
    if force:
        database.clear()
        shutil.rmtree(data_dir / FILES, ignore_errors=True)
        (data_dir / SECRET).unlink(missing_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    report = RestoreReport(manifest=manifest)
    blobs = sorted(p for p in manifest.entries if p.startswith(FILES + "/"))
    progress.phase("files", total=len(blobs), unit="file")
    for relative in blobs:
        key = relative[len(FILES) + 1:]
        write_blob(key, _chunks(source / relative))
        report.files += 1
        progress.advance()
    if manifest.secret_key == "file":
        target = data_dir / SECRET
        shutil.copyfile(source / SECRET, target)
        os.chmod(target, 0o600)
    database.load(source, manifest.database_paths, manifest.revision, progress)
    database.correct_run_files([(int(r[0]), str(r[1]), int(r[2]), str(r[3]))
                                for r in manifest.rewritten])
    return report


def has_files(folder: Path) -> bool:
    """Whether FOLDER holds any file (empty folders do not count)."""
    return folder.is_dir() and any(p.is_file() for p in folder.rglob("*"))


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            yield chunk
