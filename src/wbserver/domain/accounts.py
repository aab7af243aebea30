"""Account changes under the seat limit: creating, inviting, (re)activating, resetting."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from wbserver.domain.license import LicenseState, seat_limit_message
from wbserver.domain.models import Invite, User
from wbserver.domain.sessions import token_hash
from wbserver.domain.users import EMAIL_RE, USERNAME_RE
from wbserver.errors import InvalidInput, LimitExceeded, Msg, NotFound, PermissionDenied
from wbserver.ports import MetadataStore

MIN_PASSWORD = 8


def seats(state: LicenseState, now: datetime) -> tuple[int, Msg]:
    limit = state.seat_limit(now)
    return limit, seat_limit_message(limit, state.valid(now))


def check_new_user(username: str, email: str) -> None:
    if not USERNAME_RE.match(username):
        raise InvalidInput(Msg("a user name is 1-64 letters, digits, '_', '.' or '-', "
                               "starting with a letter or digit"))
    if not EMAIL_RE.match(email):
        raise InvalidInput(Msg("%(email)r is not an email address", email=email))


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(Msg("a password has at least %(n)s characters", n=MIN_PASSWORD))


def create_user(store: MetadataStore, *, username: str, email: str, is_admin: bool,
                password_hash: str | None, license: LicenseState, now: datetime) -> User:
    check_new_user(username, email)
    limit, message = seats(license, now)
    return store.create_user(username=username, email=email, password_hash=password_hash,
                             is_admin=is_admin, seat_limit=limit, limit_message=message)


def needs_first_admin(store: MetadataStore) -> bool:
    """/setup is offered only while this server has never had an admin: deactivating or
    demoting admins later never reopens it."""
    return not store.has_had_admin()


def setup_token(server_secret: bytes) -> str:
    """The one-time token /setup asks for when the server listens beyond loopback: the same
    in every process sharing the secret, and worthless once the first admin exists."""
    digest = hmac.new(server_secret, b"wbserver first admin setup", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def check_setup_token(expected: str | None, given: object) -> None:
    if expected is None:
        return
    if not isinstance(given, str) or not hmac.compare_digest(given.encode(), expected.encode()):
        raise PermissionDenied(Msg("this server listens on a network address, so creating the "
                                   "admin account needs the setup link printed in the server's "
                                   "log (/setup?token=...); or run `wbserver users create NAME "
                                   "--email E --admin` on the server"))


def create_first_admin(store: MetadataStore, *, username: str, email: str, password_hash: str,
                       license: LicenseState, now: datetime) -> User:
    """The admin account of a server that never had one; of concurrent calls one wins."""
    check_new_user(username, email)
    limit, message = seats(license, now)
    user = store.create_first_admin(username=username, email=email, password_hash=password_hash,
                                    seat_limit=limit, limit_message=message)
    if user is None:
        raise PermissionDenied(Msg("an admin account exists already; sign in instead"))
    return user


class LastAdmin(InvalidInput):
    """The change would leave the server without an active site admin."""


def _keep_an_admin(store: MetadataStore, user: User, change: str) -> None:
    if user.is_admin and user.is_active and store.count_admins() <= 1:
        raise LastAdmin(Msg("%(user)s is the last active site admin; %(change)s them would "
                            "leave nobody able to manage users or settings (and /setup does not "
                            "open again); make another user admin first", user=user.username,
                            change=change))


def set_active(store: MetadataStore, *, username: str, active: bool, license: LicenseState,
               now: datetime, force: bool = False) -> User:
    user = _user(store, username)
    if not active and not force:
        _keep_an_admin(store, user, Msg("deactivating"))
    limit, message = seats(license, now)
    return store.set_user_active(user.id, active, seat_limit=limit, limit_message=message)


def set_admin(store: MetadataStore, *, username: str, admin: bool, force: bool = False) -> User:
    user = _user(store, username)
    if not admin and not force:
        _keep_an_admin(store, user, Msg("demoting"))
    store.set_user_admin(user.id, admin)
    return _user(store, username)


def _user(store: MetadataStore, username: str) -> User:
    user = store.get_user_by_name(username)
    if user is None:
        raise NotFound(Msg("user %(name)r not found", name=username))
    return user


def make_invite(store: MetadataStore, *, by: User | None, email: str | None, is_admin: bool,
                hours: int, license: LicenseState, now: datetime) -> tuple[str, Invite]:
    """A single-use invite token (shown once) for someone to create their own account;
    refused while every seat is taken (the link could not be used)."""
    if by is not None and not by.is_admin:
        raise PermissionDenied(Msg("only site admins invite users"))
    if email and not EMAIL_RE.match(email):
        raise InvalidInput(Msg("%(email)r is not an email address", email=email))
    limit, message = seats(license, now)
    if store.count_active_users() >= limit:
        raise LimitExceeded(Msg("%(limit)s; no invite was made", limit=message))
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
        raise NotFound(Msg("this link is not valid"))
    if invite.used_at is not None:
        raise NotFound(Msg("this link was already used"))
    if invite.expires_at <= now:
        raise NotFound(Msg("this link has expired; ask an admin for a new one"))
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
