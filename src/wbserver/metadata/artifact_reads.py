"""Artifact reads: versions by id, client id or alias; sequences; files; lineage."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, func, select

from wbserver.domain.artifact_models import (
    COMMITTED,
    DELETED,
    Artifact,
    ArtifactAlias,
    ArtifactFile,
    ArtifactSequence,
)
from wbserver.domain.models import Run
from wbserver.metadata import tables as t
from wbserver.metadata.run_rows import row_to_run, run_select

A, S = t.artifacts.c, t.artifact_sequences.c
_VERSION = re.compile(r"^v(\d+)$")
_IN_CHUNK = 500  # md5s per IN list (SQLite's bound on query parameters)
# versions whose files' content was proven: committed, or deleted after their commit
_PROVEN = (A.state == COMMITTED) | ((A.state == DELETED) & A.version_index.is_not(None))


def _artifact_select() -> Any:
    return (
        select(t.artifacts, S.name.label("sequence_name"), S.project_id.label("project_id"),
               t.artifact_types.c.name.label("type_name"),
               t.projects.c.name.label("project_name"), t.entities.c.name.label("entity_name"))
        .join(t.artifact_sequences, S.id == A.sequence_id)
        .join(t.artifact_types, t.artifact_types.c.id == S.type_id)
        .join(t.projects, t.projects.c.id == S.project_id)
        .join(t.entities, t.entities.c.id == t.projects.c.entity_id)
    )


def _artifact(row: Row[Any], aliases: tuple[ArtifactAlias, ...]) -> Artifact:
    return Artifact(
        id=row.id, sequence_id=row.sequence_id, project_id=row.project_id,
        entity_name=row.entity_name, project_name=row.project_name,
        sequence_name=row.sequence_name, type_name=row.type_name,
        version_index=row.version_index, state=row.state, digest=row.digest,
        digest_algorithm=row.digest_algorithm, description=row.description,
        metadata=row.metadata, size=int(row.size), file_count=int(row.file_count),
        client_id=row.client_id, sequence_client_id=row.sequence_client_id,
        created_by_run_id=row.created_by_run_id, history_step=row.history_step,
        manifest_digest=row.manifest_digest, created_at=row.created_at,
        updated_at=row.updated_at, aliases=aliases,
        tags=tuple(json.loads(row.tags)) if row.tags else (),
        manifest_type=row.manifest_type, base_artifact_id=row.base_artifact_id,
        manifest_patches=int(row.manifest_patches or 0), distributed_id=row.distributed_id,
        ttl_duration_seconds=row.ttl_duration_seconds)


def _file(row: Row[Any]) -> ArtifactFile:
    return ArtifactFile(id=row.id, artifact_id=row.artifact_id, name=row.name, md5=row.md5,
                        size=row.size, birth_artifact_id=row.birth_artifact_id, ref=row.ref,
                        mimetype=row.mimetype, updated_at=row.updated_at)


class ArtifactReads:
    if TYPE_CHECKING:  # SqlStore's (store.py)
        def _read(self) -> AbstractContextManager[Connection]: ...

    def _artifacts_in(self, conn: Connection, where: list[Any], order: Any = None,
                      limit: int | None = None) -> list[Artifact]:
        query = _artifact_select().where(*where)
        if order is not None:
            query = query.order_by(order)
        if limit is not None:
            query = query.limit(limit)
        rows = conn.execute(query).all()
        if not rows:
            return []
        L = t.artifact_aliases.c
        aliases: dict[int, list[ArtifactAlias]] = {}
        for alias in conn.execute(select(L.id, L.artifact_id, L.alias).where(
                L.artifact_id.in_([r.id for r in rows])).order_by(L.alias)):
            aliases.setdefault(alias.artifact_id, []).append(ArtifactAlias(alias.id, alias.alias))
        return [_artifact(r, tuple(aliases.get(r.id, ()))) for r in rows]

    def _artifact_in(self, conn: Connection, artifact_id: int) -> Artifact:
        return self._artifacts_in(conn, [A.id == artifact_id])[0]

    def _latest_in(self, conn: Connection, sequence_id: int) -> Artifact | None:
        found = self._artifacts_in(conn, [A.sequence_id == sequence_id, A.state == COMMITTED],
                                   order=A.version_index.desc(), limit=1)
        return found[0] if found else None

    def get_artifact(self, artifact_id: int) -> Artifact | None:
        with self._read() as conn:
            found = self._artifacts_in(conn, [A.id == artifact_id])
        return found[0] if found else None

    def get_artifact_by_client_id(self, client_id: str) -> Artifact | None:
        with self._read() as conn:
            found = self._artifacts_in(conn, [A.client_id == client_id])
        return found[0] if found else None

    def find_artifact(self, project_id: int, sequence: str, alias: str) -> Artifact | None:
        """A committed version by `latest`, `vN` or a custom alias."""
        where = [S.project_id == project_id, S.name == sequence, A.state == COMMITTED]
        version = _VERSION.match(alias)
        with self._read() as conn:
            if version:
                found = self._artifacts_in(conn, [*where, A.version_index == int(version.group(1))])
            else:
                L = t.artifact_aliases.c
                artifact_id = conn.execute(select(L.artifact_id).join(
                    t.artifact_sequences, S.id == L.sequence_id).where(
                    S.project_id == project_id, S.name == sequence, L.alias == alias)).scalar()
                found = [] if artifact_id is None else self._artifacts_in(
                    conn, [*where, A.id == artifact_id])
        return found[0] if found else None

    def get_sequence(self, sequence_id: int) -> ArtifactSequence | None:
        with self._read() as conn:
            row = conn.execute(_sequence_select().where(S.id == sequence_id)).first()
        return _sequence(row) if row else None

    def find_sequence(self, project_id: int, name: str) -> ArtifactSequence | None:
        with self._read() as conn:
            row = conn.execute(_sequence_select().where(S.project_id == project_id,
                                                        S.name == name)).first()
        return _sequence(row) if row else None

    def list_artifact_files(self, artifact_id: int, *, names: list[str] | None,
                            after: int | None, first: int,
                            stored_only: bool = True) -> tuple[list[ArtifactFile], bool, int]:
        F = t.artifact_files.c
        where = [F.artifact_id == artifact_id]
        if stored_only:
            where.append(F.md5.is_not(None))
        if names:
            where.append(F.name.in_(names))
        with self._read() as conn:
            total = conn.execute(select(func.count()).select_from(t.artifact_files)
                                 .where(*where)).scalar_one()
            if after is not None:
                where.append(F.id > after)
            rows = conn.execute(select(t.artifact_files).where(*where).order_by(F.id)
                                .limit(first + 1)).all()
        return [_file(r) for r in rows[:first]], len(rows) > first, int(total)

    def find_artifact_file(self, project_id: int, md5: str) -> ArtifactFile | None:
        """A file with this content in a committed version of the project."""
        F = t.artifact_files.c
        with self._read() as conn:
            row = conn.execute(select(t.artifact_files)
                               .join(t.artifacts, A.id == F.artifact_id)
                               .join(t.artifact_sequences, S.id == A.sequence_id)
                               .where(S.project_id == project_id, F.md5 == md5,
                                      A.state == COMMITTED).limit(1)).first()
        return _file(row) if row else None

    def content_in_project(self, project_id: int, md5s: Iterable[str]) -> set[str]:
        """The md5s that committed versions of the project hold (or held, as below); one
        index probe per md5, however many versions share it."""
        B, F = t.artifact_blobs.c, t.artifact_files.c
        held = (select(F.id).join(t.artifacts, A.id == F.artifact_id)
                .join(t.artifact_sequences, S.id == A.sequence_id)
                .where(F.md5 == B.md5, S.project_id == project_id, _PROVEN))
        wanted = sorted(set(md5s))
        found: set[str] = set()
        with self._read() as conn:
            for start in range(0, len(wanted), _IN_CHUNK):
                found.update(conn.execute(select(B.md5).where(
                    B.md5.in_(wanted[start:start + _IN_CHUNK]), held.exists())).scalars())
        return found

    def content_projects(self, md5s: Iterable[str]) -> dict[str, set[int]]:
        """For each md5, the projects whose committed versions hold it (or held it: a
        version deleted after its commit keeps its rows, and its content was proven)."""
        F = t.artifact_files.c
        found: dict[str, set[int]] = {}
        wanted = sorted(set(md5s))
        with self._read() as conn:
            for start in range(0, len(wanted), _IN_CHUNK):
                rows = conn.execute(
                    select(F.md5, S.project_id).distinct()
                    .join(t.artifacts, A.id == F.artifact_id)
                    .join(t.artifact_sequences, S.id == A.sequence_id)
                    .where(F.md5.in_(wanted[start:start + _IN_CHUNK]), _PROVEN))
                for md5, project_id in rows:
                    found.setdefault(md5, set()).add(int(project_id))
        return found

    def stored_since_planned(self, artifact_id: int, md5s: Iterable[str]) -> set[str]:
        """The md5s whose content was first stored at or after the version announced a file
        of that content (CreateArtifactFiles)."""
        B, F = t.artifact_blobs.c, t.artifact_files.c
        wanted = sorted(set(md5s))
        found: set[str] = set()
        with self._read() as conn:
            for start in range(0, len(wanted), _IN_CHUNK):
                found.update(conn.execute(
                    select(B.md5).distinct().join(t.artifact_files, F.md5 == B.md5)
                    .where(F.artifact_id == artifact_id,
                           B.md5.in_(wanted[start:start + _IN_CHUNK]),
                           B.created_at >= F.updated_at)).scalars())
        return found

    def artifact_users(self, artifact_id: int) -> list[Run]:
        U = t.artifact_usages.c
        with self._read() as conn:
            rows = conn.execute(run_select().join(t.artifact_usages, U.run_id == t.runs.c.id)
                                .where(U.artifact_id == artifact_id)
                                .order_by(U.created_at, t.runs.c.id)).all()
        return [row_to_run(r) for r in rows]

    def run_artifacts(self, run_id: int, *, output: bool, after: int | None,
                      first: int) -> tuple[list[Artifact], bool, int]:
        """Versions a run logged (output) or used (input), oldest first, cursor-paged by id."""
        if output:
            outs = t.artifact_outputs.c
            also = select(outs.artifact_id).where(outs.run_id == run_id)
            where = [(A.created_by_run_id == run_id) | A.id.in_(also), A.state == COMMITTED]
        else:
            U = t.artifact_usages.c
            used = select(U.artifact_id).where(U.run_id == run_id)
            where = [A.id.in_(used), A.state == COMMITTED]
        with self._read() as conn:
            total = conn.execute(select(func.count()).select_from(t.artifacts)
                                 .where(*where)).scalar_one()
            if after is not None:
                where.append(A.id > after)
            found = self._artifacts_in(conn, where, order=A.id, limit=first + 1)
        return found[:first], len(found) > first, int(total)


def _sequence_select() -> Any:
    return (select(t.artifact_sequences, t.artifact_types.c.name.label("type_name"),
                   t.projects.c.name.label("project_name"),
                   t.entities.c.name.label("entity_name"))
            .join(t.artifact_types, t.artifact_types.c.id == S.type_id)
            .join(t.projects, t.projects.c.id == S.project_id)
            .join(t.entities, t.entities.c.id == t.projects.c.entity_id))


def _sequence(row: Row[Any]) -> ArtifactSequence:
    return ArtifactSequence(id=row.id, project_id=row.project_id, entity_name=row.entity_name,
                            project_name=row.project_name, name=row.name,
                            type_name=row.type_name, description=row.description,
                            created_at=row.created_at, updated_at=row.updated_at,
                            kind=row.kind, tags=tuple(json.loads(row.tags)) if row.tags else (),
                            deleted=row.deleted_at is not None)
