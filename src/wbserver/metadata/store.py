"""SqlStore: ports.MetadataStore on SQLAlchemy Core (SQLite, MySQL/MariaDB).

Each write runs in one transaction; on SQLite that transaction starts with BEGIN IMMEDIATE so
several threads and processes queue for the single writer instead of failing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, Row, and_, bindparam, select
from sqlalchemy.exc import IntegrityError

from wbserver.domain.clock import utcnow
from wbserver.domain.models import ApiKey, Entity, Project, Run, User
from wbserver.metadata import tables as t
from wbserver.metadata.accounts_rows import AccountRows, check_seats
from wbserver.metadata.artifact_browse_rows import ArtifactBrowseRows
from wbserver.metadata.artifact_link_rows import ArtifactLinkRows
from wbserver.metadata.artifact_rows import ArtifactRows
from wbserver.metadata.engine import reading_engine
from wbserver.metadata.fast_reads import FastReadFailed, FastReads, PooledFastReads
from wbserver.metadata.files_rows import FileRows
from wbserver.metadata.gauge_rows import GaugeRows
from wbserver.metadata.history_rows import HistoryRows
from wbserver.metadata.inserted import inserted_id
from wbserver.metadata.lease_rows import LeaseRows
from wbserver.metadata.lineage_rows import LineageRows
from wbserver.metadata.notify_rows import NotifyRows
from wbserver.metadata.project_key_rows import ProjectKeyRows
from wbserver.metadata.run_browse_rows import RunBrowseRows
from wbserver.metadata.run_rows import RunRows, run_from_values
from wbserver.metadata.run_search_rows import RunSearchRows
from wbserver.metadata.settings_rows import SettingsRows
from wbserver.metadata.sso_rows import SsoRows
from wbserver.metadata.storage_rows import StorageRows
from wbserver.metadata.sweep_rows import SweepRows
from wbserver.metadata.workspace_rows import WorkspaceRows


class SqlStore(RunRows, HistoryRows, FileRows, AccountRows, SettingsRows, ArtifactRows, SsoRows,
               ArtifactBrowseRows, ArtifactLinkRows, RunBrowseRows, NotifyRows, StorageRows,
               RunSearchRows, GaugeRows, LeaseRows, SweepRows, WorkspaceRows, LineageRows,
               ProjectKeyRows):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        self._write_lock = threading.Lock()
        self._reader = reading_engine(engine)  # MySQL/MariaDB: autocommit, no COMMIT a read
        # keyed reads without SQLAlchemy: SQLite files, and MySQL/MariaDB on the reading pool
        self._fast: FastReads | PooledFastReads | None = (
            FastReads.for_engine(engine) or PooledFastReads.for_engine(self._reader))

    def _first(self, statement: Any, params: dict[str, Any]) -> Any:
        """The first row of a keyed one-row read, in a transaction of its own."""
        if self._fast is not None:
            try:
                return self._fast.first(statement, params)
            except FastReadFailed:
                pass  # read again below, which reports the error as every read does
        with self._read() as conn:
            return conn.execute(statement, params).first()

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._reader.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        if self._sqlite:
            # One writer at a time in this process; BEGIN IMMEDIATE orders the other processes.
            with self._write_lock, self.engine.connect() as conn:
                conn = conn.execution_options(wb_write=True)
                with conn.begin():
                    yield conn
            return
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def connections_in_use(self) -> int:
        """Database connections checked out of the pools now (writes', and reads' on MySQL)."""
        pools = {id(e.pool): e.pool for e in (self.engine, self._reader)}.values()
        return sum(int(getattr(pool, "checkedout", lambda: 0)()) for pool in pools)

    def close(self) -> None:
        if self._fast is not None:
            self._fast.close()
        if self._reader is not self.engine:
            self._reader.dispose()
        self.engine.dispose()

    # users, entities, keys -------------------------------------------------------------

    def create_user(self, *, username: str, email: str, password_hash: str | None,
                    is_admin: bool, seat_limit: int | None = None,
                    limit_message: str = "") -> User:
        with self._write() as conn:
            check_seats(conn, seat_limit, limit_message)
            user_id = self._insert_user(conn, username=username, email=email,
                                        password_hash=password_hash, is_admin=is_admin)
        user = self.get_user(user_id)
        assert user is not None
        return user

    def get_user(self, user_id: int) -> User | None:
        with self._read() as conn:
            row = conn.execute(select(t.users).where(t.users.c.id == user_id)).first()
        return _user(row) if row else None

    def get_user_by_name(self, username: str) -> User | None:
        with self._read() as conn:
            row = conn.execute(select(t.users).where(t.users.c.username == username)).first()
        return _user(row) if row else None

    def list_users(self) -> list[User]:
        with self._read() as conn:
            rows = conn.execute(select(t.users).order_by(t.users.c.id)).all()
        return [_user(r) for r in rows]

    def create_api_key(self, *, user_id: int, name: str, key_prefix: str,
                       key_hash: str) -> ApiKey:
        now = utcnow()
        with self._write() as conn:
            key_id = inserted_id(conn.execute(t.api_keys.insert().values(
                user_id=user_id, name=name, key_prefix=key_prefix, key_hash=key_hash,
                created_at=now)))
        return ApiKey(id=key_id, user_id=user_id, name=name, key_prefix=key_prefix,
                      created_at=now)

    def find_user_by_key_hash(self, key_hash: str) -> User | None:
        row = self._first(_USER_BY_KEY_HASH, {"key_hash": key_hash})
        return _user(row) if row else None

    def get_entity(self, name: str) -> Entity | None:
        row = self._first(_ENTITY_BY_NAME, {"name": name})
        if row is None:
            return None
        return Entity(id=row.id, name=row.name, is_team=row.is_team, user_id=row.user_id)

    # projects ---------------------------------------------------------------------------

    def get_project(self, entity: str, project: str) -> Project | None:
        row = self._first(_PROJECT_BY_NAME, {"entity": entity, "project": project})
        return _project(row) if row else None

    def get_entity_and_project(self, entity: str, project: str
                               ) -> tuple[Entity | None, Project | None]:
        """The entity and its project of that name, in one query (either may be None)."""
        row = self._first(_ENTITY_AND_PROJECT, {"entity": entity, "project": project})
        if row is None:
            return None, None
        return _owner(row, row.e_id), (_project(row) if row.id is not None else None)

    def get_project_and_run(self, entity: str, project: str, run: str
                            ) -> tuple[Entity | None, Project | None, Run | None]:
        """The entity, its project and the project's run of those names, in one query
        (any may be None)."""
        row = self._first(_ENTITY_PROJECT_AND_RUN,
                          {"entity": entity, "project": project, "run": run})
        if row is None:
            return None, None, None
        if row.id is None:
            return _owner(row, row.e_id), None, None
        found = run_from_values(_run_columns(row)) if row.r_id is not None else None
        return _owner(row, row.e_id), _project(row), found

    def get_project_by_id(self, project_id: int) -> Project | None:
        row = self._first(_PROJECT_BY_ID, {"project_id": project_id})
        return _project(row) if row else None

    def list_projects(self, entity: str) -> list[Project]:
        with self._read() as conn:
            rows = conn.execute(_project_select().where(t.entities.c.name == entity)
                                .order_by(t.projects.c.updated_at.desc())).all()
        return [_project(r) for r in rows]

    def upsert_project(self, *, entity_id: int, name: str, user_id: int,
                       description: str | None, visibility: str) -> tuple[Project | None, bool]:
        with self._write() as conn:
            found = conn.execute(_PROJECT_ID, {"entity_id": entity_id, "name": name}).scalar()
            project_id = self._get_or_create_project(conn, entity_id=entity_id, name=name,
                                                     user_id=user_id, visibility=visibility)
            values: dict[str, Any] = {"visibility": visibility, "updated_at": utcnow()}
            if description is not None:
                values["description"] = description
            conn.execute(t.projects.update().where(t.projects.c.id == project_id).values(**values))
        return self.get_project_by_id(project_id), found is None

    def _get_or_create_project(self, conn: Connection, *, entity_id: int, name: str,
                               user_id: int, visibility: str = "private") -> int:
        params = {"entity_id": entity_id, "name": name}
        found = conn.execute(_PROJECT_ID, params).scalar()
        if found is not None:
            return int(found)
        now = utcnow()
        try:
            with conn.begin_nested():
                return inserted_id(conn.execute(t.projects.insert().values(
                    entity_id=entity_id, name=name, created_by=user_id, visibility=visibility,
                    created_at=now, updated_at=now)))
        except IntegrityError:
            return int(conn.execute(_PROJECT_ID, params).scalar_one())


def _user(row: Row[Any]) -> User:
    return User(id=row.id, username=row.username, email=row.email, is_admin=row.is_admin,
                is_active=row.is_active, created_at=row.created_at)


def _project_select() -> Any:
    return select(t.projects, t.entities.c.name.label("entity_name"),
                  t.entities.c.is_team.label("e_is_team"),
                  t.entities.c.user_id.label("e_user_id")).join(
        t.entities, t.entities.c.id == t.projects.c.entity_id)


# Hot statements are built once: building an expression costs more than running it on SQLite.
_USER_BY_KEY_HASH = (
    select(t.users).join(t.api_keys, t.api_keys.c.user_id == t.users.c.id)
    .where(t.api_keys.c.key_hash == bindparam("key_hash"), t.api_keys.c.revoked_at.is_(None),
           t.users.c.is_active.is_(True)))
_ENTITY_BY_NAME = select(t.entities).where(t.entities.c.name == bindparam("name"))
_PROJECT_BY_NAME = _project_select().where(t.entities.c.name == bindparam("entity"),
                                           t.projects.c.name == bindparam("project"))
_ENTITY_AND_PROJECT = (
    select(t.entities.c.id.label("e_id"), t.entities.c.is_team.label("e_is_team"),
           t.entities.c.user_id.label("e_user_id"), t.projects,
           t.entities.c.name.label("entity_name"))
    .select_from(t.entities.outerjoin(t.projects, and_(
        t.projects.c.entity_id == t.entities.c.id, t.projects.c.name == bindparam("project"))))
    .where(t.entities.c.name == bindparam("entity")))
# the same, with the project's run of a name (its columns as r_<column>, as run_select's)
_ENTITY_PROJECT_AND_RUN = (
    _ENTITY_AND_PROJECT.add_columns(*[c.label(f"r_{c.key}") for c in t.runs.c],
                                    t.users.c.username.label("r_username"))
    .outerjoin(t.runs, and_(t.runs.c.project_id == t.projects.c.id,
                            t.runs.c.name == bindparam("run")))
    .outerjoin(t.users, t.users.c.id == t.runs.c.user_id))
_RUN_KEYS = tuple(c.key for c in t.runs.c)


def _run_columns(row: Row[Any]) -> dict[str, Any]:
    """An `_ENTITY_PROJECT_AND_RUN` row's run values, as a run_select() row has them."""
    return {**{key: getattr(row, "r_" + key) for key in _RUN_KEYS},
            "project_name": row.name, "entity_name": row.entity_name,
            "username": row.r_username}


_PROJECT_BY_ID = _project_select().where(t.projects.c.id == bindparam("project_id"))
_PROJECT_ID = select(t.projects.c.id).where(t.projects.c.entity_id == bindparam("entity_id"),
                                            t.projects.c.name == bindparam("name"))


def _project(row: Row[Any]) -> Project:
    """A project from a `_project_select` row (which carries its entity too)."""
    return Project(id=row.id, entity_id=row.entity_id, entity_name=row.entity_name,
                   name=row.name, description=row.description, created_at=row.created_at,
                   updated_at=row.updated_at, visibility=row.visibility,
                   created_by=row.created_by, owner=_owner(row, row.entity_id))


def _owner(row: Row[Any], entity_id: int) -> Entity:
    """The entity columns a project row carries (`e_is_team`, `e_user_id`)."""
    return Entity(id=entity_id, name=row.entity_name, is_team=row.e_is_team,
                  user_id=row.e_user_id)
