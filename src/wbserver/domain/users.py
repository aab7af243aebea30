"""Users and API keys."""

from __future__ import annotations

import hashlib
import re
import secrets
import string

from wbserver.domain.models import User
from wbserver.errors import InvalidInput, Msg, NotFound, Unauthenticated
from wbserver.ports import MetadataStore

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")  # \Z: no trailing newline
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")
KEY_ALPHABET = string.ascii_letters + string.digits
KEY_PREFIX = "local-"
KEY_BODY_LENGTH = 40


def hash_api_key(key: str) -> str:
    """API keys carry 238 bits of randomness, so one SHA-256 is enough (and fast per request)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_user(store: MetadataStore, *, username: str, email: str, is_admin: bool = False,
                password_hash: str | None = None) -> User:
    if not USERNAME_RE.match(username):
        raise InvalidInput(Msg("a username is 1-64 letters, digits, '_', '.' or '-', starting "
                               "with a letter or digit"))
    if not EMAIL_RE.match(email):
        raise InvalidInput(Msg("%(email)r is not an email address", email=email))
    return store.create_user(username=username, email=email, password_hash=password_hash,
                             is_admin=is_admin)


def create_api_key(store: MetadataStore, *, username: str, name: str = "default") -> str:
    """Make a new key for the user and return it; only its hash is stored."""
    user = store.get_user_by_name(username)
    if user is None:
        raise NotFound(Msg("user %(name)r not found", name=username))
    key = KEY_PREFIX + "".join(secrets.choice(KEY_ALPHABET) for _ in range(KEY_BODY_LENGTH))
    store.create_api_key(user_id=user.id, name=name, key_prefix=key[: len(KEY_PREFIX) + 4],
                         key_hash=hash_api_key(key))
    return key


def authenticate_api_key(store: MetadataStore, key: str) -> User:
    user = store.find_user_by_key_hash(hash_api_key(key))
    if user is None:
        raise Unauthenticated("invalid api key")
    return user
