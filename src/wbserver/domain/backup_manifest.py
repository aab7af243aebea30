"""The manifest inside a backup folder: every file it holds with its size and SHA-256, and
what a restore needs to know (database kind, schema revision, run files rewritten after the
snapshot). `verify` re-reads every file against it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wbserver.ports import BackupProgress

MANIFEST = "manifest.json"
FORMAT = 1
CHUNK = 1024 * 1024


@dataclass
class Manifest:
    database: str  # "sqlite", "mysql" or "postgres"
    revision: str
    created_at: str
    server_version: str
    database_paths: list[str]
    secret_key: str  # "file" (secret.key is in the backup) or "environment" (it is not)
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)  # path -> size, sha256
    # run files whose bytes were replaced after the snapshot: run id, name, size, md5 of the
    # bytes in the backup (the restore writes them into the rows)
    rewritten: list[list[Any]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # keys gone before they were copied
    elsewhere: dict[str, int] = field(default_factory=dict)  # rows naming other stores

    def to_json(self) -> str:
        body = {"format": FORMAT, **self.__dict__}
        return json.dumps({**body, "seal": _seal(body)}, indent=1, sort_keys=True)

    @staticmethod
    def from_json(text: str) -> Manifest:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"not a wbserver backup manifest of format {FORMAT}")
        if data.pop("seal", None) != _seal(data):
            raise ValueError("it was changed or damaged (its own checksum does not match)")
        data.pop("format")
        return Manifest(**data)


def _seal(body: dict[str, Any]) -> str:
    """The SHA-256 of the manifest's content, so a damaged manifest is caught too."""
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def sha256_of(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def read_manifest(folder: Path) -> Manifest:
    return Manifest.from_json((folder / MANIFEST).read_text())


def verify(folder: Path, progress: BackupProgress) -> list[str]:
    """What is wrong with the backup in FOLDER (empty: every file is there, whole)."""
    try:
        manifest = read_manifest(folder)
    except FileNotFoundError:
        return [f"{folder} holds no {MANIFEST}: it is not a wbserver backup"]
    except (ValueError, TypeError) as exc:
        return [f"{MANIFEST} cannot be read: {exc}"]
    problems = []
    progress.phase("verifying", total=sum(int(e["size"]) for e in manifest.entries.values()),
                   unit="B")
    for relative, entry in sorted(manifest.entries.items()):
        path = folder / relative
        if not path.is_file():
            problems.append(f"{relative} is missing")
            continue
        size, sha256 = sha256_of(path)
        progress.advance(size)
        if size != entry["size"] or sha256 != entry["sha256"]:
            problems.append(f"{relative} does not match its checksum (corrupted or changed)")
    for relative in _stray(folder, manifest.entries):
        problems.append(f"{relative} is not in the manifest")
    return problems


def _stray(folder: Path, listed: Iterable[str]) -> list[str]:
    known = set(listed) | {MANIFEST}
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if p.is_file() and str(p.relative_to(folder)) not in known)
