"""`wbserver export --project E/P DEST` and `wbserver import SRC`: one project (runs, history,
console, files, artifacts) moved between servers. The export folder holds its rows (one file
per table) and the bytes of every file they name, read from whichever store holds them; the
import gives everything new ids on the target and writes the bytes to its current store."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wbserver.domain.backup import blob_path, new_folder
from wbserver.errors import InvalidInput
from wbserver.ports import BackupProgress, ProjectTransfer

INFO = "export.json"
FORMAT = 1


@dataclass
class TransferReport:
    entity: str
    project: str
    files: int
    missing: list[str]


def export_project(*, rows: ProjectTransfer, read_blob: Callable[[str], Iterator[bytes]],
                   path: str, dest: Path, progress: BackupProgress) -> TransferReport:
    entity, project = _split(path)
    with new_folder(dest, "export"):
        return _export(rows=rows, read_blob=read_blob, entity=entity, project=project,
                       dest=dest, progress=progress)


def _export(*, rows: ProjectTransfer, read_blob: Callable[[str], Iterator[bytes]], entity: str,
            project: str, dest: Path, progress: BackupProgress) -> TransferReport:
    keys = rows.export_rows(entity, project, dest, progress)
    missing = []
    progress.phase("files", total=len(keys), unit="file")
    for key in keys:
        target = blob_path(dest, key)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with target.open("wb") as out:
                for chunk in read_blob(key):
                    out.write(chunk)
        except FileNotFoundError:
            target.unlink(missing_ok=True)
            missing.append(key)
        progress.advance()
    (dest / INFO).write_text(json.dumps({"format": FORMAT, "entity": entity,
                                         "project": project, "missing": missing}))
    return TransferReport(entity=entity, project=project, files=len(keys) - len(missing),
                          missing=missing)


def import_project(*, rows: ProjectTransfer, write_blob: Callable[[str, Iterable[bytes]], Any],
                   store: str, source: Path, entity: str | None,
                   progress: BackupProgress) -> TransferReport:
    try:
        info = json.loads((source / INFO).read_text())
    except (OSError, ValueError):
        raise InvalidInput(f"{source} is not a folder made by `wbserver export`") from None
    if info.get("format") != FORMAT:
        raise InvalidInput(f"{source} was exported in a format this wbserver does not read")
    entity = entity or info["entity"]
    renamed = rows.import_rows(source, entity, store, progress)
    files = sorted(p for p in (source / "files").rglob("*") if p.is_file())
    progress.phase("files", total=len(files), unit="file")
    for path in files:
        key = path.relative_to(source / "files").as_posix()
        write_blob(_renamed(key, renamed), _chunks(path))
        progress.advance()
    return TransferReport(entity=entity, project=info["project"], files=len(files),
                          missing=list(info.get("missing", [])))


def _split(path: str) -> tuple[str, str]:
    parts = path.split("/")
    if len(parts) != 2 or not all(parts):
        raise InvalidInput(f"--project takes ENTITY/PROJECT, got {path!r}")
    return parts[0], parts[1]


def _renamed(key: str, renamed: dict[str, str]) -> str:
    if key in renamed:
        return renamed[key]
    if key.startswith("runs/"):
        prefix = "/".join(key.split("/", 2)[:2]) + "/"
        return renamed[prefix] + key[len(prefix):]
    return key


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            yield chunk
