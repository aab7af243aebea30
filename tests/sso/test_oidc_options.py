"""The less common single sign-on options against the real provider: the implicit flow with
form_post, provisioning turned off, break-glass passwords, endpoint overrides, and a provider
that is down."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from .conftest import begin, form_of, provider_sign_in, sign_in, sso_setup


def password_login(server, username: str, password: str) -> httpx.Response:
    with httpx.Client(base_url=server.url) as browser:
        page = browser.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        return browser.post("/login", data={"csrf_token": token, "username": username,
                                             "password": password})


def test_implicit_flow_with_form_post(tmp_path: Path) -> None:
    setup = sso_setup(tmp_path / "i", client="implicit")
    try:
        with httpx.Client() as browser:
            start = begin(browser, setup.server)
            page = start
            for _ in range(4):  # login, then consent; the provider then POSTs back to us
                if "/interaction/" not in str(page.url):
                    break
                values = {"login": "kim", "password": "x"} if 'name="login"' in page.text else {}
                page = _submit_follow(browser, page, values)
            action, fields = form_of(page)  # the provider's auto-submitting form_post page
            assert action.endswith("/oidc/callback") and "id_token" in fields
            done = browser.post(action, data=fields, follow_redirects=False)
            assert done.status_code == 303, done.text
            assert "kim" in browser.get(setup.server.url + "/settings").text
    finally:
        setup.server.stop()
        setup.provider.stop()


def _submit_follow(browser: httpx.Client, page: httpx.Response, values: dict) -> httpx.Response:
    action, fields = form_of(page)
    return browser.post(action, data={**fields, **values}, follow_redirects=True)


def test_provisioning_off_admits_only_existing_users(tmp_path: Path) -> None:
    setup = sso_setup(tmp_path / "p", extra={"WBSERVER_OIDC_PROVISION": "false"})
    server = setup.server
    try:
        with httpx.Client() as browser:
            refused = sign_in(browser, server, "newcomer")
        assert refused.status_code == 404 and "not created on sign-in" in refused.text
        server.create_user("lee", "lee@example.com")
        with httpx.Client() as browser:
            assert sign_in(browser, server, "lee").status_code == 303
    finally:
        server.stop()
        setup.provider.stop()


def test_break_glass_passwords_are_for_admins_and_can_be_turned_off(tmp_path: Path) -> None:
    setup = sso_setup(tmp_path / "b")
    server = setup.server
    try:
        for name, admin in (("root", True), ("max", False)):
            server.create_user(name, f"{name}@example.com", admin=admin)
            server.set_password(name, "a good password")
        assert password_login(server, "root", "a good password").status_code == 303
        user = password_login(server, "max", "a good password")
        assert user.status_code == 401 and "passwords are for site admins only" in user.text
    finally:
        server.stop()
        setup.provider.stop()
    setup = sso_setup(tmp_path / "b2", extra={"WBSERVER_BREAK_GLASS_LOGIN": "false"})
    try:
        page = httpx.get(setup.server.url + "/login").text
        assert 'id="sso-login"' in page and 'name="password"' not in page
    finally:
        setup.server.stop()
        setup.provider.stop()


def test_endpoint_overrides_are_used(tmp_path: Path) -> None:
    setup = sso_setup(tmp_path / "o", extra={
        "WBSERVER_OIDC_TOKEN_ENDPOINT": "http://127.0.0.1:9/token"})
    try:
        with httpx.Client() as browser:
            back = provider_sign_in(browser, begin(browser, setup.server), "ola")
            failed = browser.get(back.headers["location"])
        assert failed.status_code == 503
        assert "token endpoint could not be reached" in failed.text
        assert "Traceback" not in failed.text
    finally:
        setup.server.stop()
        setup.provider.stop()


def test_a_provider_that_is_down_gives_a_clear_page(tmp_path: Path) -> None:
    setup = sso_setup(tmp_path / "d")
    try:
        setup.provider.stop()
        page = httpx.get(setup.server.url + "/oidc/login")
        assert page.status_code == 503
        assert "discovery document" in page.text and "could not be read" in page.text
    finally:
        setup.server.stop()
