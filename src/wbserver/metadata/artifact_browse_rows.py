"""Artifact reads for the web pages: a project's collections and a collection's versions."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select

from wbserver.domain.artifact_models import COMMITTED, Artifact, ArtifactSequence
from wbserver.metadata import tables as t
from wbserver.metadata.artifact_reads import _sequence, _sequence_select

A, S = t.artifacts.c, t.artifact_sequences.c


class ArtifactBrowseRows:
    if TYPE_CHECKING:  # SqlStore's (store.py)
        def _read(self) -> AbstractContextManager[Connection]: ...
        def _artifacts_in(self, conn: Connection, where: list[Any], order: Any = None,
                          limit: int | None = None) -> list[Artifact]: ...

    def list_artifact_collections(
            self, project_id: int) -> list[tuple[ArtifactSequence, int, int | None]]:
        """Each collection of the project with its committed version count and newest
        version index, by type then name."""
        K = t.artifact_links.c
        logged = (select(A.sequence_id, func.count().label("versions"),
                         func.max(A.version_index).label("newest"))
                  .where(A.state == COMMITTED).group_by(A.sequence_id))
        linked = (select(K.portfolio_id.label("sequence_id"), func.count().label("versions"),
                         func.max(K.version_index).label("newest"))
                  .join(t.artifacts, A.id == K.artifact_id)
                  .where(A.state == COMMITTED).group_by(K.portfolio_id))
        counts = logged.union_all(linked).subquery()
        query = (_sequence_select().add_columns(counts.c.versions, counts.c.newest)
                 .outerjoin(counts, counts.c.sequence_id == S.id)
                 .where(S.project_id == project_id, S.deleted_at.is_(None))
                 .order_by(t.artifact_types.c.name, S.name))
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [(_sequence(r), int(r.versions or 0),
                 None if r.newest is None else int(r.newest)) for r in rows]

    def list_sequence_versions(self, sequence_id: int, *, limit: int = 500) -> list[Artifact]:
        """Committed versions of a collection, newest first."""
        with self._read() as conn:
            return self._artifacts_in(conn, [A.sequence_id == sequence_id,
                                             A.state == COMMITTED],
                                      order=A.version_index.desc(), limit=limit)
