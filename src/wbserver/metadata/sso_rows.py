"""Single sign-on rows: single-use sign-in states and provider identities of users."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.exc import IntegrityError

from wbserver.domain.models import User
from wbserver.metadata import tables as t
from wbserver.metadata.accounts_rows import _user


class SsoRows:
    if TYPE_CHECKING:  # SqlStore's (store.py)
        def _read(self) -> AbstractContextManager[Connection]: ...
        def _write(self) -> AbstractContextManager[Connection]: ...

    def create_sso_state(self, *, state_hash: str, nonce: str, code_verifier: str,
                         next_url: str, now: datetime) -> None:
        with self._write() as conn:
            conn.execute(t.sso_states.insert().values(
                state_hash=state_hash, nonce=nonce, code_verifier=code_verifier,
                next_url=next_url[:512], created_at=now))

    def spend_sso_state(self, *, state_hash: str, now: datetime,
                        not_before: datetime) -> tuple[str, str, str] | None:
        c = t.sso_states.c
        with self._write() as conn:
            spent = conn.execute(update(t.sso_states).where(
                c.state_hash == state_hash, c.used_at.is_(None), c.created_at > not_before)
                .values(used_at=now))
            if not spent.rowcount:
                return None
            row = conn.execute(select(c.nonce, c.code_verifier, c.next_url)
                               .where(c.state_hash == state_hash)).one()
            conn.execute(delete(t.sso_states).where(c.created_at < not_before))
        return row.nonce, row.code_verifier, row.next_url

    def get_identity_user(self, *, issuer: str, subject: str) -> User | None:
        query = (select(t.users).join(t.user_identities, t.user_identities.c.user_id == t.users.c.id)
                 .where(t.user_identities.c.issuer == issuer,
                        t.user_identities.c.subject == subject))
        with self._read() as conn:
            row = conn.execute(query).first()
        return _user(row) if row else None

    def link_identity(self, *, issuer: str, subject: str, user_id: int, now: datetime) -> None:
        try:
            with self._write() as conn:
                conn.execute(t.user_identities.insert().values(
                    issuer=issuer[:255], subject=subject[:255], user_id=user_id, created_at=now))
        except IntegrityError:
            pass  # linked already (a concurrent first sign-in)

    def set_session_id_token(self, *, token_hash: str, id_token: str) -> None:
        with self._write() as conn:
            conn.execute(update(t.sessions).where(t.sessions.c.token_hash == token_hash)
                         .values(id_token=id_token))

    def get_session_id_token(self, token_hash: str) -> str | None:
        with self._read() as conn:
            return conn.execute(select(t.sessions.c.id_token)
                                .where(t.sessions.c.token_hash == token_hash)).scalar()
