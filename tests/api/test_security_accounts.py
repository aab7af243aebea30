"""Security of accounts (issue 18, items 6-8): /setup opens once and only with the setup token
beyond loopback, the last admin cannot be removed by accident, sign-in throttling is per user
name and address, and a GET of /logout signs nobody out."""

from __future__ import annotations

import logging
import re
import threading
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from wbserver.app import create_app
from wbserver.config.runtime import SettingsSource
from wbserver.domain import accounts
from wbserver.domain.clock import utcnow
from wbserver.domain.sessions import sign_in
from wbserver.passwords import hash_password, verify_password

from .test_cli_accounts import cli
from .test_web_accounts import csrf, post_form, setup_admin


def make_user(web, name: str, password: str = "password123", admin: bool = False) -> None:
    svc = web.app.state.services
    accounts.create_user(svc.store, username=name, email=f"{name}@example.com", is_admin=admin,
                         password_hash=hash_password(password), license=svc.license(),
                         now=utcnow())


def admins(web) -> list[str]:
    return sorted(u.username for u in web.app.state.services.store.list_users() if u.is_admin)


# --------------------------------------------------------------------------- /setup (item 6)


def test_the_cli_keeps_the_last_admin_and_setup_never_reopens(web, tmp_path, database):
    setup_admin(web)
    for args in (("users", "deactivate", "root"), ("users", "set-admin", "root", "--revoke")):
        refused = cli(tmp_path, *args, env=database)
        assert refused.returncode == 1, refused.stderr
        assert "root is the last active site admin" in refused.stderr
        assert "--force" in refused.stderr
    assert admins(web) == ["root"]
    assert web.app.state.services.store.count_admins() == 1

    forced = cli(tmp_path, "users", "deactivate", "root", "--force", env=database)
    assert forced.returncode == 0, forced.stderr
    assert "no active site admin is left" in forced.stderr
    assert "/setup does not open again" in forced.stderr
    assert web.app.state.services.store.count_admins() == 0

    stranger = TestClient(web.app, follow_redirects=False)
    assert stranger.get("/setup").headers["location"] == "/login"
    token = csrf(stranger.get("/login").text)
    taken = stranger.post("/setup", data={"csrf_token": token, "username": "mallory",
                                          "email": "m@example.com", "password": "password123"})
    assert taken.status_code == 303 and taken.headers["location"] == "/login"
    assert admins(web) == ["root"]
    assert web.app.state.services.store.get_user_by_name("mallory") is None

    # making an admin again from the command line brings the server back
    assert cli(tmp_path, "users", "activate", "root", env=database).returncode == 0
    assert web.app.state.services.store.count_admins() == 1


def test_the_admin_page_refuses_to_demote_the_last_admin(web):
    setup_admin(web)
    make_user(web, "second", admin=True)
    demoted = post_form(web, "/system-admin/users/second/revoke-admin", {},
                        page="/system-admin/users")
    assert demoted.status_code == 303
    refused = post_form(web, "/system-admin/users/root/revoke-admin", {},
                        page="/system-admin/users")
    assert refused.status_code == 400 and "last active site admin" in refused.text
    assert admins(web) == ["root"]


def test_six_concurrent_setup_posts_make_one_admin(web):
    clients = [TestClient(web.app, follow_redirects=False) for _ in range(6)]
    tokens = [csrf(c.get("/setup").text) for c in clients]
    start = threading.Barrier(len(clients))
    answers: list[object] = [None] * len(clients)

    def post(i: int) -> None:
        start.wait()
        answers[i] = clients[i].post("/setup", data={
            "csrf_token": tokens[i], "username": f"admin{i}", "email": f"a{i}@example.com",
            "password": "password123"})

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    made = [a for a in answers if a.status_code == 303 and a.headers["location"] == "/settings"]
    assert len(made) == 1, [(a.status_code, a.headers.get("location")) for a in answers]
    for other in answers:
        if other is not made[0]:
            assert (other.status_code, other.headers.get("location")) in {(303, "/login"),
                                                                          (403, None)}
    assert len(admins(web)) == 1
    assert len(web.app.state.services.store.list_users()) == 1


def test_beyond_loopback_setup_needs_the_token_from_the_log(tmp_path, database, caplog):
    caplog.set_level(logging.WARNING, logger="wbserver.setup")
    source = SettingsSource(environ={**database, "HOST": "https://wb.example.com"},
                            overrides={"data_dir": str(tmp_path / "data")})
    app = create_app(source, bind_host="0.0.0.0")
    try:
        logged = re.search(r"https://wb\.example\.com/setup\?token=([\w-]+)", caplog.text)
        assert logged, caplog.text
        token = logged.group(1)
        web = TestClient(app, base_url="https://wb.example.com", follow_redirects=False)
        assert web.get("/").headers["location"] == "/setup"
        bare = web.get("/setup")
        assert bare.status_code == 403 and "printed in the server&#39;s log" in bare.text
        assert web.get("/setup?token=not-it").status_code == 403
        form = web.cookies["wbserver_form"]  # the form token the refusal page handed out
        without = web.post("/setup", data={"csrf_token": form, "username": "mallory",
                                           "email": "m@example.com", "password": "password123"})
        assert without.status_code == 403
        wrong = web.post("/setup", data={"csrf_token": form, "setup_token": token[:-2] + "xx",
                                         "username": "mallory", "email": "m@example.com",
                                         "password": "password123"})
        assert wrong.status_code == 403
        assert app.state.services.store.list_users() == []

        page = web.get(f"/setup?token={token}")
        assert page.status_code == 200 and f'name="setup_token" value="{token}"' in page.text
        made = web.post("/setup", data={"csrf_token": csrf(page.text), "setup_token": token,
                                        "username": "root", "email": "root@example.com",
                                        "password": "correct horse"})
        assert made.status_code == 303 and made.headers["location"] == "/settings"
        assert web.get(f"/setup?token={token}").headers["location"] == "/login"
    finally:
        app.state.services.store.close()
    caplog.clear()
    again = create_app(source, bind_host="0.0.0.0")  # an admin exists: nothing is printed
    again.state.services.store.close()
    assert "token=" not in caplog.text


def test_which_addresses_are_loopback():
    from wbserver.app import is_loopback

    assert all(map(is_loopback, ("127.0.0.1", "127.8.0.1", "::1", "[::1]", "localhost")))
    assert not any(map(is_loopback, ("0.0.0.0", "::", "10.1.2.3", "wb.example.com", None)))


def test_an_upgraded_database_that_had_an_admin_keeps_setup_closed(web, tmp_path, database):
    from alembic import command
    from alembic.config import Config

    from wbserver.metadata.engine import MIGRATIONS_DIR

    setup_admin(web)
    assert cli(tmp_path, "users", "deactivate", "root", "--force", env=database).returncode == 0
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    engine = web.app.state.services.store.engine
    with engine.connect() as connection:  # back to before the mark existed, then up again
        config.attributes["connection"] = connection
        command.downgrade(config, "0010")
        command.upgrade(config, "head")
    assert web.get("/setup").headers["location"] == "/login"
    assert not accounts.needs_first_admin(web.app.state.services.store)


# --------------------------------------------------------------------------- sign-in throttling (item 7)


def test_bad_passwords_for_one_name_do_not_lock_out_the_office(web):
    setup_admin(web)
    post_form(web, "/logout", {}, page="/settings")
    for name in ("alice", "bob"):
        make_user(web, name)
    office = TestClient(web.app, follow_redirects=False)  # same address as everyone below
    for attempt in range(10):
        bad = post_form(office, "/login", {"username": "alice", "password": f"guess-{attempt}"})
        assert bad.status_code == 401, (attempt, bad.status_code)
    held = post_form(office, "/login", {"username": "alice", "password": "guess-again"})
    assert held.status_code == 429 and "too many failed sign-ins" in held.text
    assert 25 <= int(held.headers["retry-after"]) <= 30
    # the right password of alice waits too: a guesser may not learn it now
    assert post_form(office, "/login", {"username": "alice",
                                        "password": "password123"}).status_code == 429
    # everybody else behind the same address signs in as usual
    for name, password in (("bob", "password123"), ("root", "correct horse")):
        colleague = TestClient(web.app, follow_redirects=False)
        ok = post_form(colleague, "/login", {"username": name, "password": password})
        assert ok.status_code == 303, (name, ok.status_code, ok.text[:300])


def test_the_wait_doubles_per_name_and_address_and_lives_in_the_database(web):
    from wbserver.domain.sessions import TooManyTries

    store = web.app.state.services.store
    make_user(web, "carol", "carol-password")
    t0 = utcnow()

    def attempt(password: str, *, at: float, remote: str = "10.0.0.7"):
        return sign_in(store, username="carol", password=password, remote=remote,
                       verify=verify_password, now=t0 + timedelta(seconds=at),
                       max_failures=3, session_hours=1)

    def wait_of(password: str, *, at: float, remote: str = "10.0.0.7") -> int:
        with pytest.raises(TooManyTries) as refused:
            attempt(password, at=at, remote=remote)
        return refused.value.retry_after

    for i in range(3):
        with pytest.raises(Exception, match="wrong user name or password"):
            attempt("nope", at=i)
    assert wait_of("carol-password", at=12) == 20  # 30 s after the third failure (at 2 s)
    with pytest.raises(Exception, match="wrong user name or password"):
        attempt("nope", at=33)
    assert wait_of("nope", at=34) == 59  # then 60 s
    with pytest.raises(Exception, match="wrong user name or password"):
        attempt("nope", at=94)
    assert wait_of("nope", at=95) == 119  # then 120 s
    assert attempt("carol-password", at=95, remote="10.0.0.8").user.username == "carol"
    assert attempt("carol-password", at=215).user.username == "carol"
    # another process with its own store object sees the same failures
    other = create_app(web.app.state.services.settings_source)
    try:
        failures, _last = other.state.services.store.login_failures(
            username="carol", remote="10.0.0.7", since=t0 - timedelta(minutes=1))
        assert failures == 5
    finally:
        other.state.services.store.close()


# --------------------------------------------------------------------------- logout (item 8)


def test_a_get_of_logout_signs_nobody_out(web):
    setup_admin(web)
    page = web.get("/logout")
    assert page.status_code == 200 and 'action="/logout"' in page.text
    assert "wbserver_session" not in page.headers.get("set-cookie", "")
    assert web.get("/settings").status_code == 200
    forged = web.post("/logout", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    assert web.get("/settings").status_code == 200
    out = post_form(web, "/logout", {}, page="/settings")
    assert out.status_code == 303
    assert web.get("/settings").status_code == 303
    assert web.get("/logout").headers["location"] == "/login"
