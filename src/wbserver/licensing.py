"""License tokens: compact JWS (EdDSA / Ed25519) carrying seats, teams, features and expiry.

An organization can run its own licensing: `wbserver license keygen` makes a key pair,
`wbserver license issue` signs a token, and the server trusts the public keys built in here
plus those in WBSERVER_LICENSE_PUBLIC_KEYS.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from wbserver.domain.license import License, LicenseState
from wbserver.errors import Msg

# Public keys (raw Ed25519, base64url) trusted without configuration. The project publishes
# no issuer key yet: an organization trusts its own key through WBSERVER_LICENSE_PUBLIC_KEYS.
BUILT_IN_PUBLIC_KEYS: tuple[str, ...] = ()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def keygen() -> tuple[str, str]:
    """(private key, public key), both raw Ed25519 in base64url."""
    private = Ed25519PrivateKey.generate()
    raw_private = private.private_bytes(serialization.Encoding.Raw,
                                        serialization.PrivateFormat.Raw,
                                        serialization.NoEncryption())
    raw_public = private.public_key().public_bytes(serialization.Encoding.Raw,
                                                   serialization.PublicFormat.Raw)
    return _b64(raw_private), _b64(raw_public)


def issue(private_key: str, *, subject: str, seats: int, teams: int, features: list[str],
          expires_at: datetime, now: datetime | None = None) -> str:
    key = Ed25519PrivateKey.from_private_bytes(_unb64(private_key))
    header = {"alg": "EdDSA", "typ": "JWT"}
    payload = {"sub": subject, "seats": seats, "teams": teams, "features": sorted(features),
               "iat": int((now or datetime.now(UTC)).timestamp()),
               "exp": int(expires_at.replace(tzinfo=UTC).timestamp())}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
    return f"{signing_input}.{_b64(key.sign(signing_input.encode()))}"


def verify(token: str, public_keys: list[str]) -> License:
    """The license in `token`, or ValueError saying why it is not acceptable."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise ValueError(Msg("not a license token (expected three dot-separated parts)"))
    try:
        header = json.loads(_unb64(parts[0]))
        payload = json.loads(_unb64(parts[1]))
        signature = _unb64(parts[2])
    except ValueError:
        raise ValueError(Msg("the license token is malformed")) from None
    if header.get("alg") != "EdDSA":
        raise ValueError(Msg("unsupported license algorithm %(alg)r", alg=header.get("alg")))
    signing_input = f"{parts[0]}.{parts[1]}".encode()
    if not any(_signed_by(key, signing_input, signature) for key in public_keys):
        raise ValueError(Msg("the license signature does not match any trusted key "
                             "(tampered, or issued by an untrusted key)"))
    try:
        return License(
            subject=str(payload["sub"]), seats=int(payload["seats"]),
            teams=int(payload.get("teams", 1)),
            features=frozenset(str(f) for f in payload.get("features", [])),
            expires_at=datetime.fromtimestamp(int(payload["exp"]), UTC).replace(tzinfo=None),
            issued_at=datetime.fromtimestamp(int(payload["iat"]), UTC).replace(tzinfo=None)
            if "iat" in payload else None)
    except (KeyError, TypeError, ValueError):
        raise ValueError(Msg("the license payload lacks sub, seats or exp")) from None


def _signed_by(public_key: str, message: bytes, signature: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(_unb64(public_key)).verify(signature, message)
        return True
    except (InvalidSignature, ValueError):
        return False


def license_state(token: str, extra_public_keys: str, now: datetime) -> LicenseState:
    if not token.strip():
        return LicenseState(license=None)
    keys = list(BUILT_IN_PUBLIC_KEYS) + [k.strip() for k in extra_public_keys.split(",") if k.strip()]
    try:
        found = verify(token, keys)
    except ValueError as exc:
        reason = exc.args[0] if exc.args and isinstance(exc.args[0], Msg) else str(exc)
        return LicenseState(license=None, problem=reason)
    notes = [] if found.expires_at > now else [f"expired on {found.expires_at:%Y-%m-%d}"]
    return LicenseState(license=found, notes=notes)
