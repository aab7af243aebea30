"""Exchanging the authorization code and checking id tokens (signature by the provider's
JWKS, re-fetched when keys rotate; issuer, audience, expiry and nonce)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from wbserver.errors import Msg, Unauthenticated, Unavailable
from wbserver.sso.provider import Endpoints, OidcClient

if TYPE_CHECKING:  # PyJWT is imported where a token is checked, not at the server's start
    import jwt
    from jwt.types import Options  # a TypedDict, for the type checker only

ALLOWED_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384",
                      "ES512", "EdDSA"]
LEEWAY_SECONDS = 60


class KeySets:
    """One JWKS client per URI; PyJWKClient refetches when it meets an unknown key id."""

    def __init__(self) -> None:
        self._clients: dict[str, jwt.PyJWKClient] = {}
        self._lock = threading.Lock()

    def key_for(self, jwks_uri: str, token: str) -> Any:
        import jwt

        with self._lock:
            client = self._clients.get(jwks_uri)
            if client is None:
                client = jwt.PyJWKClient(jwks_uri, cache_keys=True, lifespan=300, timeout=10)
                self._clients[jwks_uri] = client
        try:
            return client.get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientConnectionError as exc:
            raise Unavailable(Msg("the provider's keys could not be fetched: %(error)s",
                                  error=str(exc))) from None
        except jwt.PyJWKClientError as exc:
            raise Unauthenticated(Msg("the id token is signed with an unknown key: %(error)s",
                                      error=str(exc))) from None
        except jwt.DecodeError as exc:
            raise Unauthenticated(Msg("the id token is malformed: %(error)s",
                                      error=str(exc))) from None


def exchange_code(client: OidcClient, endpoints: Endpoints, *, code: str, redirect_uri: str,
                  code_verifier: str) -> dict[str, Any]:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
            "code_verifier": code_verifier}
    auth = None
    if client.client_secret:
        auth = (client.client_id, client.client_secret)
    else:
        form["client_id"] = client.client_id
    import httpx  # here, not at the server's start

    try:
        response = httpx.post(endpoints.token, data=form, auth=auth, timeout=15,
                              headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise Unavailable(Msg("the provider's token endpoint could not be reached: %(error)s",
                              error=str(exc))) from None
    try:
        answer = response.json()
    except ValueError:
        answer = None
    body: dict[str, Any] = answer if isinstance(answer, dict) else {}
    if response.status_code != 200:
        reason = body.get("error_description") or body.get("error") or response.text[:200]
        raise Unauthenticated(Msg("the provider refused the sign-in code: %(error)s",
                                  error=str(reason)))
    if not isinstance(body.get("id_token"), str):
        raise Unauthenticated(Msg("the provider's answer holds no id token"))
    return body


def verify_id_token(keys: KeySets, client: OidcClient, endpoints: Endpoints, token: str, *,
                    nonce: str, now: float | None = None) -> dict[str, Any]:
    """The claims of a valid id token; Unauthenticated saying what is wrong otherwise."""
    import jwt

    key = keys.key_for(endpoints.jwks_uri, token)
    options: Options = {"require": ["exp", "iat", "iss", "aud", "sub"]}
    if now is not None:
        options["verify_exp"] = False
    try:
        claims = jwt.decode(token, key=key, algorithms=ALLOWED_ALGORITHMS,
                            audience=client.client_id, issuer=endpoints.issuer,
                            leeway=LEEWAY_SECONDS, options=options)
    except jwt.ExpiredSignatureError:
        raise Unauthenticated(Msg("the id token has expired")) from None
    except jwt.InvalidAudienceError:
        raise Unauthenticated(Msg("the id token was issued for another application "
                                  "(audience does not match the client id)")) from None
    except jwt.InvalidIssuerError:
        raise Unauthenticated(Msg("the id token comes from another issuer")) from None
    except jwt.InvalidSignatureError:
        raise Unauthenticated(Msg("the id token's signature is not valid")) from None
    except jwt.InvalidTokenError as exc:
        raise Unauthenticated(Msg("the id token is not valid: %(error)s", error=str(exc))) from None
    if now is not None and claims["exp"] + LEEWAY_SECONDS < now:
        raise Unauthenticated(Msg("the id token has expired"))
    if claims.get("nonce") != nonce:
        raise Unauthenticated(Msg("the id token's nonce does not match this sign-in"))
    return claims


def fetch_userinfo(endpoints: Endpoints, access_token: str | None) -> dict[str, Any]:
    if not endpoints.userinfo or not access_token:
        return {}
    import httpx

    try:
        response = httpx.get(endpoints.userinfo, timeout=10,
                             headers={"Authorization": f"Bearer {access_token}"})
        return response.json() if response.status_code == 200 else {}
    except (httpx.HTTPError, ValueError):
        return {}
