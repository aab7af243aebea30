"""Single sign-on end to end in Chromium: our sign-in page, the provider's forms, back home."""

from __future__ import annotations

import httpx
from sso.conftest import begin, provider_sign_in, sso_setup


def test_sso_sign_in_in_the_browser_with_a_public_pkce_client(tmp_path, new_page):
    setup = sso_setup(tmp_path / "sso", client="public")
    server = setup.server
    try:
        watched = new_page("sso")
        page = watched.page
        page.goto(server.url + "/login?next=/settings")
        watched.shot("login")
        watched.check_clean()
        page.click("#sso-login")
        page.wait_for_selector("input[name=login]")
        page.fill("input[name=login]", "judy")
        page.fill("input[name=password]", "anything")
        page.click("button[type=submit]")
        page.wait_for_selector("button[type=submit]")  # the consent form
        page.click("button[type=submit]")
        page.wait_for_url(server.url + "/settings")
        watched.forget()  # the development provider's own pages load web fonts; ours must not
        page.reload()
        assert "judy" in page.inner_text("header")
        watched.shot("signed-in")
        watched.check_clean()
    finally:
        server.stop()
        setup.provider.stop()


def test_an_attackers_callback_link_does_not_sign_the_victim_in(tmp_path, new_page):
    """Login CSRF: the attacker signs in at the provider as themselves, keeps the link back to
    wbserver and gets the victim to open it; the victim's browser must stay signed out."""
    setup = sso_setup(tmp_path / "csrf", client="public")
    server = setup.server
    try:
        with httpx.Client() as attacker:
            link = provider_sign_in(attacker, begin(attacker, server), "mallory").headers["location"]
        watched = new_page("victim")
        page = watched.page
        page.goto(server.url + "/login")
        opened = page.goto(link)
        assert opened is not None and opened.status == 401
        assert "not started here in this browser" in page.inner_text("main")
        watched.shot("refused")
        page.goto(server.url + "/settings")
        assert "/login" in page.url
        assert "mallory" not in page.inner_text("header")
        assert not [c for c in page.context.cookies() if c["name"] == "wbserver_session"]
    finally:
        server.stop()
        setup.provider.stop()


def test_implicit_form_post_from_another_site_is_relayed_and_signs_in(tmp_path, new_page):
    """The provider (localhost) is another site than wbserver (127.0.0.1): Chromium withholds
    the SameSite=Lax state cookie from its form_post, and our relay page posts it again."""
    setup = sso_setup(tmp_path / "implicit", client="implicit", provider_host="localhost")
    server = setup.server
    try:
        watched = new_page("implicit")
        page = watched.page
        posts: list = []
        page.on("request", lambda r: posts.append(r)
                if r.method == "POST" and r.url == server.url + "/oidc/callback" else None)
        page.goto(server.url + "/login?next=/settings")
        page.click("#sso-login")
        page.wait_for_selector("input[name=login]")
        page.fill("input[name=login]", "kate")
        page.fill("input[name=password]", "anything")
        page.click("button[type=submit]")
        page.wait_for_selector("button[type=submit]")  # the consent form
        page.click("button[type=submit]")
        page.wait_for_url(server.url + "/settings")
        cookies = [r.all_headers().get("cookie", "") for r in posts]
        assert len(cookies) == 2, cookies  # the provider's post, then our relay's
        assert "wbserver_oidc_state" not in cookies[0] and "wbserver_oidc_state" in cookies[1]
        watched.forget()
        page.reload()
        assert "kate" in page.inner_text("header")
        watched.check_clean()
    finally:
        server.stop()
        setup.provider.stop()
