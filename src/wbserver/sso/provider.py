"""Which OpenID provider is configured, with its endpoints (discovered, then overridden)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from wbserver.config import Settings
from wbserver.errors import ConfigError, Msg, Unavailable

DISCOVERY_TTL = 600.0
BASE_SCOPES = ("openid", "profile", "email")


@dataclass(frozen=True)
class OidcClient:
    """The relying party's settings: who the provider is and who we are to it."""

    issuer: str
    client_id: str
    client_secret: str
    auth_method: str
    scopes: tuple[str, ...]
    overrides: dict[str, str]


@dataclass(frozen=True)
class Endpoints:
    issuer: str
    authorization: str
    token: str
    jwks_uri: str
    userinfo: str | None
    end_session: str | None


def configured_client(settings: Settings) -> OidcClient | None:
    """The OIDC client the settings describe (Auth0 or generic), or None when SSO is off."""
    if settings.oidc_issuer and settings.oidc_client_id:
        issuer, client_id = settings.oidc_issuer, settings.oidc_client_id
    elif settings.auth0_domain and settings.auth0_client_id:
        domain = settings.auth0_domain.strip().removeprefix("https://").strip("/")
        issuer, client_id = f"https://{domain}/", settings.auth0_client_id
    else:
        return None
    extra = tuple(s for s in settings.oidc_scopes.split() if s not in BASE_SCOPES)
    overrides = {name: value for name, value in (
        ("authorization_endpoint", settings.oidc_authorization_endpoint),
        ("token_endpoint", settings.oidc_token_endpoint),
        ("jwks_uri", settings.oidc_jwks_uri),
        ("userinfo_endpoint", settings.oidc_userinfo_endpoint),
        ("end_session_endpoint", settings.oidc_end_session_endpoint)) if value}
    return OidcClient(issuer=issuer, client_id=client_id, client_secret=settings.oidc_client_secret,
                      auth_method=settings.oidc_auth_method, scopes=BASE_SCOPES + extra,
                      overrides=overrides)


def redirect_path(settings: Settings) -> str:
    """The path of HOST the provider sends the browser back to. An Auth0 application made
    as the W&B Local guide says (AUTH0_DOMAIN) lists HOST itself as its callback."""
    if settings.oidc_redirect_path:
        return settings.oidc_redirect_path
    guide_auth0 = not settings.oidc_issuer and settings.auth0_domain
    return "/" if guide_auth0 else "/oidc/callback"


def after_logout_path(settings: Settings) -> str:
    """Where the provider sends the browser after signing out: HOST/logout next to a HOST
    callback (the guide's 'Allowed Logout URLs'), else /login."""
    return "/logout" if redirect_path(settings) == "/" else "/login"


class Discovery:
    """Fetches ISSUER/.well-known/openid-configuration, cached for a while per issuer."""

    def __init__(self, timeout: float = 10.0) -> None:
        self._cache: dict[str, tuple[float, dict[str, str]]] = {}
        self._lock = threading.Lock()
        self._timeout = timeout

    def document(self, issuer: str, *, fresh: bool = False) -> dict[str, str]:
        with self._lock:
            hit = self._cache.get(issuer)
        if hit and not fresh and time.monotonic() - hit[0] < DISCOVERY_TTL:
            return hit[1]
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        import httpx  # here, not at start: importing it is a tenth of a server's start

        try:
            response = httpx.get(url, timeout=self._timeout, follow_redirects=True)
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise Unavailable(Msg("the identity provider's discovery document at %(url)s could "
                                  "not be read: %(error)s", url=url, error=str(exc))) from None
        if not isinstance(document, dict):
            raise Unavailable(Msg("the discovery document at %(url)s is not a JSON object",
                                  url=url))
        with self._lock:
            self._cache[issuer] = (time.monotonic(), document)
        return document

    def endpoints(self, client: OidcClient) -> Endpoints:
        doc = {**self.document(client.issuer), **client.overrides}
        missing = [k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not doc.get(k)]
        if missing:
            raise Unavailable(Msg("the provider names no %(missing)s; set the "
                                  "WBSERVER_OIDC_*_ENDPOINT overrides", missing=", ".join(missing)))
        return Endpoints(issuer=str(doc.get("issuer") or client.issuer),
                         authorization=doc["authorization_endpoint"], token=doc["token_endpoint"],
                         jwks_uri=doc["jwks_uri"], userinfo=doc.get("userinfo_endpoint"),
                         end_session=doc.get("end_session_endpoint"))


def sso_blocked_reason(settings: Settings) -> str | None:
    """Why configured single sign-on may not be used, or None when it may."""
    from wbserver.domain.clock import utcnow
    from wbserver.licensing import license_state

    state = license_state(settings.license, settings.license_public_keys, utcnow())
    if state.has_feature("sso", utcnow()):
        return None
    return Msg("single sign-on needs a license with the 'sso' feature (%(license)s)",
               license=state.describe(utcnow()))


def probe(discovery: Discovery, current: Callable[[], Settings]) -> Callable[[Settings], None]:
    """A settings probe: changed single sign-on settings must be licensed and reach a real
    discovery document. A save that leaves them as they are, or only removes the client
    secret, is not checked, so an expired license or a provider outage never blocks saving
    other settings."""

    def check(settings: Settings) -> None:
        client, before = configured_client(settings), configured_client(current())
        if client is None or client in (before, before and replace(before, client_secret="")):
            return
        reason = sso_blocked_reason(settings)
        if reason:
            raise ConfigError(reason)
        try:
            discovery.document(client.issuer, fresh=True)
            discovery.endpoints(client)
        except Unavailable as exc:
            raise ConfigError(exc.message) from None

    return check
