"""domain/backup.py with a fake database: files rewritten or deleted between the snapshot and
the copy, verify's findings, restore's refusals."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wbserver.domain.backup import make_backup, restore_backup
from wbserver.domain.backup_manifest import verify
from wbserver.errors import InvalidInput
from wbserver.ports import Snapshot, SnapshotFile


class Quiet:
    def phase(self, what: str, total: int | None = None, unit: str = "") -> None: ...
    def advance(self, amount: int = 1) -> None: ...


class FakeDatabase:
    kind = "sqlite"

    def __init__(self, files: list[SnapshotFile]) -> None:
        self.files = files
        self.loaded = False
        self.fixes: list[tuple[int, str, int, str]] = []
        self.empty = True

    def snapshot(self, folder: Any, progress: Any) -> Snapshot:
        (Path(folder) / "database").mkdir()
        (Path(folder) / "database" / "db").write_bytes(b"rows")
        return Snapshot(kind=self.kind, paths=["database/db"], revision="0012",
                        files=self.files, elsewhere={"s3://bucket": 3})

    def is_empty(self) -> bool:
        return self.empty

    def clear(self) -> None:
        self.empty = True

    def check_revision(self, revision: str) -> None: ...

    def load(self, folder: Any, snapshot_paths: list[str], revision: str, progress: Any) -> None:
        assert (Path(folder) / snapshot_paths[0]).read_bytes() == b"rows"
        self.loaded = True
        self.empty = False

    def correct_run_files(self, fixes: list[tuple[int, str, int, str]]) -> None:
        self.fixes = fixes


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


BLOBS = {"runs/1/a.txt": b"newer bytes", "artifacts/md5/ab/x": b"content"}
FILES = [SnapshotFile("runs/1/a.txt", md5(b"old"), (1, "a.txt")),
         SnapshotFile("artifacts/md5/ab/x", md5(b"content")),
         SnapshotFile("runs/1/gone.txt", md5(b"gone"), (1, "gone.txt"))]


def read_blob(key: str) -> Iterator[bytes]:
    if key not in BLOBS:
        raise FileNotFoundError(key)
    return iter([BLOBS[key]])


def backup(tmp_path: Path) -> tuple[Path, FakeDatabase]:
    secret = tmp_path / "secret.key"
    secret.write_text("k" * 64)
    database = FakeDatabase(FILES)
    report = make_backup(database=database, read_blob=read_blob, secret_file=secret,
                         dest=tmp_path / "b", progress=Quiet(), server_version="test")
    assert report.problems == []
    return tmp_path / "b", database


def test_a_run_file_rewritten_after_the_snapshot_is_kept_and_its_row_corrected(tmp_path):
    folder, _ = backup(tmp_path)
    assert (folder / "files/runs/1/a.txt").read_bytes() == b"newer bytes"
    target = tmp_path / "data"
    written: dict[str, bytes] = {}
    database = FakeDatabase([])
    report = restore_backup(source=folder, database=database,
                            write_blob=lambda k, chunks: written.__setitem__(k, b"".join(chunks)),
                            data_dir=target, force=False, progress=Quiet())
    assert written == BLOBS
    assert database.loaded and database.fixes == [(1, "a.txt", 11, md5(b"newer bytes"))]
    assert report.manifest.missing == ["runs/1/gone.txt"]
    assert report.manifest.elsewhere == {"s3://bucket": 3}
    assert (target / "secret.key").read_text() == "k" * 64


def test_verify_names_a_corrupt_a_missing_and_a_stray_file(tmp_path):
    folder, _ = backup(tmp_path)
    (folder / "files/artifacts/md5/ab/x").write_bytes(b"CONTENT")
    (folder / "database/db").unlink()
    (folder / "extra").write_text("?")
    problems = verify(folder, Quiet())
    assert problems == ["database/db is missing",
                        "files/artifacts/md5/ab/x does not match its checksum (corrupted or changed)",
                        "extra is not in the manifest"]
    assert verify(tmp_path / "nothing", Quiet())[0].endswith("it is not a wbserver backup")
    manifest = (folder / "manifest.json").read_text()
    (folder / "manifest.json").write_text(manifest.replace('"0012"', '"0011"'))
    assert verify(folder, Quiet()) == ["manifest.json cannot be read: it was changed or damaged "
                                       "(its own checksum does not match)"]


def test_restore_refuses_a_target_with_files_or_a_database_unless_forced(tmp_path):
    folder, _ = backup(tmp_path)
    target = tmp_path / "data"
    target.mkdir()
    (target / "secret.key").write_text("another server's key")
    database = FakeDatabase([])

    def restore(force: bool) -> None:
        restore_backup(source=folder, database=database, write_blob=lambda k, c: None,
                       data_dir=target, force=force, progress=Quiet())

    with pytest.raises(InvalidInput, match="not empty"):
        restore(False)
    assert (target / "secret.key").read_text() == "another server's key" and not database.loaded
    (target / "secret.key").unlink()
    (target / "files").mkdir()  # an empty folder is not data
    database.empty = False
    with pytest.raises(InvalidInput, match="not empty"):
        restore(False)
    restore(True)
    assert database.loaded and (target / "secret.key").read_text() == "k" * 64


def test_a_failed_backup_leaves_no_partial_copy(tmp_path):
    class Broken(FakeDatabase):
        def snapshot(self, folder: Any, progress: Any) -> Snapshot:
            (Path(folder) / "database").mkdir()
            (Path(folder) / "database" / "half").write_bytes(b"x")
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        make_backup(database=Broken([]), read_blob=read_blob, secret_file=None,
                    dest=tmp_path / "b", progress=Quiet(), server_version="test")
    assert list((tmp_path / "b").iterdir()) == []
