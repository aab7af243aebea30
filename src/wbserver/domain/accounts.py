"""Account changes under the seat limit: creating, inviting, (re)activating, resetting."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from wbserver.domain.license import LicenseState, seat_limit_message
from wbserver.domain.models import Invite, User
from wbserver.domain.sessions import token_hash
from wbserver.domain.users import EMAIL_RE, USERNAME_RE
from wbserver.errors import InvalidInput, NotFound, PermissionDenied
from wbserver.ports import MetadataStore

MIN_PASSWORD = 8


def seats(state: LicenseState, now: datetime) -> tuple[int, str]:
    limit = state.seat_limit(now)
    return limit, seat_limit_message(limit, state.valid(now))


def check_new_user(username: str, email: str) -> None:
    if not USERNAME_RE.match(username):
        raise InvalidInput("a user name is 1-64 letters, digits, '_', '.' or '-', starting "
                           "with a letter or digit")
    if not EMAIL_RE.match(email):
        raise InvalidInput(f"{email!r} is not an email address")


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"a password has at least {MIN_PASSWORD} characters")


def create_user(store: MetadataStore, *, username: str, email: str, is_admin: bool,
                password_hash: str | None, license: LicenseState, now: datetime) -> User:
    check_new_user(username, email)
    limit, message = seats(license, now)
    return store.create_user(username=username, email=email, password_hash=password_hash,
                             is_admin=is_admin, seat_limit=limit, limit_message=message)


def needs_first_admin(store: MetadataStore) -> bool:
    return store.count_admins() == 0


def set_active(store: MetadataStore, *, username: str, active: bool, license: LicenseState,
               now: datetime) -> User:
    user = _user(store, username)
    limit, message = seats(license, now)
    return store.set_user_active(user.id, active, seat_limit=limit, limit_message=message)


def set_admin(store: MetadataStore, *, username: str, admin: bool) -> User:
    user = _user(store, username)
    if not admin and user.is_admin and store.count_admins() <= 1:
        raise InvalidInput("this is the last site admin; make another user admin first")
    store.set_user_admin(user.id, admin)
    return _user(store, username)


def _user(store: MetadataStore, username: str) -> User:
    user = store.get_user_by_name(username)
    if user is None:
        raise NotFound(f"user {username!r} not found")
    return user


def make_invite(store: MetadataStore, *, by: User | None, email: str | None, is_admin: bool,
                hours: int, now: datetime) -> tuple[str, Invite]:
    """A single-use invite token (shown once) for someone to create their own account."""
    if by is not None and not by.is_admin:
        raise PermissionDenied("only site admins invite users")
    if email and not EMAIL_RE.match(email):
        raise InvalidInput(f"{email!r} is not an email address")
    token = secrets.token_urlsafe(32)
    invite = store.create_invite(token_hash=token_hash(token), kind="invite", user_id=None,
                                 email=email or None, is_admin=is_admin,
                                 created_by=by.id if by else None,
                                 expires_at=now + timedelta(hours=hours))
    return token, invite


def make_reset_link(store: MetadataStore, *, by: User | None, username: str, hours: int,
                    now: datetime) -> str:
    user = _user(store, username)
    token = secrets.token_urlsafe(32)
    store.create_invite(token_hash=token_hash(token), kind="reset", user_id=user.id,
                        email=None, is_admin=False, created_by=by.id if by else None,
                        expires_at=now + timedelta(hours=hours))
    return token


def open_link(store: MetadataStore, *, token: str, kind: str, now: datetime) -> Invite:
    invite = store.get_invite(token_hash(token))
    if invite is None or invite.kind != kind:
        raise NotFound("this link is not valid")
    if invite.used_at is not None:
        raise NotFound("this link was already used")
    if invite.expires_at <= now:
        raise NotFound("this link has expired; ask an admin for a new one")
    return invite


def accept_invite(store: MetadataStore, *, token: str, username: str, email: str,
                  password_hash: str, license: LicenseState, now: datetime) -> User:
    invite = open_link(store, token=token, kind="invite", now=now)
    check_new_user(username, email)
    limit, message = seats(license, now)
    return store.accept_invite(invite_id=invite.id, username=username, email=email,
                               password_hash=password_hash, now=now, seat_limit=limit,
                               limit_message=message)


def reset_password(store: MetadataStore, *, token: str, password_hash: str,
                   now: datetime) -> User:
    invite = open_link(store, token=token, kind="reset", now=now)
    return store.spend_reset_link(invite_id=invite.id, password_hash=password_hash, now=now)
