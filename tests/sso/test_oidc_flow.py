"""Signing in through a real OpenID provider with an HTTP client that answers its forms."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from e2e.harness import Client, section, user_view

from .conftest import begin, form_of, provider_sign_in, sign_in, sso_setup, submit


def viewer(server, key: str) -> dict:
    return httpx.post(server.url + "/graphql", auth=("api", key), json={
        "query": "{ viewer { username teams { edges { node { name } } } } }"}).json()["data"]["viewer"]


def new_key(client: httpx.Client, server) -> str:
    page = client.get(server.url + "/settings")
    action, fields = form_of(httpx.Response(200, text=page.text[page.text.index('action="/settings/keys"') - 30:],
                                            request=page.request))
    created = client.post(server.url + "/settings/keys", data={**fields, "name": "sso"})
    return re.search(r'<pre id="new-key-value">(local-\w{40})</pre>', created.text).group(1)


def test_first_sign_in_provisions_the_user_and_their_key_logs_a_run(tmp_path: Path) -> None:
    setup = sso_setup(tmp_path / "a", groups="lab,unknown-group")
    server = setup.server
    try:
        server.cli("teams", "create", "lab", "--owner", "alice")
        with httpx.Client() as browser:
            done = sign_in(browser, server, "carol")
            assert done.status_code == 303 and done.headers["location"] == "/settings"
            settings = browser.get(server.url + "/settings")
            assert settings.status_code == 200 and "carol" in settings.text
            key = new_key(browser, server)
        me = viewer(server, key)
        assert me["username"] == "carol"
        assert {e["node"]["name"] for e in me["teams"]["edges"]} == {"carol", "lab"}
        users = server.cli("users", "list").stdout
        assert re.search(r"^carol\tcarol@example.com\t$", users, re.M), users

        client = Client(server=server, root=tmp_path / "client", api_key=key)
        logged, _ = client.script("log_run.py", {"init": {"project": "sso-proj", "id": "ssorun1"},
                                                 "steps": 20})
        read = client.read_run({"run": "carol/sso-proj/ssorun1", "sections": ["attrs", "scan"]})
        assert section(read, "attrs")["state"] == "finished"
        assert [user_view(r) for r in section(read, "scan")] == \
            [{**row, "_step": i} for i, row in enumerate(logged["rows"])]

        # the same person signing in again is the same user, not a new one
        with httpx.Client() as browser:
            assert sign_in(browser, server, "carol").status_code == 303
        assert server.cli("users", "list").stdout.count("\ncarol\t") == 1
    finally:
        server.stop()
        setup.provider.stop()


def test_replayed_state_provider_errors_and_seat_limit(tmp_path: Path) -> None:
    setup = sso_setup(tmp_path / "b", seats=4)
    server = setup.server
    try:
        with httpx.Client() as browser:
            back = provider_sign_in(browser, begin(browser, server), "dave")
            callback = back.headers["location"]
            assert browser.get(callback).status_code == 303
            replay = browser.get(callback)
            assert replay.status_code == 401 and "already used" in replay.text
            assert "Traceback" not in replay.text

        denied = httpx.get(server.url + "/oidc/callback?error=access_denied"
                           "&error_description=the+user+said+no&state=x")
        assert denied.status_code == 401
        assert "did not sign you in: access_denied (the user said no)" in denied.text
        forged = httpx.get(server.url + "/oidc/callback?code=abc&state=never-issued")
        assert forged.status_code == 401 and "not started here" in forged.text

        for name in ("erin", "frank"):  # alice + dave + erin + frank = 4 seats
            with httpx.Client() as browser:
                assert sign_in(browser, server, name).status_code == 303
        with httpx.Client() as browser:
            refused = sign_in(browser, server, "grace")
        assert refused.status_code == 403
        assert "the license allows 4 active users" in refused.text
        assert "grace" not in server.cli("users", "list").stdout
    finally:
        server.stop()
        setup.provider.stop()


def test_logout_ends_both_sessions(tmp_path: Path) -> None:
    setup = sso_setup(tmp_path / "c")
    server = setup.server
    try:
        with httpx.Client() as browser:
            assert sign_in(browser, server, "heidi").status_code == 303
            settings = browser.get(server.url + "/settings")
            token = re.search(r'name="csrf_token" value="([^"]+)"', settings.text).group(1)
            out = browser.post(server.url + "/logout", data={"csrf_token": token})
            assert out.status_code == 303
            to_provider = out.headers["location"]
            assert to_provider.startswith(setup.provider.url + "/session/end")
            query = parse_qs(urlsplit(to_provider).query)
            assert query["post_logout_redirect_uri"] == [server.url + "/login"]
            confirm = browser.get(to_provider, follow_redirects=True)
            done = submit(browser, confirm, {"logout": "yes"}, follow_redirects=True)
            assert str(done.url).startswith(server.url + "/login")
            assert browser.get(server.url + "/settings").status_code == 303  # our session ended
            again = begin(browser, server)  # the provider asks for the login again
            assert 'name="login"' in again.text
    finally:
        server.stop()
        setup.provider.stop()


def test_without_an_sso_license_the_button_is_off_and_the_page_says_why(tmp_path: Path) -> None:
    setup = sso_setup(tmp_path / "d", features=())
    server = setup.server
    try:
        login = httpx.get(server.url + "/login")
        assert "sso-login" not in login.text
        assert "needs a license with the &#39;sso&#39; feature" in login.text
        refused = httpx.get(server.url + "/oidc/login")
        assert refused.status_code == 403 and "sso" in refused.text
        # saving SSO settings on the page is refused for the same reason
        changed = httpx.post(server.url + "/graphql", auth=("api", server.api_key), json={
            "query": 'mutation { updateServerSettings(input: {settings: [{name: "oidc_scopes", '
                     'value: "groups"}]}) { changed } }'})
        assert changed.status_code == 400, changed.text
        assert "needs a license with the 'sso' feature" in changed.json()["errors"][0]["message"]
    finally:
        server.stop()
        setup.provider.stop()

