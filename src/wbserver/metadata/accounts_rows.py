"""Accounts: seat-limited user changes, sessions, invites, login failures, keys, teams."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from wbserver.domain.clock import utcnow
from wbserver.domain.models import ApiKey, Entity, Invite, TeamMember, User
from wbserver.errors import AlreadyExists, LimitExceeded, NotFound
from wbserver.metadata import tables as t
from wbserver.metadata.inserted import inserted_id


def _user(row: Any) -> User:
    return User(id=row.id, username=row.username, email=row.email, is_admin=row.is_admin,
                is_active=row.is_active, created_at=row.created_at)


def _invite(row: Any) -> Invite:
    return Invite(id=row.id, kind=row.kind, user_id=row.user_id, email=row.email,
                  is_admin=row.is_admin, created_by=row.created_by, created_at=row.created_at,
                  expires_at=row.expires_at, used_at=row.used_at)


def _active_users(conn: Connection) -> int:
    query = select(func.count()).select_from(t.users).where(t.users.c.is_active.is_(True))
    return int(conn.execute(query).scalar_one())


def _spend_link(conn: Connection, invite_id: int, now: datetime, kind: str) -> Any:
    """Mark an invite or reset link used (once, before it expires); its row."""
    spent = conn.execute(update(t.invites).where(
        t.invites.c.id == invite_id, t.invites.c.used_at.is_(None),
        t.invites.c.expires_at > now).values(used_at=now))
    if not spent.rowcount:
        raise NotFound(f"this {kind} link was already used or has expired")
    return conn.execute(select(t.invites).where(t.invites.c.id == invite_id)).one()


def check_seats(conn: Connection, seat_limit: int | None, message: str) -> None:
    if seat_limit is not None and _active_users(conn) >= seat_limit:
        raise LimitExceeded(message)


FIRST_ADMIN = "first_admin"  # the server_marks row: an admin account has existed


def _mark_first_admin(conn: Connection) -> None:
    c = t.server_marks.c
    if conn.execute(select(c.name).where(c.name == FIRST_ADMIN)).first() is not None:
        return
    try:
        with conn.begin_nested():
            conn.execute(t.server_marks.insert().values(name=FIRST_ADMIN, created_at=utcnow()))
    except IntegrityError:
        pass  # set by a concurrent transaction


def _is_first_admin_mark(exc: IntegrityError) -> bool:
    text = str(exc.orig).lower()
    return "server_marks" in text or "primary" in text


class AccountRows:
    if TYPE_CHECKING:  # SqlStore's (store.py)
        def _read(self) -> AbstractContextManager[Connection]: ...
        def _write(self) -> AbstractContextManager[Connection]: ...

    def count_active_users(self) -> int:
        with self._read() as conn:
            return _active_users(conn)

    def count_admins(self) -> int:
        query = select(func.count()).select_from(t.users).where(
            t.users.c.is_admin.is_(True), t.users.c.is_active.is_(True))
        with self._read() as conn:
            return int(conn.execute(query).scalar_one())

    def set_user_active(self, user_id: int, active: bool, *, seat_limit: int | None = None,
                        limit_message: str = "") -> User:
        with self._write() as conn:
            row = conn.execute(select(t.users).where(t.users.c.id == user_id)).first()
            if row is None:
                raise NotFound("no such user")
            if active and not row.is_active:
                check_seats(conn, seat_limit, limit_message)
            conn.execute(update(t.users).where(t.users.c.id == user_id).values(is_active=active))
            if not active:
                conn.execute(delete(t.sessions).where(t.sessions.c.user_id == user_id))
            row = conn.execute(select(t.users).where(t.users.c.id == user_id)).one()
        return _user(row)

    def set_user_admin(self, user_id: int, admin: bool) -> None:
        with self._write() as conn:
            conn.execute(update(t.users).where(t.users.c.id == user_id).values(is_admin=admin))
            if admin:
                _mark_first_admin(conn)

    def has_had_admin(self) -> bool:
        """Whether an admin account has ever existed here (then /setup stays closed)."""
        with self._read() as conn:
            return conn.execute(select(t.server_marks.c.name).where(
                t.server_marks.c.name == FIRST_ADMIN)).first() is not None

    def create_first_admin(self, *, username: str, email: str, password_hash: str,
                           seat_limit: int | None, limit_message: str) -> User | None:
        """The first admin, or None when one exists or was made first by a concurrent call:
        the mark's primary key lets exactly one transaction through."""
        try:
            with self._write() as conn:
                conn.execute(t.server_marks.insert().values(name=FIRST_ADMIN, created_at=utcnow()))
                check_seats(conn, seat_limit, limit_message)
                user_id = self._insert_user(conn, username=username, email=email,
                                            password_hash=password_hash, is_admin=True)
                row = conn.execute(select(t.users).where(t.users.c.id == user_id)).one()
        except IntegrityError as exc:
            if _is_first_admin_mark(exc):
                return None
            raise
        return _user(row)

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        with self._write() as conn:
            conn.execute(update(t.users).where(t.users.c.id == user_id)
                         .values(password_hash=password_hash))
            conn.execute(delete(t.sessions).where(t.sessions.c.user_id == user_id))

    def get_password_hash(self, username: str) -> tuple[User, str | None] | None:
        with self._read() as conn:
            row = conn.execute(select(t.users).where(t.users.c.username == username)).first()
        return (_user(row), row.password_hash) if row else None

    # sessions ----------------------------------------------------------------------------

    def create_session(self, *, token_hash: str, user_id: int, csrf_token: str,
                       expires_at: datetime) -> None:
        with self._write() as conn:
            conn.execute(t.sessions.insert().values(
                token_hash=token_hash, user_id=user_id, csrf_token=csrf_token,
                created_at=utcnow(), expires_at=expires_at))

    def get_session(self, token_hash: str, *, now: datetime) -> tuple[User, str] | None:
        query = (select(t.users, t.sessions.c.csrf_token)
                 .join(t.sessions, t.sessions.c.user_id == t.users.c.id)
                 .where(t.sessions.c.token_hash == token_hash, t.sessions.c.expires_at > now,
                        t.users.c.is_active.is_(True)))
        with self._read() as conn:
            row = conn.execute(query).first()
        return (_user(row), row.csrf_token) if row else None

    def delete_session(self, token_hash: str) -> None:
        with self._write() as conn:
            conn.execute(delete(t.sessions).where(t.sessions.c.token_hash == token_hash))

    # login throttling --------------------------------------------------------------------

    def record_login_failure(self, *, username: str, remote: str, now: datetime) -> None:
        c = t.login_failures.c
        with self._write() as conn:
            conn.execute(t.login_failures.insert().values(username=username[:64],
                                                          remote=remote[:64], created_at=now))
            # this name's failures older than a day count for nothing any more
            conn.execute(delete(t.login_failures).where(
                c.username == username[:64], c.created_at < now - timedelta(days=1)))

    def login_failures(self, *, username: str, remote: str,
                       since: datetime) -> tuple[int, datetime | None]:
        """How many sign-ins of this user name from this address failed since then, and
        when the last one did."""
        c = t.login_failures.c
        query = select(func.count(), func.max(c.created_at)).where(
            c.username == username[:64], c.remote == remote[:64], c.created_at > since)
        with self._read() as conn:
            count, last = conn.execute(query).one()
        return int(count), last

    # invites and reset links ---------------------------------------------------------------

    def create_invite(self, *, token_hash: str, kind: str, user_id: int | None,
                      email: str | None, is_admin: bool, created_by: int | None,
                      expires_at: datetime) -> Invite:
        with self._write() as conn:
            invite_id = inserted_id(conn.execute(t.invites.insert().values(
                token_hash=token_hash, kind=kind, user_id=user_id, email=email,
                is_admin=is_admin, created_by=created_by, created_at=utcnow(),
                expires_at=expires_at)))
            row = conn.execute(select(t.invites).where(t.invites.c.id == invite_id)).one()
        return _invite(row)

    def get_invite(self, token_hash: str) -> Invite | None:
        with self._read() as conn:
            row = conn.execute(select(t.invites).where(t.invites.c.token_hash == token_hash)).first()
        return _invite(row) if row else None

    def accept_invite(self, *, invite_id: int, username: str, email: str, password_hash: str,
                      now: datetime, seat_limit: int | None, limit_message: str) -> User:
        """Create the invited user and spend the invite, atomically (single use)."""
        with self._write() as conn:
            invite = _spend_link(conn, invite_id, now, "invite")
            check_seats(conn, seat_limit, limit_message)
            user_id = self._insert_user(conn, username=username, email=email,
                                        password_hash=password_hash, is_admin=invite.is_admin)
            conn.execute(update(t.invites).where(t.invites.c.id == invite_id).values(used_by=user_id))
            row = conn.execute(select(t.users).where(t.users.c.id == user_id)).one()
        return _user(row)

    def spend_reset_link(self, *, invite_id: int, password_hash: str, now: datetime) -> User:
        with self._write() as conn:
            invite = _spend_link(conn, invite_id, now, "reset")
            conn.execute(update(t.users).where(t.users.c.id == invite.user_id)
                         .values(password_hash=password_hash))
            conn.execute(delete(t.sessions).where(t.sessions.c.user_id == invite.user_id))
            row = conn.execute(select(t.users).where(t.users.c.id == invite.user_id)).one()
        return _user(row)

    def _insert_user(self, conn: Connection, *, username: str, email: str,
                     password_hash: str | None, is_admin: bool) -> int:
        now = utcnow()
        if conn.execute(select(t.entities.c.id).where(t.entities.c.name == username)).first():
            raise AlreadyExists(f"the name {username!r} is taken")
        try:
            with conn.begin_nested():
                user_id = inserted_id(conn.execute(t.users.insert().values(
                    username=username, email=email, password_hash=password_hash,
                    is_admin=is_admin, is_active=True, created_at=now)))
                conn.execute(t.entities.insert().values(name=username, is_team=False,
                                                        user_id=user_id, created_at=now))
        except IntegrityError as exc:
            raise AlreadyExists(f"the name {username!r} is taken") from exc
        if is_admin:
            _mark_first_admin(conn)
        return user_id

    # API keys -----------------------------------------------------------------------------

    def list_api_keys(self, user_id: int) -> list[ApiKey]:
        c = t.api_keys.c
        with self._read() as conn:
            rows = conn.execute(select(t.api_keys).where(
                c.user_id == user_id, c.revoked_at.is_(None)).order_by(c.id)).all()
        return [ApiKey(id=r.id, user_id=r.user_id, name=r.name, key_prefix=r.key_prefix,
                       created_at=r.created_at) for r in rows]

    def revoke_api_key(self, *, user_id: int, key_id: int) -> bool:
        c = t.api_keys.c
        with self._write() as conn:
            result = conn.execute(update(t.api_keys).where(
                c.id == key_id, c.user_id == user_id, c.revoked_at.is_(None)).values(revoked_at=utcnow()))
        return bool(result.rowcount)

    # teams ---------------------------------------------------------------------------------

    def create_team(self, *, name: str, creator_id: int) -> Entity:
        now = utcnow()
        try:
            with self._write() as conn:
                entity_id = inserted_id(conn.execute(t.entities.insert().values(
                    name=name, is_team=True, user_id=None, created_at=now)))
                conn.execute(t.team_members.insert().values(
                    entity_id=entity_id, user_id=creator_id, role="admin", created_at=now))
        except IntegrityError as exc:
            raise AlreadyExists(f"the name {name!r} is taken") from exc
        return Entity(id=entity_id, name=name, is_team=True, user_id=None)

    def set_team_member(self, *, entity_id: int, user_id: int, role: str | None) -> None:
        """Add or change a member's role; role None removes them."""
        c = t.team_members.c
        with self._write() as conn:
            conn.execute(delete(t.team_members).where(c.entity_id == entity_id, c.user_id == user_id))
            if role is not None:
                conn.execute(t.team_members.insert().values(
                    entity_id=entity_id, user_id=user_id, role=role, created_at=utcnow()))

    def team_role(self, *, entity_id: int, user_id: int) -> str | None:
        c = t.team_members.c
        with self._read() as conn:
            return conn.execute(select(c.role).where(c.entity_id == entity_id,
                                                     c.user_id == user_id)).scalar()

    def list_team_members(self, entity_id: int) -> list[TeamMember]:
        query = (select(t.team_members.c.role, t.users.c.username, t.users.c.id)
                 .join(t.users, t.users.c.id == t.team_members.c.user_id)
                 .where(t.team_members.c.entity_id == entity_id).order_by(t.users.c.username))
        with self._read() as conn:
            return [TeamMember(user_id=r.id, username=r.username, role=r.role)
                    for r in conn.execute(query)]

    def list_user_teams(self, user_id: int) -> list[tuple[Entity, str]]:
        query = (select(t.entities, t.team_members.c.role)
                 .join(t.team_members, t.team_members.c.entity_id == t.entities.c.id)
                 .where(t.team_members.c.user_id == user_id).order_by(t.entities.c.name))
        with self._read() as conn:
            return [(Entity(id=r.id, name=r.name, is_team=r.is_team, user_id=r.user_id), r.role)
                    for r in conn.execute(query)]

    def count_teams(self) -> int:
        query = select(func.count()).select_from(t.entities).where(t.entities.c.is_team.is_(True))
        with self._read() as conn:
            return int(conn.execute(query).scalar_one())

    def entity_storage_bytes(self, entity_id: int) -> int:
        """Bytes of run files stored under an entity's projects."""
        query = (select(func.coalesce(func.sum(t.run_files.c.size_bytes), 0))
                 .select_from(t.run_files)
                 .join(t.runs, t.runs.c.id == t.run_files.c.run_id)
                 .join(t.projects, t.projects.c.id == t.runs.c.project_id)
                 .where(t.projects.c.entity_id == entity_id))
        with self._read() as conn:
            return int(conn.execute(query).scalar_one())

    def set_project_visibility(self, project_id: int, visibility: str) -> None:
        with self._write() as conn:
            conn.execute(update(t.projects).where(t.projects.c.id == project_id)
                         .values(visibility=visibility, updated_at=utcnow()))
