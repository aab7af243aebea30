"""A real OpenID provider (npm oidc-provider, tests/services/oidc) and servers using it."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
from e2e.harness import Server, free_port, start_server

from wbserver.licensing import issue, keygen

PROVIDER_DIR = Path(__file__).resolve().parents[1] / "services" / "oidc"
CONFIDENTIAL = ("wbserver-confidential", "test-only-secret")
PUBLIC = "wbserver-public"


@dataclass
class Provider:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)


def start_provider(root: Path, *, server_port: int, groups: str = "",
                   host: str = "127.0.0.1", redirect_uri: str = "/oidc/callback",
                   logout_uri: str = "/login") -> Provider:
    """REDIRECT_URI, LOGOUT_URI: what the provider's application registers, after the
    server's http://127.0.0.1:PORT ("" : the server's address itself)."""
    node = shutil.which("node")
    assert node, "Node.js is required for the OpenID provider"
    assert (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir(), \
        f"run `npm ci` in {PROVIDER_DIR} (.ci/run does)"
    port = free_port()
    env = {"PATH": os.environ.get("PATH", ""), "PORT": str(port), "GROUPS": groups,
           "ISSUER_HOST": host,
           "REDIRECT_URIS": f"http://127.0.0.1:{server_port}{redirect_uri}",
           "POST_LOGOUT_URIS": f"http://127.0.0.1:{server_port}{logout_uri}"}
    root.mkdir(parents=True, exist_ok=True)
    log = root / "provider.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([node, "provider.mjs"], cwd=PROVIDER_DIR, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    provider = Provider(url=f"http://{host}:{port}", proc=proc, log=log)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(provider.url + "/.well-known/openid-configuration", timeout=1).status_code == 200:
                return provider
        except httpx.HTTPError:
            time.sleep(0.1)
    provider.stop()
    raise AssertionError(f"the OpenID provider did not start:\n{log.read_text()}")


def license_env(*, seats: int = 20, features: tuple[str, ...] = ("sso",)) -> dict[str, str]:
    private, public = keygen()
    token = issue(private, subject="sso-tests", seats=seats, teams=5, features=list(features),
                  expires_at=datetime.utcnow() + timedelta(days=30))
    return {"LICENSE": token, "WBSERVER_LICENSE_PUBLIC_KEYS": public}


@dataclass
class SsoSetup:
    server: Server
    provider: Provider


def sso_setup(root: Path, *, seats: int = 20, features: tuple[str, ...] = ("sso",),
              groups: str = "", client: str = "confidential",
              extra: dict[str, str] | None = None, provider_host: str = "127.0.0.1",
              registered: tuple[str, str] = ("/oidc/callback", "/login")) -> SsoSetup:
    """REGISTERED: the callback and logout paths the provider's application lists."""
    server_port = free_port()
    provider = start_provider(root / "provider", server_port=server_port, groups=groups,
                              host=provider_host, redirect_uri=registered[0],
                              logout_uri=registered[1])
    env = {**license_env(seats=seats, features=features), "OIDC_ISSUER": provider.url,
           "WBSERVER_OIDC_GROUPS_CLAIM": "groups", **(extra or {})}
    if client == "confidential":
        env.update(OIDC_CLIENT_ID=CONFIDENTIAL[0], OIDC_CLIENT_SECRET=CONFIDENTIAL[1])
    elif client == "implicit":
        env.update(OIDC_CLIENT_ID="wbserver-implicit", OIDC_AUTH_METHOD="implicit")
    else:
        env.update(OIDC_CLIENT_ID=PUBLIC)
    try:
        server = start_server(root / "server", extra_env=env, port=server_port)
    except BaseException:
        provider.stop()
        raise
    return SsoSetup(server=server, provider=provider)


@pytest.fixture
def sso(tmp_path: Path) -> Iterator[SsoSetup]:
    setup = sso_setup(tmp_path)
    yield setup
    setup.server.stop()
    setup.provider.stop()


# --------------------------------------------------------------------------- forms


def form_of(response: httpx.Response) -> tuple[str, dict[str, str]]:
    """The first form on a page: its absolute action and its hidden/preset inputs."""
    html = response.text
    match = re.search(r'<form[^>]*action="([^"]*)"', html)
    assert match, f"no form at {response.url}:\n{html[:1500]}"
    fields = {unescape(n): unescape(v) for n, v in
              re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html)}
    return urljoin(str(response.url), unescape(match.group(1))), fields


def submit(client: httpx.Client, response: httpx.Response, values: dict[str, str],
           **kwargs) -> httpx.Response:
    action, fields = form_of(response)
    return client.post(action, data={**fields, **values}, **kwargs)


def provider_sign_in(client: httpx.Client, start: httpx.Response, login: str,
                     back_to: str = "/oidc/callback") -> httpx.Response:
    """Answer the provider's development login and consent forms; returns the response
    whose redirect points back at wbserver's callback (not followed)."""
    page = start
    for _ in range(6):
        if "/interaction/" not in str(page.url):
            break
        if 'name="login"' in page.text:
            page = submit(client, page, {"login": login, "password": "anything"},
                          follow_redirects=False)
        else:
            page = submit(client, page, {}, follow_redirects=False)
        while page.is_redirect and back_to not in page.headers["location"]:
            page = client.get(urljoin(str(page.url), page.headers["location"]),
                              follow_redirects=False)
        if page.is_redirect:
            return page
    raise AssertionError(f"the provider's forms did not lead back: {page.url}\n{page.text[:800]}")


def begin(client: httpx.Client, server: Server) -> httpx.Response:
    """GET /oidc/login and follow to the provider's first interaction page."""
    response = client.get(server.url + "/oidc/login?next=/settings", follow_redirects=True)
    assert "/interaction/" in str(response.url), (response.url, response.text[:500])
    return response


def sign_in(client: httpx.Client, server: Server, login: str) -> httpx.Response:
    back = provider_sign_in(client, begin(client, server), login)
    return client.get(back.headers["location"], follow_redirects=False)
