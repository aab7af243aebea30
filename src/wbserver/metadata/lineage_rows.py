"""Reads of the lineage graph (domain/lineage.py): the edges between runs and artifact
versions around a set of nodes, and the nodes' labels, in batched IN queries."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from wbserver.domain.artifact_models import COMMITTED, LineageEdge, LineageNode
from wbserver.metadata import tables as t

A, S, U, R = t.artifacts.c, t.artifact_sequences.c, t.artifact_usages.c, t.runs.c
P, E = t.projects.c, t.entities.c
_IN_CHUNK = 500  # ids per IN list (SQLite's bound on query parameters)


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    wanted = sorted(set(ids))
    return [wanted[i:i + _IN_CHUNK] for i in range(0, len(wanted), _IN_CHUNK)]


class LineageRows:
    if TYPE_CHECKING:  # SqlStore's (store.py)
        def _read(self) -> AbstractContextManager[Connection]: ...

    def lineage_edges(self, *, run_ids: Sequence[int], artifact_ids: Sequence[int],
                      upstream: bool, limit: int) -> list[LineageEdge]:
        """The edges leaving the given nodes: upstream, the runs that logged the versions
        and the versions the runs used; downstream, the runs that used the versions and the
        versions the runs logged. Committed versions only; at most `limit` edges per side,
        oldest first."""
        out: list[LineageEdge] = []
        with self._read() as conn:
            for ids in _chunks(artifact_ids):
                if upstream:
                    query = (select(A.created_by_run_id, A.id)
                             .where(A.id.in_(ids), A.created_by_run_id.is_not(None),
                                    A.state == COMMITTED).order_by(A.id))
                else:
                    query = (select(U.run_id, U.artifact_id)
                             .where(U.artifact_id.in_(ids))
                             .order_by(U.created_at, U.run_id))
                out += [LineageEdge(run_id=r[0], artifact_id=r[1])
                        for r in conn.execute(query.limit(limit))]
            for ids in _chunks(run_ids):
                if upstream:
                    query = (select(U.run_id, U.artifact_id)
                             .join(t.artifacts, A.id == U.artifact_id)
                             .where(U.run_id.in_(ids), A.state == COMMITTED)
                             .order_by(U.created_at, U.artifact_id))
                else:
                    query = (select(A.created_by_run_id, A.id)
                             .where(A.created_by_run_id.in_(ids), A.state == COMMITTED)
                             .order_by(A.id))
                out += [LineageEdge(run_id=r[0], artifact_id=r[1])
                        for r in conn.execute(query.limit(limit))]
        return out

    def lineage_nodes(self, *, run_ids: Sequence[int],
                      artifact_ids: Sequence[int]) -> list[LineageNode]:
        """Labels of runs and committed versions by id (missing or uncommitted ones left
        out)."""
        out: list[LineageNode] = []
        with self._read() as conn:
            for ids in _chunks(run_ids):
                query: Any = (select(R.id, R.project_id, E.name, P.name, R.name,
                                     R.display_name, R.job_type)
                              .join(t.projects, P.id == R.project_id)
                              .join(t.entities, E.id == P.entity_id).where(R.id.in_(ids)))
                out += [LineageNode(kind="run", id=r[0], project_id=r[1], entity_name=r[2],
                                    project_name=r[3], name=r[4], label=r[5] or r[4],
                                    detail=r[6] or "")
                        for r in conn.execute(query)]
            for ids in _chunks(artifact_ids):
                query = (select(A.id, S.project_id, E.name, P.name, S.name, A.version_index,
                                t.artifact_types.c.name)
                         .join(t.artifact_sequences, S.id == A.sequence_id)
                         .join(t.artifact_types, t.artifact_types.c.id == S.type_id)
                         .join(t.projects, P.id == S.project_id)
                         .join(t.entities, E.id == P.entity_id)
                         .where(A.id.in_(ids), A.state == COMMITTED))
                out += [LineageNode(kind="artifact", id=r[0], project_id=r[1],
                                    entity_name=r[2], project_name=r[3], name=r[4],
                                    label=f"{r[4]}:v{r[5]}", detail=r[6])
                        for r in conn.execute(query)]
        return out
