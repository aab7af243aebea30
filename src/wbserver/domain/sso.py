"""Single sign-on rules: single-use sign-in states, and turning verified claims into a user
(linked by issuer + subject; provisioned on first sign-in under the seat limit)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from wbserver.domain.accounts import create_user
from wbserver.domain.license import LicenseState
from wbserver.domain.models import User
from wbserver.domain.sessions import token_hash
from wbserver.domain.users import USERNAME_RE
from wbserver.errors import Msg, NotFound, PermissionDenied, Unauthenticated
from wbserver.ports import MetadataStore

STATE_TTL = timedelta(minutes=10)


@dataclass(frozen=True)
class PendingSignIn:
    state: str
    nonce: str
    code_verifier: str
    code_challenge: str


def begin(store: MetadataStore, *, next_url: str, now: datetime) -> PendingSignIn:
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    store.create_sso_state(state_hash=token_hash(state), nonce=nonce, code_verifier=verifier,
                           next_url=next_url, now=now)
    return PendingSignIn(state=state, nonce=nonce, code_verifier=verifier,
                         code_challenge=challenge.decode())


NOT_HERE = Msg("this sign-in was already used, has expired, or was not started here in this "
               "browser; start again from the sign-in page")


def consume(store: MetadataStore, *, state: str, browser_state: str | None,
            now: datetime) -> tuple[str, str, str]:
    """(nonce, code verifier, next URL) of a sign-in started here; each state works once, and
    only in the browser that started it (BROWSER_STATE: the state its cookie holds), so a
    provider answer made for someone else's sign-in cannot sign this browser in."""
    if not browser_state or not hmac.compare_digest(state.encode(), browser_state.encode()):
        raise Unauthenticated(NOT_HERE)
    found = store.spend_sso_state(state_hash=token_hash(state), now=now,
                                  not_before=now - STATE_TTL)
    if found is None:
        raise Unauthenticated(NOT_HERE)
    return found


def _username_from(claims: dict[str, Any], claim: str) -> str:
    candidates = [claims.get(claim), claims.get("preferred_username"),
                  str(claims.get("email") or "").split("@")[0], claims.get("nickname")]
    for value in candidates:
        if isinstance(value, str) and value:
            name = re.sub(r"[^A-Za-z0-9_.-]", "-", value.split("@")[0]).strip("-.")[:64]
            if USERNAME_RE.match(name):
                return name
    raise Unauthenticated(Msg("the provider gave no usable user name (claim %(claim)r)",
                              claim=claim))


def user_for_claims(store: MetadataStore, *, issuer: str, claims: dict[str, Any],
                    username_claim: str, provision: bool, license: LicenseState,
                    now: datetime) -> User:
    subject = str(claims["sub"])
    linked = store.get_identity_user(issuer=issuer, subject=subject)
    if linked is not None:
        if not linked.is_active:
            raise PermissionDenied(Msg("the account %(user)s is deactivated; ask an admin",
                                       user=linked.username))
        return linked
    username = _username_from(claims, username_claim)
    email = str(claims.get("email") or f"{username}@users.invalid")
    existing = store.get_user_by_name(username)
    if existing is not None:
        if existing.email.lower() != email.lower() or not claims.get("email_verified", True):
            raise PermissionDenied(Msg("the user name %(name)r belongs to another account",
                                       name=username))
        if not existing.is_active:
            raise PermissionDenied(Msg("the account %(user)s is deactivated; ask an admin",
                                       user=username))
        store.link_identity(issuer=issuer, subject=subject, user_id=existing.id, now=now)
        return existing
    if not provision:
        raise NotFound(Msg("no account %(name)r exists here and new accounts are not created "
                           "on sign-in; ask an admin to create it", name=username))
    user = create_user(store, username=username, email=email, is_admin=False,
                       password_hash=None, license=license, now=now)
    store.link_identity(issuer=issuer, subject=subject, user_id=user.id, now=now)
    return user


def join_groups(store: MetadataStore, *, user: User, groups: Any) -> list[str]:
    """Make the user a member of each existing team named by a group claim."""
    joined = []
    for group in groups if isinstance(groups, list) else []:
        team = store.get_entity(str(group))
        if team is None or not team.is_team:
            continue
        if store.team_role(entity_id=team.id, user_id=user.id) is None:
            store.set_team_member(entity_id=team.id, user_id=user.id, role="member")
            joined.append(team.name)
    return joined
