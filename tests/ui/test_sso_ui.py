"""Single sign-on end to end in Chromium: our sign-in page, the provider's forms, back home."""

from __future__ import annotations

from sso.conftest import sso_setup


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
