"""Login CSRF (issue 18, item 5): a sign-in finishes only in the browser that started it. An
attacker who signs in at the provider as themselves and hands their callback link to someone
else must not get that person's browser signed in as the attacker."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from .conftest import begin, form_of, provider_sign_in, sso_setup


def attackers_callback(server, name: str = "mallory") -> str:
    """What an attacker gets by signing in as themselves and not following the last hop."""
    with httpx.Client() as attacker:
        back = provider_sign_in(attacker, begin(attacker, server), name)
    return back.headers["location"]


def signed_in_as(browser: httpx.Client, server) -> str | None:
    page = browser.get(server.url + "/settings")
    if page.status_code != 200:
        return None
    return re.search(r'<a href="/settings">([^<]+)</a>', page.text).group(1)


def test_an_attackers_callback_link_does_not_sign_the_victim_in(tmp_path: Path) -> None:
    setup = sso_setup(tmp_path / "a")
    server = setup.server
    try:
        link = attackers_callback(server)
        with httpx.Client() as victim:  # never started a sign-in
            opened = victim.get(link)
            assert opened.status_code == 401, opened.text[:300]
            assert "not started here in this browser" in opened.text
            assert "wbserver_session" not in opened.headers.get("set-cookie", "")
            assert signed_in_as(victim, server) is None

        link = attackers_callback(server)
        with httpx.Client() as victim:  # started their own sign-in, then clicked the link
            assert victim.get(server.url + "/oidc/login").status_code == 303
            assert victim.cookies.get("wbserver_oidc_state", path="/oidc")
            opened = victim.get(link)
            assert opened.status_code == 401
            assert signed_in_as(victim, server) is None
        assert "mallory" not in server.cli("users", "list").stdout
    finally:
        server.stop()
        setup.provider.stop()


def test_the_state_cookie_is_scoped_short_lived_and_spent(tmp_path: Path) -> None:
    setup = sso_setup(tmp_path / "b")
    server = setup.server
    try:
        with httpx.Client() as browser:
            started = browser.get(server.url + "/oidc/login?next=/settings")
            assert started.status_code == 303
            cookie = started.headers["set-cookie"]
            assert cookie.startswith("wbserver_oidc_state=")
            attributes = {a.strip().lower() for a in cookie.split(";")[1:]}
            assert {"httponly", "samesite=lax", "path=/oidc", "max-age=600"} <= attributes
            assert "secure" not in attributes  # HOST is http here
            state = re.search(r"[?&]state=([^&]+)", started.headers["location"]).group(1)
            assert cookie.split(";")[0] == f"wbserver_oidc_state={state}"

            back = provider_sign_in(browser, browser.get(started.headers["location"],
                                                         follow_redirects=True), "nina")
            done = browser.get(back.headers["location"])
            assert done.status_code == 303 and done.headers["location"] == "/settings"
            spent = [h for h in done.headers.get_list("set-cookie")
                     if h.startswith("wbserver_oidc_state=")]
            assert spent and "max-age=0" in spent[0].lower()
            assert "wbserver_oidc_state" not in browser.cookies
            assert signed_in_as(browser, server) == "nina"
    finally:
        server.stop()
        setup.provider.stop()


def test_a_cross_site_form_post_is_relayed_once_from_our_own_page(tmp_path: Path) -> None:
    setup = sso_setup(tmp_path / "i", client="implicit")
    server = setup.server
    try:
        with httpx.Client() as browser:
            page = begin(browser, server)
            for _ in range(4):  # login, then consent; the provider then POSTs back to us
                if "/interaction/" not in str(page.url):
                    break
                values = {"login": "olga", "password": "x"} if 'name="login"' in page.text else {}
                action, fields = form_of(page)
                page = browser.post(action, data={**fields, **values}, follow_redirects=True)
            action, answer = form_of(page)  # the provider's auto-submitting form_post page
            assert action == server.url + "/oidc/callback" and "id_token" in answer

            # a browser sends no SameSite=Lax cookie with a form posted from another site
            relay = httpx.post(action, data=answer)
            assert relay.status_code == 200, relay.text[:300]
            assert '<script src="/static/relay.js" defer></script>' in relay.text
            assert "<script>" not in relay.text and "onload" not in relay.text
            relay_action, relayed = form_of(relay)
            assert relay_action == action and relayed["relayed"] == "1"
            assert relayed["id_token"] == answer["id_token"]
            assert relayed["state"] == answer["state"]
            assert httpx.get(server.url + "/static/relay.js").status_code == 200

            # posted again without the cookie (another browser): refused, not relayed again
            again = httpx.post(action, data=relayed)
            assert again.status_code == 401 and "not started here" in again.text

            # posted from our own page, the browser that started it sends its cookie
            done = browser.post(relay_action, data=relayed)
            assert done.status_code == 303, done.text[:300]
            assert signed_in_as(browser, server) == "olga"
    finally:
        server.stop()
        setup.provider.stop()
