"""Browser sign-in: password check with throttling, session tokens, CSRF tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from wbserver.domain.models import User
from wbserver.errors import LimitExceeded, Unauthenticated
from wbserver.ports import MetadataStore

THROTTLE_WINDOW = timedelta(minutes=15)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SignedIn:
    user: User
    token: str
    csrf_token: str


def sign_in(store: MetadataStore, *, username: str, password: str, remote: str,
            verify: Callable[[str, str], bool], now: datetime, max_failures: int,
            session_hours: int, admins_only: bool = False) -> SignedIn:
    """A new session for a correct password; too many failures refuse further tries."""
    if store.count_login_failures(username=username, remote=remote,
                                  since=now - THROTTLE_WINDOW) >= max_failures:
        raise LimitExceeded("too many failed sign-ins; wait 15 minutes and try again")
    found = store.get_password_hash(username)
    user, stored = found if found else (None, None)
    if user is None or not stored or not user.is_active or not verify(stored, password):
        store.record_login_failure(username=username, remote=remote, now=now)
        raise Unauthenticated("wrong user name or password")
    if admins_only and not user.is_admin:
        raise Unauthenticated("this server uses single sign-on; passwords are for site "
                              "admins only")
    return start_session(store, user=user, now=now, session_hours=session_hours)


def start_session(store: MetadataStore, *, user: User, now: datetime,
                  session_hours: int) -> SignedIn:
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    store.create_session(token_hash=token_hash(token), user_id=user.id, csrf_token=csrf,
                         expires_at=now + timedelta(hours=session_hours))
    return SignedIn(user=user, token=token, csrf_token=csrf)


def session_user(store: MetadataStore, token: str | None, *, now: datetime) -> tuple[User, str] | None:
    if not token:
        return None
    return store.get_session(token_hash(token), now=now)


def sign_out(store: MetadataStore, token: str | None) -> None:
    if token:
        store.delete_session(token_hash(token))
