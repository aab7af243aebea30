"""An application registered as the W&B Local Auth0 guide says (callback: HOST itself;
logout URL: HOST/logout) works unchanged: the provider's answer is taken at /, and after
signing out the provider sends the browser to /logout."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx

from .conftest import begin, provider_sign_in, sso_setup, submit


def test_auth0_settings_default_to_the_guides_urls():
    from wbserver.config import Settings
    from wbserver.sso.provider import after_logout_path, redirect_path

    auth0 = Settings(auth0_domain="example.us.auth0.com", auth0_client_id="abc")
    assert (redirect_path(auth0), after_logout_path(auth0)) == ("/", "/logout")
    oidc = Settings(oidc_issuer="https://login.example.com", oidc_client_id="abc")
    assert (redirect_path(oidc), after_logout_path(oidc)) == ("/oidc/callback", "/login")
    chosen = Settings(auth0_domain="example.us.auth0.com", auth0_client_id="abc",
                      oidc_redirect_path="/oidc/callback")
    assert redirect_path(chosen) == "/oidc/callback"


def test_sign_in_and_out_with_the_callback_at_host(tmp_path: Path) -> None:
    # AUTH0_DOMAIN means https://; the local provider speaks http, so the same choice
    # (what AUTH0_DOMAIN selects by default) is made explicit here
    setup = sso_setup(tmp_path, registered=("", "/logout"),
                      extra={"WBSERVER_OIDC_REDIRECT_PATH": "/"})
    server = setup.server
    try:
        with httpx.Client() as browser:
            start = begin(browser, server)
            asked = parse_qs(urlsplit(start.history[0].headers["location"]).query)
            assert asked["redirect_uri"] == [server.url]  # exactly what the guide registers
            back = provider_sign_in(browser, start, "ivan", back_to=server.url + "/?")
            location = back.headers["location"]  # HOST itself (the URL's path is "/")
            assert location.startswith(server.url + "/?") and "code=" in location, location
            done = browser.get(location, follow_redirects=False)
            assert done.status_code == 303 and done.headers["location"] == "/settings", done.text
            settings = browser.get(server.url + "/settings")
            assert settings.status_code == 200 and "ivan" in settings.text

            token = re.search(r'name="csrf_token" value="([^"]+)"', settings.text).group(1)
            out = browser.post(server.url + "/logout", data={"csrf_token": token})
            query = parse_qs(urlsplit(out.headers["location"]).query)
            assert query["post_logout_redirect_uri"] == [server.url + "/logout"]
            confirm = browser.get(out.headers["location"], follow_redirects=True)
            done = submit(browser, confirm, {"logout": "yes"}, follow_redirects=True)
            assert str(done.url).startswith(server.url + "/login"), done.url
            assert browser.get(server.url + "/settings").status_code == 303  # signed out
        relay = httpx.post(server.url + "/", data={"state": "x", "id_token": "t"})
        assert relay.status_code == 200 and 'action="/"' in relay.text  # form_post, relayed
    finally:
        server.stop()
        setup.provider.stop()


def test_posting_to_root_is_refused_when_the_callback_is_oidc_callback(tmp_path: Path) -> None:
    setup = sso_setup(tmp_path)
    try:
        answer = httpx.post(setup.server.url + "/", data={"state": "x", "code": "y"})
        assert answer.status_code == 404
        home = httpx.get(setup.server.url + "/?state=x&code=y", follow_redirects=False)
        assert home.status_code in (302, 303) and "/login" in home.headers["location"]
    finally:
        setup.server.stop()
        setup.provider.stop()
