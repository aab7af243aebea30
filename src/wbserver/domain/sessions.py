"""Browser sign-in: password check with throttling, session tokens, CSRF tokens."""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from wbserver.domain.models import User
from wbserver.errors import LimitExceeded, Msg, Unauthenticated
from wbserver.ports import MetadataStore

FAILURE_MEMORY = timedelta(hours=1)  # failures older than this no longer count
FIRST_WAIT = timedelta(seconds=30)  # after the free tries; doubles with each further failure
LONGEST_WAIT = timedelta(minutes=15)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TooManyTries(LimitExceeded):
    """Sign-ins of this user name from this address must wait `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        minutes, seconds = divmod(retry_after, 60)
        wait = f"{minutes} min {seconds} s" if minutes else f"{seconds} s"
        super().__init__(Msg("too many failed sign-ins for this user name from your address; "
                             "wait %(wait)s and try again", wait=wait))
        self.retry_after = retry_after


def seconds_to_wait(*, failures: int, last_failure: datetime | None, free_tries: int,
                    now: datetime) -> int:
    """How long one (user name, address) pair still waits before its next try: not at all
    for the first `free_tries` failures, then 30 s after the last failure, doubling with each
    further failure up to 15 minutes."""
    if failures < free_tries or last_failure is None:
        return 0
    wait: timedelta = min(LONGEST_WAIT, FIRST_WAIT * 2 ** min(failures - free_tries, 20))
    return max(0, math.ceil((last_failure + wait - now).total_seconds()))


@dataclass(frozen=True)
class SignedIn:
    user: User
    token: str
    csrf_token: str


def sign_in(store: MetadataStore, *, username: str, password: str, remote: str,
            verify: Callable[[str, str], bool], now: datetime, max_failures: int,
            session_hours: int, admins_only: bool = False) -> SignedIn:
    """A new session for a correct password. Failures are counted per user name and
    address, so a guesser slows down only their own tries at that name: other people behind
    the same address, and the same person elsewhere, sign in as usual."""
    failures, last = store.login_failures(username=username, remote=remote,
                                          since=now - FAILURE_MEMORY)
    wait = seconds_to_wait(failures=failures, last_failure=last, free_tries=max_failures,
                           now=now)
    if wait:
        raise TooManyTries(wait)
    found = store.get_password_hash(username)
    user, stored = found if found else (None, None)
    if user is None or not stored or not user.is_active or not verify(stored, password):
        store.record_login_failure(username=username, remote=remote, now=now)
        raise Unauthenticated(Msg("wrong user name or password"))
    if admins_only and not user.is_admin:
        raise Unauthenticated(Msg("this server uses single sign-on; passwords are for site "
                                  "admins only"))
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
