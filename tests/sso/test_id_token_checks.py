"""wbserver's id-token checks against tokens and keys of a real provider: a tampered token,
a wrong nonce, a wrong audience, an expired token and an unknown key are all refused."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from e2e.harness import free_port

from wbserver.errors import Unauthenticated
from wbserver.sso.provider import Discovery, OidcClient
from wbserver.sso.tokens import KeySets, verify_id_token

from .conftest import PUBLIC, provider_sign_in, start_provider


@pytest.fixture(scope="module")
def real_token(tmp_path_factory: pytest.TempPathFactory):
    """An id token for 'ivan' issued by the provider to the public client, with our nonce."""
    callback_port = free_port()
    provider = start_provider(tmp_path_factory.mktemp("provider"), server_port=callback_port)
    try:
        client = OidcClient(issuer=provider.url, client_id=PUBLIC, client_secret="",
                            auth_method="pkce", scopes=("openid", "profile", "email"), overrides={})
        endpoints = Discovery().endpoints(client)
        nonce, state, verifier = secrets.token_urlsafe(16), secrets.token_urlsafe(16), secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
        redirect_uri = f"http://127.0.0.1:{callback_port}/oidc/callback"
        with httpx.Client() as browser:
            start = browser.get(endpoints.authorization + "?" + urlencode({
                "client_id": PUBLIC, "response_type": "code", "scope": "openid email profile",
                "redirect_uri": redirect_uri, "state": state, "nonce": nonce,
                "code_challenge": challenge.decode(), "code_challenge_method": "S256"}),
                follow_redirects=True)
            back = provider_sign_in(browser, start, "ivan")
        code = parse_qs(urlsplit(back.headers["location"]).query)["code"][0]
        tokens = httpx.post(endpoints.token, data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
            "client_id": PUBLIC, "code_verifier": verifier}).json()
        assert "id_token" in tokens, tokens
        yield client, endpoints, tokens["id_token"], nonce
    finally:
        provider.stop()


def test_a_good_token_is_accepted(real_token) -> None:
    client, endpoints, token, nonce = real_token
    claims = verify_id_token(KeySets(), client, endpoints, token, nonce=nonce)
    assert claims["sub"] == "ivan" and claims["email"] == "ivan@example.com"


def _refused(real_token, message: str, **changes) -> None:
    client, endpoints, token, nonce = real_token
    args = {"client": client, "endpoints": endpoints, "token": token, "nonce": nonce, **changes}
    with pytest.raises(Unauthenticated, match=message):
        verify_id_token(KeySets(), args["client"], args["endpoints"], args["token"],
                        nonce=args["nonce"], now=changes.get("now"))


def test_a_wrong_nonce_is_refused(real_token) -> None:
    _refused(real_token, "nonce does not match", nonce="another-sign-in")


def test_a_wrong_audience_is_refused(real_token) -> None:
    client = real_token[0]
    other = OidcClient(**{**client.__dict__, "client_id": "somebody-else"})
    _refused(real_token, "another application", client=other)


def test_a_tampered_token_is_refused(real_token) -> None:
    header, payload, signature = real_token[2].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    _refused(real_token, "signature is not valid", token=f"{header}.{forged}.{signature}")


def test_an_expired_token_is_refused(real_token) -> None:
    payload = real_token[2].split(".")[1]
    exp = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["exp"]
    _refused(real_token, "expired", now=exp + 3600)


def test_a_token_from_an_unknown_key_is_refused(real_token, tmp_path: Path) -> None:
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    payload = real_token[2].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "not-the-providers"})
    _refused(real_token, "unknown key", token=forged)
