"""Portfolios: versions linked into a collection of their own (linkArtifact), numbered and
aliased there; and the edits of a collection (name, description, tags).

Writes lock the portfolio's row first, so link version indexes and aliases stay consistent
with any number of server processes (as the versions of a sequence do)."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from wbserver.domain.artifact_models import (
    COMMITTED,
    DELETED,
    LATEST,
    PORTFOLIO,
    Artifact,
    ArtifactAlias,
    ArtifactLink,
    ArtifactSequence,
)
from wbserver.domain.clock import utcnow
from wbserver.errors import AlreadyExists, InvalidInput, NotFound
from wbserver.metadata import tables as t
from wbserver.metadata.artifact_reads import _VERSION, _sequence, _sequence_select
from wbserver.metadata.artifact_rows import _get_or_create
from wbserver.metadata.inserted import inserted_id

A, S = t.artifacts.c, t.artifact_sequences.c
K, KA = t.artifact_links.c, t.artifact_link_aliases.c


class ArtifactLinkRows:
    if TYPE_CHECKING:  # SqlStore's (store.py)
        def _read(self) -> AbstractContextManager[Connection]: ...
        def _write(self) -> AbstractContextManager[Connection]: ...
        def _get_or_create_project(self, conn: Connection, *, entity_id: int, name: str,
                                   user_id: int, visibility: str = "private") -> int: ...
        def _artifacts_in(self, conn: Connection, where: list[Any], order: Any = None,
                          limit: int | None = None) -> list[Artifact]: ...

    # links ----------------------------------------------------------------------------

    def link_artifact(self, artifact: Artifact, *, entity_id: int, project: str,
                      portfolio: str, aliases: list[str], user_id: int,
                      visibility: str) -> ArtifactLink:
        """Link the (committed) version into entity/project/portfolio, made on first use;
        linking it again keeps its index there and adds the aliases. `latest` follows the
        newest link."""
        with self._write() as conn:
            project_id = self._get_or_create_project(conn, entity_id=entity_id, name=project,
                                                     user_id=user_id, visibility=visibility)
            type_id = _get_or_create(conn, t.artifact_types, project_id=project_id,
                                     name=artifact.type_name)
            portfolio_id = _get_or_create(conn, t.artifact_sequences, project_id=project_id,
                                          name=portfolio, type_id=type_id, description=None,
                                          updated_at=utcnow(), kind=PORTFOLIO)
            row = conn.execute(select(t.artifact_sequences).where(S.id == portfolio_id)
                               .with_for_update()).one()
            if row.kind != PORTFOLIO:
                raise InvalidInput(f"{portfolio!r} is a collection of logged versions, not a "
                                   f"portfolio: versions can be linked only into a portfolio "
                                   f"(a name not used for logging in that project)")
            if row.type_id != type_id:
                kind = conn.execute(select(t.artifact_types.c.name).where(
                    t.artifact_types.c.id == row.type_id)).scalar_one()
                raise InvalidInput(f"portfolio {portfolio!r} holds versions of type {kind!r}, "
                                   f"not {artifact.type_name!r}")
            link_id = conn.execute(select(K.id).where(
                K.portfolio_id == portfolio_id, K.artifact_id == artifact.id)).scalar()
            now = utcnow()
            if link_id is None:
                newest = conn.execute(select(func.max(K.version_index)).where(
                    K.portfolio_id == portfolio_id)).scalar()
                link_id = inserted_id(conn.execute(t.artifact_links.insert().values(
                    portfolio_id=portfolio_id, artifact_id=artifact.id,
                    version_index=0 if newest is None else int(newest) + 1, created_at=now)))
            _set_link_aliases(conn, portfolio_id, int(link_id), aliases)
            _point_latest(conn, portfolio_id)
            conn.execute(update(t.artifact_sequences).where(S.id == portfolio_id)
                         .values(updated_at=now))
            return self._links_in(conn, [K.id == link_id])[0]

    def unlink_artifact(self, portfolio_id: int, artifact_id: int) -> bool:
        """Remove the version from the portfolio (its aliases there too); False if it was
        not linked. The portfolio keeps its other links and their indexes."""
        with self._write() as conn:
            conn.execute(select(S.id).where(S.id == portfolio_id).with_for_update())
            link_id = conn.execute(select(K.id).where(
                K.portfolio_id == portfolio_id, K.artifact_id == artifact_id)).scalar()
            if link_id is None:
                return False
            conn.execute(delete(t.artifact_link_aliases).where(KA.link_id == link_id))
            conn.execute(delete(t.artifact_links).where(K.id == link_id))
            _point_latest(conn, portfolio_id)
            return True

    def change_link_aliases(self, portfolio_id: int, artifact_id: int, aliases: list[str], *,
                            add: bool) -> None:
        with self._write() as conn:
            conn.execute(select(S.id).where(S.id == portfolio_id).with_for_update())
            link_id = conn.execute(select(K.id).where(
                K.portfolio_id == portfolio_id, K.artifact_id == artifact_id)).scalar()
            if link_id is None:
                raise NotFound("the version is not linked into that portfolio")
            if add:
                _set_link_aliases(conn, portfolio_id, int(link_id), aliases)
            else:
                conn.execute(delete(t.artifact_link_aliases).where(
                    KA.link_id == link_id, KA.alias.in_(aliases)))

    def find_link(self, project_id: int, portfolio: str, alias: str) -> ArtifactLink | None:
        """A link of a portfolio by `latest`, `vN` (its index there) or an alias."""
        where = [S.project_id == project_id, S.name == portfolio, S.kind == PORTFOLIO]
        version = _VERSION.match(alias)
        with self._read() as conn:
            if version:
                link_id = conn.execute(select(K.id).join(
                    t.artifact_sequences, S.id == K.portfolio_id).where(
                    *where, K.version_index == int(version.group(1)))).scalar()
            else:
                link_id = conn.execute(select(KA.link_id).join(
                    t.artifact_sequences, S.id == KA.portfolio_id).where(
                    *where, KA.alias == alias)).scalar()
            found = [] if link_id is None else self._links_in(conn, [K.id == link_id])
        return found[0] if found else None

    def list_links(self, portfolio_id: int, *, offset: int, first: int,
                   newest_first: bool = True) -> tuple[list[ArtifactLink], int]:
        """A page of the portfolio's links (of committed versions) and their count."""
        where = [K.portfolio_id == portfolio_id, A.state == COMMITTED]
        with self._read() as conn:
            total = conn.execute(select(func.count()).select_from(t.artifact_links)
                                 .join(t.artifacts, A.id == K.artifact_id)
                                 .where(*where)).scalar_one()
            order = K.version_index.desc() if newest_first else K.version_index
            return self._links_in(conn, where, order=order, offset=offset,
                                  limit=first), int(total)

    def links_of(self, artifact_ids: list[int]) -> list[ArtifactLink]:
        """Every link of these versions, by portfolio."""
        if not artifact_ids:
            return []
        with self._read() as conn:
            return self._links_in(conn, [K.artifact_id.in_(artifact_ids)],
                                  order=K.portfolio_id)

    def list_sequence_page(self, sequence_id: int, *, offset: int, first: int,
                           newest_first: bool = True) -> tuple[list[Artifact], int]:
        """A page of a sequence's committed versions and their count."""
        where = [A.sequence_id == sequence_id, A.state == COMMITTED]
        with self._read() as conn:
            total = conn.execute(select(func.count()).select_from(t.artifacts)
                                 .where(*where)).scalar_one()
            order = A.version_index.desc() if newest_first else A.version_index
            found = self._artifacts_in(conn, where, order=order, limit=offset + first)
        return found[offset:], int(total)

    # collections ----------------------------------------------------------------------

    def update_collection(self, sequence_id: int, *, name: str | None,
                          description: str | None) -> ArtifactSequence:
        """Rename and describe (None keeps); a name taken in the project: AlreadyExists."""
        values: dict[str, Any] = {"updated_at": utcnow()}
        if name is not None:
            values["name"] = name
        if description is not None:
            values["description"] = description
        try:
            with self._write() as conn:
                conn.execute(update(t.artifact_sequences).where(S.id == sequence_id)
                             .values(**values))
        except IntegrityError:
            raise AlreadyExists(f"an artifact collection named {name!r} exists in the "
                                f"project already") from None
        found = self._collection(sequence_id)
        assert found is not None
        return found

    def change_collection_tags(self, sequence_id: int, *, add: tuple[str, ...],
                               remove: tuple[str, ...]) -> ArtifactSequence:
        with self._write() as conn:
            row = conn.execute(select(S.tags).where(S.id == sequence_id)
                               .with_for_update()).one()
            tags = [tag for tag in dict.fromkeys([*json.loads(row.tags or "[]"), *add])
                    if tag not in remove]
            conn.execute(update(t.artifact_sequences).where(S.id == sequence_id).values(
                tags=json.dumps(tags) if tags else None, updated_at=utcnow()))
        found = self._collection(sequence_id)
        assert found is not None
        return found

    def move_collection(self, sequence_id: int, type_name: str) -> ArtifactSequence:
        """Give the collection (and so each of its versions) another type of its project."""
        with self._write() as conn:
            project_id = conn.execute(select(S.project_id).where(S.id == sequence_id)
                                      .with_for_update()).scalar_one()
            type_id = _get_or_create(conn, t.artifact_types, project_id=project_id,
                                     name=type_name)
            conn.execute(update(t.artifact_sequences).where(S.id == sequence_id)
                         .values(type_id=type_id, updated_at=utcnow()))
        found = self._collection(sequence_id)
        assert found is not None
        return found

    def delete_collection(self, sequence_id: int) -> ArtifactSequence:
        """Delete a collection: a sequence's versions (their links too) or a portfolio's
        links, and their aliases. The row stays under a name no collection can have, with
        deleted_at (the GC frees the versions' manifests as for any deleted version)."""
        now = utcnow()
        with self._write() as conn:
            row = conn.execute(select(t.artifact_sequences).where(S.id == sequence_id)
                               .with_for_update()).one()
            if row.deleted_at is None:
                if row.kind == PORTFOLIO:
                    links = select(K.id).where(K.portfolio_id == sequence_id)
                    conn.execute(delete(t.artifact_link_aliases).where(
                        KA.link_id.in_(links)))
                    conn.execute(delete(t.artifact_links).where(K.portfolio_id == sequence_id))
                else:
                    versions = [int(i) for i in conn.execute(select(A.id).where(
                        A.sequence_id == sequence_id)).scalars()]
                    conn.execute(delete(t.artifact_aliases).where(
                        t.artifact_aliases.c.sequence_id == sequence_id))
                    conn.execute(update(t.artifacts).where(
                        A.sequence_id == sequence_id, A.state != DELETED)
                        .values(state=DELETED, updated_at=now))
                    self._drop_links_in(conn, versions)
                suffix = f":deleted:{sequence_id}"
                conn.execute(update(t.artifact_sequences).where(S.id == sequence_id).values(
                    name=row.name[:128 - len(suffix)] + suffix, deleted_at=now,
                    updated_at=now))
        found = self._collection(sequence_id)
        assert found is not None
        return found

    def collection_aliases(self, sequence_id: int) -> list[ArtifactAlias]:
        """The aliases in use in a collection (of its versions, or of its links)."""
        L = t.artifact_aliases.c
        with self._read() as conn:
            kind = conn.execute(select(S.kind).where(S.id == sequence_id)).scalar()
            if kind == PORTFOLIO:
                rows = conn.execute(
                    select(KA.id, KA.alias).join(t.artifact_links, K.id == KA.link_id)
                    .join(t.artifacts, A.id == K.artifact_id)
                    .where(KA.portfolio_id == sequence_id, A.state == COMMITTED)
                    .order_by(KA.alias)).all()
            else:
                rows = conn.execute(
                    select(L.id, L.alias).join(t.artifacts, A.id == L.artifact_id)
                    .where(L.sequence_id == sequence_id, A.state == COMMITTED)
                    .order_by(L.alias)).all()
        return [ArtifactAlias(r.id, r.alias) for r in rows]

    def _drop_links_in(self, conn: Connection, artifact_ids: list[int]) -> None:
        """Remove the links of deleted versions; `latest` of each portfolio they were in
        moves to its newest link left."""
        if not artifact_ids:
            return
        found = conn.execute(select(K.id, K.portfolio_id).where(
            K.artifact_id.in_(artifact_ids))).all()
        portfolios = sorted({r.portfolio_id for r in found})
        for portfolio_id in portfolios:
            conn.execute(select(S.id).where(S.id == portfolio_id).with_for_update())
        if found:
            ids = [r.id for r in found]
            conn.execute(delete(t.artifact_link_aliases).where(KA.link_id.in_(ids)))
            conn.execute(delete(t.artifact_links).where(K.id.in_(ids)))
        for portfolio_id in portfolios:
            _point_latest(conn, portfolio_id)

    # helpers --------------------------------------------------------------------------

    def _collection(self, sequence_id: int) -> ArtifactSequence | None:
        with self._read() as conn:
            row = conn.execute(_sequence_select().where(S.id == sequence_id)).first()
        return _sequence(row) if row else None

    def _links_in(self, conn: Connection, where: list[Any], order: Any = None,
                  offset: int = 0, limit: int | None = None) -> list[ArtifactLink]:
        query = select(t.artifact_links).join(t.artifacts, A.id == K.artifact_id).where(
            *where, A.state == COMMITTED)
        if order is not None:
            query = query.order_by(order)
        if limit is not None:
            query = query.offset(offset).limit(limit)
        rows = conn.execute(query).all()
        if not rows:
            return []
        versions = {a.id: a for a in self._artifacts_in(
            conn, [A.id.in_({r.artifact_id for r in rows})])}
        aliases: dict[int, list[ArtifactAlias]] = {}
        for alias in conn.execute(select(KA.id, KA.link_id, KA.alias).where(
                KA.link_id.in_([r.id for r in rows])).order_by(KA.alias)):
            aliases.setdefault(alias.link_id, []).append(ArtifactAlias(alias.id, alias.alias))
        return [ArtifactLink(id=r.id, portfolio_id=r.portfolio_id,
                             version_index=r.version_index, created_at=r.created_at,
                             artifact=versions[r.artifact_id],
                             aliases=tuple(aliases.get(r.id, ())))
                for r in rows]


def _set_link_aliases(conn: Connection, portfolio_id: int, link_id: int,
                      aliases: list[str]) -> None:
    for alias in dict.fromkeys(aliases):
        moved = conn.execute(update(t.artifact_link_aliases).where(
            KA.portfolio_id == portfolio_id, KA.alias == alias).values(link_id=link_id))
        if not moved.rowcount:
            conn.execute(t.artifact_link_aliases.insert().values(
                portfolio_id=portfolio_id, link_id=link_id, alias=alias))


def _point_latest(conn: Connection, portfolio_id: int) -> None:
    """`latest` on the portfolio's newest link of a committed version (none: no `latest`)."""
    newest = conn.execute(select(K.id).join(t.artifacts, A.id == K.artifact_id).where(
        K.portfolio_id == portfolio_id, A.state == COMMITTED)
        .order_by(K.version_index.desc()).limit(1)).scalar()
    if newest is None:
        conn.execute(delete(t.artifact_link_aliases).where(
            KA.portfolio_id == portfolio_id, KA.alias == LATEST))
    else:
        _set_link_aliases(conn, portfolio_id, int(newest), [LATEST])
