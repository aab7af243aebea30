"""Artifact rows: create (with digest dedup), file plans (content dedup), commit, delete.

Writes that touch a sequence's versions or aliases lock the sequence row first, so version
indexes and aliases stay consistent with any number of server processes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Row, bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from wbserver.domain.artifact_models import (
    COMMITTED,
    DELETED,
    LATEST,
    PENDING,
    SEQUENCE,
    Artifact,
    FilePlan,
    FileSpec,
    ManifestEntry,
    NewArtifact,
)
from wbserver.domain.clock import utcnow
from wbserver.errors import InvalidInput, NotFound
from wbserver.metadata import tables as t
from wbserver.metadata.artifact_file_plans import plan_files_in
from wbserver.metadata.artifact_reads import ArtifactReads
from wbserver.metadata.blob_upsert import upsert_blob
from wbserver.metadata.inserted import inserted_id

A = t.artifacts.c
FREED = "-"  # manifest_digest of a deleted version whose manifest the GC removed

# built once: every upload of artifact content looks up one blob
_BL = t.artifact_blobs.c
_ONE_STORED_BLOB = select(_BL.md5).where(_BL.md5 == bindparam("blob_md5"))


class ArtifactRows(ArtifactReads):
    if TYPE_CHECKING:  # SqlStore's (store.py)
        engine: Engine

        def _write(self) -> AbstractContextManager[Connection]: ...
        def _first(self, statement: Any, params: dict[str, Any]) -> Any: ...
        def _get_or_create_project(self, conn: Connection, *, entity_id: int, name: str,
                                   user_id: int) -> int: ...
        def _drop_links_in(self, conn: Connection, artifact_ids: list[int]) -> None: ...

    # create -------------------------------------------------------------------------

    def create_artifact(self, spec: NewArtifact) -> tuple[Artifact, Artifact | None, bool]:
        """(the version, the sequence's latest committed version before, whether it is new).

        A retried request (same client id) and a digest already committed in the sequence
        (when dedup is asked for) return the existing version instead of a new one."""
        with self._write() as conn:
            if spec.client_id:
                found = conn.execute(select(A.id).where(A.client_id == spec.client_id)).scalar()
                if found is not None:
                    existing = self._artifact_in(conn, int(found))
                    return existing, self._latest_in(conn, existing.sequence_id), False
            project_id = self._get_or_create_project(conn, entity_id=spec.entity_id,
                                                     name=spec.project, user_id=spec.user_id)
            type_id = _get_or_create(conn, t.artifact_types, project_id=project_id,
                                     name=spec.type_name)
            sequence_id = _get_or_create(conn, t.artifact_sequences, project_id=project_id,
                                         name=spec.sequence_name, type_id=type_id,
                                         description=None, updated_at=utcnow())
            seq = conn.execute(select(t.artifact_sequences).where(
                t.artifact_sequences.c.id == sequence_id).with_for_update()).one()
            if seq.type_id != type_id:
                kind = conn.execute(select(t.artifact_types.c.name).where(
                    t.artifact_types.c.id == seq.type_id)).scalar_one()
                raise InvalidInput(f"artifact {spec.sequence_name!r} already exists with type "
                                   f"{kind!r}, not {spec.type_name!r}")
            if seq.kind != SEQUENCE:
                raise InvalidInput(f"{spec.sequence_name!r} is a portfolio of linked versions: "
                                   f"log the artifact under another name and link it there")
            latest = self._latest_in(conn, sequence_id)
            run_id = None
            if spec.run_name:
                run_id = conn.execute(select(t.runs.c.id).where(
                    t.runs.c.project_id == project_id, t.runs.c.name == spec.run_name)).scalar()
            if spec.distributed_id:  # the runs of a distributed version share it until commit
                shared = conn.execute(select(A.id).where(
                    A.sequence_id == sequence_id, A.distributed_id == spec.distributed_id,
                    A.state == PENDING).order_by(A.id).limit(1)).scalar()
                if shared is not None:
                    if run_id is not None:
                        _record_output(conn, int(shared), int(run_id))
                    return self._artifact_in(conn, int(shared)), latest, False
            elif spec.dedupe:
                same = conn.execute(select(A.id).where(
                    A.sequence_id == sequence_id, A.state == COMMITTED, A.digest == spec.digest)
                    .order_by(A.version_index.desc()).limit(1)).scalar()
                if same is not None:
                    _set_aliases(conn, sequence_id, int(same),
                                 [a for a in spec.aliases if a != LATEST])
                    if run_id is not None:
                        _record_output(conn, int(same), int(run_id))
                    return self._artifact_in(conn, int(same)), latest, False
            now = utcnow()
            artifact_id = inserted_id(conn.execute(t.artifacts.insert().values(
                sequence_id=sequence_id, state=PENDING, digest=spec.digest,
                digest_algorithm=spec.digest_algorithm, description=spec.description,
                metadata=spec.metadata, size=0, file_count=0, client_id=spec.client_id,
                sequence_client_id=spec.sequence_client_id, created_by_run_id=run_id,
                created_by_user_id=spec.user_id, history_step=spec.history_step,
                pending_aliases=json.dumps(list(spec.aliases)),
                tags=json.dumps(list(spec.tags)) if spec.tags else None,
                distributed_id=spec.distributed_id,
                ttl_duration_seconds=spec.ttl_duration_seconds, created_at=now,
                updated_at=now)))
            return self._artifact_in(conn, int(artifact_id)), latest, True

    # files --------------------------------------------------------------------------

    def plan_artifact_files(self, artifact_id: int, specs: list[FileSpec]) -> list[FilePlan]:
        """Record the announced files; content already stored needs no upload
        (artifact_file_plans.py)."""
        now = utcnow()
        with self._write() as conn:
            art = self._pending_row(conn, artifact_id)
            plans = plan_files_in(conn, artifact_id=artifact_id, sequence_id=art.sequence_id,
                                  specs=specs, now=now)
            conn.execute(update(t.artifacts).where(A.id == artifact_id).values(updated_at=now))
        return plans

    def record_blob(self, md5: str, size: int, *, uploaded: bool = True,
                    store: str | None = None) -> None:
        """Content is stored (`uploaded`: a PUT of it arrived, counted in upload_count)."""
        statement = upsert_blob(self.engine.dialect.name, with_store=store is not None)
        with self._write() as conn:
            conn.execute(statement, {"blob_md5": md5, "blob_size": size, "blob_seen": utcnow(),
                                     "blob_puts": int(uploaded), "blob_store": store})

    def stored_blobs(self, md5s: Iterable[str]) -> set[str]:
        wanted = sorted(set(md5s))
        if not wanted:
            return set()
        if len(wanted) == 1:  # an upload's own check
            return set(wanted) if self._first(_ONE_STORED_BLOB, {"blob_md5": wanted[0]}) \
                else set()
        with self._read() as conn:
            return set(conn.execute(select(t.artifact_blobs.c.md5).where(
                t.artifact_blobs.c.md5.in_(wanted))).scalars())

    def set_artifact_manifest(self, artifact_id: int, digest: str | None, *,
                              manifest_type: str | None = None,
                              base_artifact_id: int | None = None,
                              new_patch: bool = False) -> Artifact:
        """Record a pending version's manifest digest; with `manifest_type`, how its
        manifest is built (and the base an incremental one extends); with `new_patch`, one
        more patch upload (the returned version's manifest_patches numbers it)."""
        with self._write() as conn:
            row = conn.execute(select(t.artifacts).where(A.id == artifact_id)).first()
            if row is None:
                raise NotFound("artifact not found")
            if row.state != PENDING:
                return self._artifact_in(conn, artifact_id)
            values: dict[str, Any] = {}
            if digest:
                values["manifest_digest"] = digest
            if manifest_type is not None:
                values.update(manifest_type=manifest_type, base_artifact_id=base_artifact_id)
            if new_patch:
                values["manifest_patches"] = A.manifest_patches + 1
            if values:
                conn.execute(update(t.artifacts).where(A.id == artifact_id).values(
                    updated_at=utcnow(), **values))
            return self._artifact_in(conn, artifact_id)

    # commit -------------------------------------------------------------------------

    def commit_artifact(self, artifact_id: int, entries: list[ManifestEntry], *,
                        digest: str | None = None) -> Artifact:
        """PENDING -> COMMITTED with the next version index; `latest` and the aliases asked
        for at creation move onto it; `digest` replaces the one given at creation (a
        manifest the server merged). Committing twice is harmless."""
        now = utcnow()
        with self._write() as conn:
            row = _locked_artifact(conn, artifact_id)
            if row.state == COMMITTED:
                return self._artifact_in(conn, artifact_id)
            if row.state == DELETED:
                raise InvalidInput("this artifact version was deleted")
            top = conn.execute(select(func.max(A.version_index)).where(
                A.sequence_id == row.sequence_id)).scalar()
            conn.execute(update(t.artifacts).where(A.id == artifact_id).values(
                state=COMMITTED, version_index=(-1 if top is None else int(top)) + 1,
                size=sum(e.size for e in entries), file_count=len(entries),
                committed_at=now, updated_at=now, **({"digest": digest} if digest else {})))
            conn.execute(delete(t.artifact_files).where(t.artifact_files.c.artifact_id == artifact_id))
            if entries:
                conn.execute(t.artifact_files.insert(), [
                    {"artifact_id": artifact_id, "name": e.name, "md5": e.md5, "size": e.size,
                     "birth_artifact_id": e.birth_artifact_id, "ref": e.ref, "extra": e.extra,
                     "updated_at": now} for e in entries])
            _set_aliases(conn, row.sequence_id, artifact_id,
                         [LATEST, *json.loads(row.pending_aliases or "[]")])
            conn.execute(update(t.artifact_sequences).where(
                t.artifact_sequences.c.id == row.sequence_id).values(updated_at=now))
            return self._artifact_in(conn, artifact_id)

    # use and delete -----------------------------------------------------------------

    def record_artifact_use(self, artifact_id: int, run_id: int, used_as: str | None) -> None:
        U = t.artifact_usages.c
        with self._write() as conn:
            if conn.execute(select(U.run_id).where(U.artifact_id == artifact_id,
                                                   U.run_id == run_id)).first():
                return
            try:
                with conn.begin_nested():
                    conn.execute(t.artifact_usages.insert().values(
                        artifact_id=artifact_id, run_id=run_id, used_as=used_as,
                        created_at=utcnow()))
            except IntegrityError:
                pass

    def delete_artifact(self, artifact_id: int, *, delete_aliases: bool) -> Artifact:
        """Mark the version deleted and drop its aliases; `latest` moves back to the newest
        committed version left. Custom aliases block it unless delete_aliases."""
        L = t.artifact_aliases.c
        with self._write() as conn:
            row = _locked_artifact(conn, artifact_id)
            aliases = set(conn.execute(select(L.alias).where(L.artifact_id == artifact_id)).scalars())
            custom = sorted(aliases - {LATEST})
            if custom and not delete_aliases:
                raise InvalidInput(f"the artifact has aliases {', '.join(custom)}: remove them or "
                                   f"delete with delete_aliases=True")
            conn.execute(delete(t.artifact_aliases).where(L.artifact_id == artifact_id))
            conn.execute(update(t.artifacts).where(A.id == artifact_id).values(
                state=DELETED, updated_at=utcnow()))
            self._drop_links_in(conn, [artifact_id])
            if LATEST in aliases:
                newest = conn.execute(select(A.id).where(
                    A.sequence_id == row.sequence_id, A.state == COMMITTED)
                    .order_by(A.version_index.desc()).limit(1)).scalar()
                if newest is not None:
                    _set_aliases(conn, row.sequence_id, int(newest), [LATEST])
            return self._artifact_in(conn, artifact_id)

    def update_artifact(self, artifact_id: int, *, description: str | None,
                        metadata: str | None, tags_to_add: tuple[str, ...],
                        tags_to_delete: tuple[str, ...], set_ttl: bool = False,
                        ttl_duration_seconds: int | None = None) -> Artifact:
        """Set what is given (None keeps; the TTL with `set_ttl`, None inheriting), add then
        remove tags; in one transaction."""
        with self._write() as conn:
            row = _locked_artifact(conn, artifact_id)
            tags = [tag for tag in dict.fromkeys([*json.loads(row.tags or "[]"), *tags_to_add])
                    if tag not in tags_to_delete]
            values: dict[str, Any] = {"tags": json.dumps(tags) if tags else None,
                                      "updated_at": utcnow()}
            if description is not None:
                values["description"] = description
            if metadata is not None:
                values["metadata"] = metadata
            if set_ttl:
                values["ttl_duration_seconds"] = ttl_duration_seconds
            conn.execute(update(t.artifacts).where(A.id == artifact_id).values(**values))
            return self._artifact_in(conn, artifact_id)

    def add_artifact_aliases(self, artifact_id: int, aliases: list[str]) -> None:
        """Point each alias at this version (moving it off another of its sequence)."""
        with self._write() as conn:
            row = _locked_artifact(conn, artifact_id)
            _set_aliases(conn, row.sequence_id, artifact_id, aliases)

    def delete_artifact_aliases(self, artifact_id: int, aliases: list[str]) -> None:
        L = t.artifact_aliases.c
        with self._write() as conn:
            _locked_artifact(conn, artifact_id)
            conn.execute(delete(t.artifact_aliases).where(
                L.artifact_id == artifact_id, L.alias.in_(aliases)))

    # garbage collection -------------------------------------------------------------

    def unreferenced_blobs(self, cutoff: datetime) -> list[tuple[str, int]]:
        with self._read() as conn:
            return [(r.md5, int(r.size)) for r in conn.execute(_unreferenced(cutoff))]

    def forget_blobs(self, md5s: list[str], cutoff: datetime) -> list[str]:
        """Delete the rows of those blobs still unreferenced; returns the ones deleted."""
        if not md5s:
            return []
        B = t.artifact_blobs.c
        with self._write() as conn:
            gone = [r.md5 for r in conn.execute(
                _unreferenced(cutoff).where(B.md5.in_(md5s)).with_for_update())]
            if gone:
                conn.execute(delete(t.artifact_blobs).where(B.md5.in_(gone)))
        return gone

    def versions_with_ttl(self) -> list[Artifact]:
        """Committed versions with a TTL of their own (a number of seconds)."""
        with self._read() as conn:
            return self._artifacts_in(conn, [A.state == COMMITTED,
                                             A.ttl_duration_seconds > 0], order=A.id)

    def deleted_manifests(self) -> list[int]:
        with self._read() as conn:
            return [int(i) for i in conn.execute(select(A.id).where(
                A.state == DELETED, A.manifest_digest.is_(None) | (A.manifest_digest != FREED))
                .order_by(A.id)).scalars()]

    def forget_manifest(self, artifact_id: int) -> None:
        with self._write() as conn:
            conn.execute(update(t.artifacts).where(A.id == artifact_id, A.state == DELETED)
                         .values(manifest_digest=FREED))

    # helpers ------------------------------------------------------------------------

    def _pending_row(self, conn: Connection, artifact_id: int) -> Any:
        """The pending version's row, locked: batches of one version are recorded one after
        the other (on MySQL/MariaDB each file row inserted share-locks the version's row
        through its foreign key, and two batches both updating the row then deadlocked)."""
        row = conn.execute(select(t.artifacts).where(A.id == artifact_id)
                           .with_for_update()).first()
        if row is None:
            raise NotFound("artifact not found")
        if row.state != PENDING:
            raise InvalidInput(f"the artifact is {row.state.lower()}; files can only be added "
                               f"to a pending artifact")
        return row


def _unreferenced(cutoff: datetime) -> Any:
    B, F = t.artifact_blobs.c, t.artifact_files.c
    in_use = (select(F.md5).join(t.artifacts, A.id == F.artifact_id)
              .where(F.md5 == B.md5, (A.state == COMMITTED)
                     | ((A.state == PENDING) & (A.updated_at >= cutoff))))
    return (select(B.md5, B.size).where(B.referenced_at < cutoff, ~in_use.exists())
            .order_by(B.md5))


def _record_output(conn: Connection, artifact_id: int, run_id: int) -> None:
    """The version is an output of this run too (unless the run created it)."""
    out = t.artifact_outputs.c
    maker = conn.execute(select(A.created_by_run_id).where(A.id == artifact_id)).scalar()
    if maker == run_id or conn.execute(select(out.run_id).where(
            out.artifact_id == artifact_id, out.run_id == run_id)).first():
        return
    try:
        with conn.begin_nested():
            conn.execute(t.artifact_outputs.insert().values(
                artifact_id=artifact_id, run_id=run_id, created_at=utcnow()))
    except IntegrityError:  # the same request, retried concurrently
        pass


def _get_or_create(conn: Connection, table: Any, *, project_id: int, name: str,
                   **extra: Any) -> int:
    query = select(table.c.id).where(table.c.project_id == project_id, table.c.name == name)
    found = conn.execute(query).scalar()
    if found is not None:
        return int(found)
    try:
        with conn.begin_nested():
            return inserted_id(conn.execute(table.insert().values(
                project_id=project_id, name=name, created_at=utcnow(), **extra)))
    except IntegrityError:
        return int(conn.execute(query).scalar_one())


def _locked_artifact(conn: Connection, artifact_id: int) -> Row[Any]:
    """The artifact's row, read again once its sequence is locked: the versions of one
    sequence are numbered, aliased and deleted one at a time."""
    row = conn.execute(select(t.artifacts).where(A.id == artifact_id)).first()
    if row is None:
        raise NotFound("artifact not found")
    conn.execute(select(t.artifact_sequences.c.id).where(
        t.artifact_sequences.c.id == row.sequence_id).with_for_update())
    return conn.execute(select(t.artifacts).where(A.id == artifact_id)).one()


def _set_aliases(conn: Connection, sequence_id: int, artifact_id: int, aliases: list[str]) -> None:
    L = t.artifact_aliases.c
    for alias in dict.fromkeys(aliases):
        moved = conn.execute(update(t.artifact_aliases).where(
            L.sequence_id == sequence_id, L.alias == alias).values(artifact_id=artifact_id))
        if not moved.rowcount:
            conn.execute(t.artifact_aliases.insert().values(
                sequence_id=sequence_id, artifact_id=artifact_id, alias=alias))
