"""Browser flows in-process: first-run admin, sign-in with CSRF and throttling, API keys,
invites, resets, the seat limit, deactivation and revocation taking effect at once."""

import re
from datetime import datetime, timedelta

from starlette.testclient import TestClient

from wbserver.app import create_app
from wbserver.config.runtime import SettingsSource
from wbserver.licensing import issue, keygen

VIEWER = "query { viewer { username } }"


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def basic(key: str) -> dict[str, str]:
    import base64

    return {"Authorization": "Basic " + base64.b64encode(f"api:{key}".encode()).decode()}


def post_form(client, path: str, data: dict[str, str], *, page: str | None = None):
    token = csrf(client.get(page or path).text)
    return client.post(path, data={**data, "csrf_token": token})


def setup_admin(web) -> None:
    assert web.get("/").headers["location"] == "/setup"
    response = post_form(web, "/setup", {"username": "root", "email": "root@example.com",
                                         "password": "correct horse"})
    assert response.status_code == 303 and response.headers["location"] == "/settings"


def new_key(web, name: str = "laptop") -> str:
    response = post_form(web, "/settings/keys", {"name": name}, page="/settings")
    assert response.status_code == 200, response.text
    match = re.search(r'<pre id="new-key-value">(local-\w{40})</pre>', response.text)
    assert match, response.text
    return match.group(1)


def test_first_run_creates_the_admin_once_and_keys_work(web):
    setup_admin(web)
    key = new_key(web)
    assert web.post("/graphql", json={"query": VIEWER}, headers=basic(key)).json() == \
        {"data": {"viewer": {"username": "root"}}}
    assert web.get("/setup").headers["location"] == "/login"
    # the key is listed by prefix only, and revoking it stops it at once
    page = web.get("/settings").text
    assert key not in page and key[:10] in page
    key_id = re.search(r'/settings/keys/(\d+)/revoke', page).group(1)
    post_form(web, f"/settings/keys/{key_id}/revoke", {}, page="/settings")
    assert web.post("/graphql", json={"query": VIEWER}, headers=basic(key)).status_code == 401


def test_forms_without_the_csrf_token_are_refused(web):
    setup_admin(web)
    response = web.post("/settings/keys", data={"name": "x", "csrf_token": "forged"})
    assert response.status_code == 403
    assert "did not come from this site" in response.text
    response = web.post("/system-admin/settings", data={"host": "http://x"})
    assert response.status_code == 403


def test_sign_in_out_wrong_password_and_throttling(web):
    setup_admin(web)
    post_form(web, "/logout", {}, page="/settings")
    assert web.get("/settings").status_code == 303  # signed out: redirected to /login
    bad = post_form(web, "/login", {"username": "root", "password": "nope-nope"})
    assert bad.status_code == 401 and "wrong user name or password" in bad.text
    good = post_form(web, "/login", {"username": "root", "password": "correct horse", "next": "/settings"})
    assert good.status_code == 303 and good.headers["location"] == "/settings"
    cookie = good.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    post_form(web, "/logout", {}, page="/settings")
    for _ in range(9):
        post_form(web, "/login", {"username": "root", "password": "wrong password"})
    throttled = post_form(web, "/login", {"username": "root", "password": "correct horse"})
    assert throttled.status_code == 429 and "too many failed sign-ins" in throttled.text


def test_invite_link_is_single_use_and_seat_limit_holds(web):
    setup_admin(web)
    for name in ("u2", "u3"):
        response = post_form(web, "/system-admin/users", {
            "username": name, "email": f"{name}@example.com", "password": "password123"},
            page="/system-admin/users")
        assert response.status_code == 200 and f"Created {name}" in response.text
    response = post_form(web, "/system-admin/invites", {"email": "u4@example.com"},
                         page="/system-admin/users")
    link = re.search(r'<pre id="link-value">[^<]*(/invite/[\w-]+)</pre>', response.text).group(1)
    guest = TestClient(web.app, follow_redirects=False)
    page = guest.get(link)
    assert page.status_code == 200 and "u4@example.com" in page.text
    accepted = guest.post(link, data={"csrf_token": csrf(page.text), "username": "u4",
                                      "email": "u4@example.com", "password": "password123"})
    assert accepted.status_code == 303
    assert "u4" in guest.get("/settings").text
    again = guest.get(link)
    assert again.status_code == 404 and "already used" in again.text
    # a fifth active user is refused everywhere, with the way to lift the limit
    refused = post_form(web, "/system-admin/users", {
        "username": "u5", "email": "u5@example.com", "password": "password123"},
        page="/system-admin/users")
    assert refused.status_code == 400 and "at most 4 active users" in refused.text
    assert "LICENSE" in refused.text
    no_invite = post_form(web, "/system-admin/invites", {"email": "u5@example.com"},
                          page="/system-admin/users")
    assert no_invite.status_code >= 400 and "at most 4 active users" in no_invite.text
    assert "/invite/" not in no_invite.text
    # deactivating one frees a seat; re-activating it while full is refused
    post_form(web, "/system-admin/users/u2/deactivate", {}, page="/system-admin/users")
    post_form(web, "/system-admin/users", {"username": "u5", "email": "u5@example.com",
                                           "password": "password123"}, page="/system-admin/users")
    blocked = post_form(web, "/system-admin/users/u2/activate", {}, page="/system-admin/users")
    assert blocked.status_code == 400 and "at most 4 active users" in blocked.text


def test_deactivated_users_keys_and_sessions_stop_at_once(web):
    setup_admin(web)
    post_form(web, "/system-admin/users", {"username": "bob", "email": "b@example.com",
                                           "password": "password123"}, page="/system-admin/users")
    bob = TestClient(web.app, follow_redirects=False)
    post_form(bob, "/login", {"username": "bob", "password": "password123"})
    key = new_key(bob)
    assert bob.post("/graphql", json={"query": VIEWER}, headers=basic(key)).status_code == 200
    assert bob.get("/system-admin").status_code == 403
    post_form(web, "/system-admin/users/bob/deactivate", {}, page="/system-admin/users")
    assert bob.post("/graphql", json={"query": VIEWER}, headers=basic(key)).status_code == 401
    assert bob.get("/settings").status_code == 303
    # a reset link lets bob choose a new password once re-activated
    post_form(web, "/system-admin/users/bob/activate", {}, page="/system-admin/users")
    response = post_form(web, "/system-admin/users/bob/reset-link", {}, page="/system-admin/users")
    link = re.search(r'(/reset/[\w-]+)</pre>', response.text).group(1)
    page = bob.get(link)
    done = bob.post(link, data={"csrf_token": csrf(page.text), "password": "brand-new-pass"})
    assert done.status_code == 200 and "Password changed" in done.text
    assert post_form(bob, "/login", {"username": "bob", "password": "brand-new-pass"}).status_code == 303


def test_admin_page_locks_env_values_and_saves_others(tmp_path, database):
    environ = {**database, "WBSERVER_TRUSTED_PROXIES": "10.0.0.1"}
    app = create_app(SettingsSource(environ=environ, overrides={"data_dir": str(tmp_path / "d")}))
    with TestClient(app, follow_redirects=False) as web:
        setup_admin(web)
        page = web.get("/system-admin").text
        row = page[page.index('data-setting="WBSERVER_TRUSTED_PROXIES"'):][:900]
        assert "locked: set by the environment variable WBSERVER_TRUSTED_PROXIES" in row
        assert 'name="trusted_proxies"' not in row
        saved = post_form(web, "/system-admin/settings", {"invite_hours": "5"}, page="/system-admin")
        assert saved.status_code == 200 and "Saved 1 setting(s)" in saved.text
        assert app.state.services.settings.invite_hours == 5
        refused = post_form(web, "/system-admin/settings", {"invite_hours": "-3"}, page="/system-admin")
        assert refused.status_code == 400 and "WBSERVER_INVITE_HOURS" in refused.text
        assert app.state.services.settings.invite_hours == 5
        audit = web.get("/system-admin/audit").text
        assert "setting.update" in audit and "WBSERVER_INVITE_HOURS" in audit
    app.state.services.store.close()


def test_license_lifts_the_seat_limit_and_expiry_keeps_reads(tmp_path, database):
    private, public = keygen()
    future = issue(private, subject="acme", seats=10, teams=5, features=["sso"],
                   expires_at=datetime.utcnow() + timedelta(days=30))
    environ = {**database, "WBSERVER_LICENSE_PUBLIC_KEYS": public, "LICENSE": future}
    app = create_app(SettingsSource(environ=environ, overrides={"data_dir": str(tmp_path / "d")}))
    with TestClient(app, follow_redirects=False) as web:
        setup_admin(web)
        for i in range(6):
            ok = post_form(web, "/system-admin/users", {"username": f"p{i}", "email": f"p{i}@x.io",
                                                        "password": "password123"}, page="/system-admin/users")
            assert ok.status_code == 200, ok.text
        assert "licensed to acme" in web.get("/system-admin").text
    app.state.services.store.close()
    expired = issue(private, subject="acme", seats=10, teams=5, features=["sso"],
                    expires_at=datetime.utcnow() - timedelta(days=1))
    environ["LICENSE"] = expired
    app = create_app(SettingsSource(environ=environ, overrides={"data_dir": str(tmp_path / "d")}))
    with TestClient(app, follow_redirects=False) as web:
        post_form(web, "/login", {"username": "root", "password": "correct horse"})
        page = web.get("/system-admin").text
        assert "expired" in page and "stays readable" in page
        key = new_key(web)
        assert web.post("/graphql", json={"query": VIEWER}, headers=basic(key)).status_code == 200
        refused = post_form(web, "/system-admin/users", {"username": "late", "email": "l@x.io",
                                                         "password": "password123"}, page="/system-admin/users")
        assert refused.status_code == 400 and "at most 4 active users" in refused.text
    app.state.services.store.close()
