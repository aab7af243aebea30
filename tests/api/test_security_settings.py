"""Security issue #18, item 11: /system-admin settings. A saved secret can be cleared; a pasted
LICENSE is verified; an unlicensed SSO configuration blocks only SSO changes, never the other
settings; SSO-created users get a password through a reset link; HOST is validated."""

from __future__ import annotations

import argparse
import io
import re
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
from starlette.testclient import TestClient

from wbserver import cli_accounts
from wbserver.app import create_app
from wbserver.config.runtime import SettingsSource
from wbserver.domain import sso
from wbserver.domain.clock import utcnow
from wbserver.domain.sessions import start_session
from wbserver.domain.users import create_user
from wbserver.errors import InvalidInput
from wbserver.licensing import issue, keygen
from wbserver.passwords import hash_password
from wbserver.web.session import SESSION_COOKIE

UPDATE = """mutation U($settings: [SettingValueInput!]!) {
  updateServerSettings(input: {settings: $settings}) { changed } }"""
ISSUER = "http://127.0.0.1:9/realms/main"  # nothing listens: a discovery fetch would fail


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


@pytest.fixture
def make_app(tmp_path, database):
    apps = []

    def make(environ: dict[str, str] | None = None):
        app = create_app(SettingsSource(environ={**database, **(environ or {})},
                                        overrides={"data_dir": str(tmp_path / "data")}))
        apps.append(app)
        return app
    yield make
    for app in apps:
        app.state.services.store.close()


def admin_client(app) -> TestClient:
    """A TestClient signed in as the site admin 'root' (a session made directly)."""
    store = app.state.services.store
    user = store.get_user_by_name("root") or create_user(
        store, username="root", email="root@example.com", is_admin=True,
        password_hash=hash_password("correct horse"))
    session = start_session(store, user=user, now=utcnow(), session_hours=1)
    client = TestClient(app, follow_redirects=False)
    client.cookies.set(SESSION_COOKIE, session.token)
    return client


def save_page(client: TestClient, fields: dict[str, str], clear: tuple[str, ...] = ()):
    token = csrf(client.get("/system-admin").text)
    data = {**fields, "csrf_token": token}
    if clear:
        data["clear"] = list(clear)  # type: ignore[assignment]
    return client.post("/system-admin/settings", data=data)


def shown(client: TestClient, env: str) -> tuple[str, str]:
    """(value shown, where it comes from) of a setting's row on /system-admin."""
    page = client.get("/system-admin").text
    row = re.search(rf'<tr data-setting="{env}">(.*?)</tr>', page, re.S)
    assert row, env
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    field = re.search(r'(?:placeholder|value)="([^"]*)"', cells[1])
    return (field.group(1) if field else cells[1].strip()), cells[2].strip()


def license_token(private: str, *, days: int, features: list[str] | None = None) -> str:
    return issue(private, subject="acme", seats=10, teams=3, features=features or [],
                 expires_at=datetime.utcnow() + timedelta(days=days))


# a saved secret can be cleared -----------------------------------------------------------

def test_a_saved_secret_is_cleared_with_its_checkbox_and_kept_when_left_empty(make_app,
                                                                             tmp_path):
    app = make_app()
    svc = app.state.services
    # saved earlier (when the queue answered): NOTIFICATIONS_QUEUE with its credentials
    svc.store.save_settings(
        {"notifications_queue": svc.secrets.encrypt("sqs://AK:SK@127.0.0.1:9/run-events")},
        user_id=None, now=utcnow(), audit=[])
    svc.settings_source.refresh()
    folder = tmp_path / "bucket"
    folder.mkdir()
    with admin_client(app) as client:
        saved = save_page(client, {"bucket": f"file://{folder}", "oidc_client_secret": "s3cret"})
        assert saved.status_code == 200, saved.text
        for env in ("NOTIFICATIONS_QUEUE", "BUCKET", "OIDC_CLIENT_SECRET"):
            assert shown(client, env)[1] == "saved"
        # the normal save: an empty secret field keeps the saved value
        kept = save_page(client, {"bucket": "", "oidc_client_secret": "",
                                  "notifications_queue": "", "invite_hours": "7"})
        assert kept.status_code == 200 and "Saved 1 setting(s)." in kept.text
        assert shown(client, "BUCKET")[1] == "saved"
        assert 'name="clear" value="bucket"' in kept.text  # the checkbox is on the page

        cleared = save_page(client, {"bucket": "", "oidc_client_secret": "",
                                     "notifications_queue": ""},
                            clear=("bucket", "oidc_client_secret", "notifications_queue"))
        assert cleared.status_code == 200, cleared.text
        assert "Saved 3 setting(s)." in cleared.text
        for env in ("NOTIFICATIONS_QUEUE", "BUCKET", "OIDC_CLIENT_SECRET"):
            assert shown(client, env) == ("not set — type to replace", "default")
        settings = svc.settings
        assert (settings.bucket, settings.notifications_queue, settings.oidc_client_secret) == (
            "", "", "")
        assert svc.blobs.current().name == "local"  # back to the data folder on disk
        audit = client.get("/system-admin/audit").text
        assert audit.count("setting.clear") == 3 and "s3cret" not in audit


def test_clear_refuses_a_new_value_at_the_same_time_and_settings_from_the_environment(
        make_app):
    app = make_app({"SLACK_SECRET": "0123456789abcdef0123456789abcdef"})
    with admin_client(app) as client:
        both = save_page(client, {"oidc_client_secret": "new"}, clear=("oidc_client_secret",))
        assert both.status_code == 400 and "both a new value and" in both.text
        locked = save_page(client, {}, clear=("slack_secret",))
        assert locked.status_code == 400
        assert "SLACK_SECRET cannot be changed here" in locked.text


def test_graphql_clears_a_saved_secret(make_app):
    app = make_app()
    with admin_client(app) as client:
        key_user = app.state.services.store.get_user_by_name("root")
        from wbserver.domain.users import create_api_key

        key = create_api_key(app.state.services.store, username=key_user.username)
        assert client.post("/graphql", auth=("api", key), json={"query": UPDATE, "variables": {
            "settings": [{"name": "oidc_client_secret", "value": "s3cret"}]}}).status_code == 200
        assert app.state.services.settings.oidc_client_secret == "s3cret"
        done = client.post("/graphql", auth=("api", key), json={"query": UPDATE, "variables": {
            "settings": [{"name": "oidc_client_secret", "clear": True}]}})
        assert done.json() == {"data": {"updateServerSettings": {
            "changed": ["oidc_client_secret"]}}}
        assert app.state.services.settings.oidc_client_secret == ""


# a pasted LICENSE is verified --------------------------------------------------------------

def test_a_license_pasted_on_the_page_is_verified_like_license_install(make_app):
    private, public = keygen()
    other_private, _ = keygen()
    app = make_app({"WBSERVER_LICENSE_PUBLIC_KEYS": public})
    with admin_client(app) as client:
        for token, message in (
                ("not-a-license", "license refused: not a license token"),
                (license_token(other_private, days=30), "license refused: the license "
                 "signature does not match any trusted key"),
                (license_token(private, days=30)[:-6] + "AAAAAA", "license refused: the "
                 "license signature does not match"),
                (license_token(private, days=-1), "license refused: license for acme expired")):
            refused = save_page(client, {"license": token})
            assert refused.status_code == 400, (token, refused.text[:300])
            assert message in refused.text
            assert app.state.services.settings.license == ""
        good = license_token(private, days=30)
        assert save_page(client, {"license": good}).status_code == 200
        assert app.state.services.settings.license == good
        assert "licensed to acme" in client.get("/system-admin").text


def test_license_install_refuses_an_expired_license_too(make_app, monkeypatch):
    private, public = keygen()
    svc = make_app({"WBSERVER_LICENSE_PUBLIC_KEYS": public}).state.services
    monkeypatch.setattr(sys, "stdin", io.StringIO(license_token(private, days=-1) + "\n"))
    with pytest.raises(InvalidInput, match="license refused: license for acme expired on"):
        cli_accounts.license_install(svc, argparse.Namespace())
    assert svc.settings.license == ""


# an unlicensed SSO configuration blocks only SSO changes -----------------------------------

def test_without_an_sso_license_other_settings_still_save(make_app):
    app = make_app({"OIDC_ISSUER": ISSUER, "OIDC_CLIENT_ID": "wbserver"})  # no license
    with admin_client(app) as client:
        saved = save_page(client, {"invite_hours": "9", "session_hours": "48",
                                   "host": "https://wandb.example.com"})
        assert saved.status_code == 200, saved.text
        assert "Saved 3 setting(s)." in saved.text
        assert app.state.services.settings.session_hours == 48
        # changing single sign-on itself still needs the license
        sso_change = save_page(client, {"oidc_client_secret": "s3cret"})
        assert sso_change.status_code == 400
        assert "single sign-on needs a license with the &#39;sso&#39; feature" in sso_change.text


def test_an_expired_license_with_saved_sso_does_not_lock_the_settings(make_app):
    private, public = keygen()
    app = make_app({"WBSERVER_LICENSE_PUBLIC_KEYS": public})
    svc = app.state.services
    # SSO saved while the license allowed it; the license has expired since
    svc.store.save_settings({
        "oidc_issuer": ISSUER, "oidc_client_id": "wbserver",
        "oidc_client_secret": svc.secrets.encrypt("old-secret"),
        "license": svc.secrets.encrypt(license_token(private, days=-3, features=["sso"]))},
        user_id=None, now=utcnow(), audit=[])
    svc.settings_source.refresh()
    with admin_client(app) as client:
        assert "expired on" in client.get("/system-admin").text
        saved = save_page(client, {"slack_client_id": "1111111111.2222222222",
                                   "session_hours": "12"})
        assert saved.status_code == 200, saved.text
        assert svc.settings.slack_client_id == "1111111111.2222222222"
        # the client secret can be removed without a license (nothing is turned on by it)
        assert save_page(client, {}, clear=("oidc_client_secret",)).status_code == 200
        assert svc.settings.oidc_client_secret == ""
        # but setting a new one changes single sign-on: that needs the license
        refused = save_page(client, {"oidc_client_secret": "new-secret"})
        assert refused.status_code == 400 and "needs a license" in refused.text
        renewed = license_token(private, days=30, features=["sso"])
        assert save_page(client, {"license": renewed}).status_code == 200  # no IdP needed
        # and SSO can be turned off entirely
        off = save_page(client, {"oidc_issuer": "", "oidc_client_id": ""})
        assert off.status_code == 200 and svc.settings.oidc_issuer == ""


# SSO-created users keep a way in ------------------------------------------------------------

def sso_user(app, name: str):
    svc = app.state.services
    return sso.user_for_claims(svc.store, issuer=ISSUER, claims={
        "sub": f"sub-{name}", "preferred_username": name, "email": f"{name}@example.com"},
        username_claim="preferred_username", provision=True, license=svc.license(),
        now=utcnow())


def sign_in(app, username: str, password: str) -> int:
    with TestClient(app, follow_redirects=False) as client:
        token = csrf(client.get("/login").text)
        return client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": token}).status_code


def test_an_sso_created_user_sets_a_password_from_an_admin_reset_link(make_app):
    app = make_app({"OIDC_ISSUER": ISSUER, "OIDC_CLIENT_ID": "wbserver"})  # SSO off: no license
    user = sso_user(app, "carol")
    assert app.state.services.store.get_password_hash("carol")[1] is None
    with admin_client(app) as admin:
        users_page = admin.get("/system-admin/users").text
        assert "Users it created have no password: make each of them a password reset link" \
            in users_page
        token = csrf(users_page)
        made = admin.post("/system-admin/users/carol/reset-link", data={"csrf_token": token})
        assert made.status_code == 200, made.text
        link = re.search(r'<pre id="link-value">https?://[^/]+(/reset/[^<]+)</pre>', made.text)
        assert link, made.text
    with TestClient(app, follow_redirects=False) as carol:
        page = carol.get(link.group(1))
        assert page.status_code == 200
        done = carol.post(link.group(1), data={"password": "carol's new pass",
                                               "csrf_token": csrf(page.text)})
        assert done.status_code == 200 and "Password changed" in done.text
    assert sign_in(app, "carol", "carol's new pass") == 303
    login_page = TestClient(app).get("/login").text
    assert "ask a site admin for a password reset link" in login_page
    assert user.id == app.state.services.store.get_user_by_name("carol").id


def test_an_sso_created_user_gets_a_password_from_the_cli(make_app, monkeypatch, capsys):
    app = make_app()
    svc = app.state.services
    create_user(svc.store, username="root", email="root@example.com", is_admin=True)
    sso_user(app, "dave")
    args = argparse.Namespace(name="dave", password_stdin=False)
    assert cli_accounts.users_reset_password(svc, args) == 0
    assert "/reset/" in capsys.readouterr().out
    monkeypatch.setattr(sys, "stdin", io.StringIO("dave's new pass\n"))
    args = argparse.Namespace(name="dave", password_stdin=True)
    assert cli_accounts.users_reset_password(svc, args) == 0
    assert sign_in(app, "dave", "dave's new pass") == 303


# HOST is validated ----------------------------------------------------------------------------

BAD_HOSTS = {
    "127.0.0.1:18106": "no http:// or https:// scheme (did you mean http://127.0.0.1:18106?)",
    "localhost:8080": "no http:// or https:// scheme",
    "ftp://wandb.example.com": "no http:// or https:// scheme",
    "https://": "names no host",
    "https://wandb.example.com/wandb": "may not have a path",
    "https://wandb.example.com/?x=1": "may not have a query",
    "https://wandb.example.com/#top": "may not have a query or fragment",
    "https://wandb.example.com:99999": "port is not a number",
    "https://user:pw@wandb.example.com": "user name or password",
}


def test_host_on_the_page_is_validated_with_a_clear_message(make_app):
    app = make_app()
    with admin_client(app) as client:
        for value, message in BAD_HOSTS.items():
            refused = save_page(client, {"host": value})
            assert refused.status_code == 400, value
            assert "HOST=" in refused.text and message in refused.text, (value, refused.text)
            assert app.state.services.settings.host == ""
        for value, kept in (("https://wandb.example.com/", "https://wandb.example.com"),
                            ("http://10.0.0.5:18106", "http://10.0.0.5:18106"),
                            ("http://[::1]:8080", "http://[::1]:8080")):
            assert save_page(client, {"host": value}).status_code == 200, value
            assert app.state.services.settings.host == kept


def test_host_from_the_environment_stops_serve_with_one_line_and_exit_2(tmp_path):
    served = subprocess.run(
        [sys.executable, "-m", "wbserver", "serve", "--port", "9", "--data-dir",
         str(tmp_path / "data")], env={"PATH": "/usr/bin:/bin", "HOST": "127.0.0.1:18106"},
        capture_output=True, text=True, timeout=60)
    assert served.returncode == 2, served.stderr
    lines = served.stderr.strip().splitlines()
    assert len(lines) == 1, served.stderr
    assert lines[0].startswith("wbserver: HOST='127.0.0.1:18106' is not valid: it names no "
                               "http:// or https:// scheme (did you mean "
                               "http://127.0.0.1:18106?)"), lines[0]


def test_a_saved_host_refused_today_is_ignored_alone(make_app, caplog):
    """A HOST saved before it was validated (e.g. 127.0.0.1:18106) must not make the server
    drop every saved setting (BUCKET...) at start: only that value is left out, and logged."""
    app = make_app()
    app.state.services.store.save_settings({"host": "127.0.0.1:18106", "invite_hours": "5"},
                                           user_id=None, now=utcnow(), audit=[])
    app.state.services.store.close()
    with caplog.at_level("ERROR", logger="wbserver.settings"):
        app = make_app()
    settings = app.state.services.settings
    assert (settings.host, settings.invite_hours) == ("", 5)
    assert "ignoring the saved HOST: HOST='127.0.0.1:18106' is not valid" in caplog.text
    with admin_client(app) as client:
        assert shown(client, "HOST") == ("", "default")
        assert save_page(client, {"host": "http://127.0.0.1:18106"}).status_code == 200
    assert app.state.services.settings.host == "http://127.0.0.1:18106"
