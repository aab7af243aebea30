"""First run, sign-in, API key, invite, and /system-admin in a real browser."""

from __future__ import annotations

import re
import subprocess

import httpx
from e2e.harness import PYTHON, Server, _wait_healthy, base_env, free_port, start_server

from .conftest import start_bare_server

VIEWER = {"query": "query { viewer { username } }"}


def test_first_run_key_and_invite(tmp_path, new_page):
    server = start_bare_server(tmp_path / "srv")
    try:
        admin = new_page("admin")
        page = admin.page
        page.goto(server.url + "/")
        assert page.url.endswith("/setup")
        admin.shot("setup")
        page.fill("#username", "root")
        page.fill("#email", "root@example.com")
        page.fill("#password", "correct horse")
        page.click("text=Create the admin account")
        page.wait_for_url("**/settings")
        page.fill("#key-name", "laptop")
        page.click("text=Create API key")
        key = page.inner_text("#new-key-value").strip()
        assert re.fullmatch(r"local-\w{40}", key), key
        admin.shot("new-key")
        viewer = httpx.post(server.url + "/graphql", json=VIEWER, auth=("api", key)).json()
        assert viewer == {"data": {"viewer": {"username": "root"}}}

        page.goto(server.url + "/system-admin/users")
        page.fill("#invite-email", "bob@example.com")
        page.click("text=Make an invite link")
        link = page.inner_text("#link-value").strip()
        assert "/invite/" in link
        admin.shot("invite")
        admin.check_clean()

        bob = new_page("bob")
        bob.page.goto(link)
        assert bob.page.input_value("#email") == "bob@example.com"
        bob.page.fill("#username", "bob")
        bob.page.fill("#password", "bobs password")
        bob.page.click("text=Create my account")
        bob.page.wait_for_url("**/settings")
        assert "bob" in bob.page.inner_text("header")
        bob.check_clean()
        response = bob.page.goto(server.url + "/system-admin")
        assert response is not None and response.status == 403
        assert "only site admins" in bob.page.inner_text("main")
        bob.shot("not-admin")
    finally:
        server.stop()


def test_admin_edits_a_setting_seen_by_a_second_process(tmp_path, new_page):
    server = start_server(tmp_path / "srv", extra_env={"WBSERVER_TRUSTED_PROXIES": "127.0.0.9"})
    second = None
    try:
        server.set_password("alice", "alice password")
        watched = new_page("admin")
        page = watched.page
        page.goto(server.url + "/login")
        page.fill("#username", "alice")
        page.fill("#password", "alice password")
        page.click("button:has-text('Sign in')")
        page.wait_for_url(server.url + "/")
        page.goto(server.url + "/system-admin")
        locked = page.locator('tr[data-setting="WBSERVER_TRUSTED_PROXIES"]')
        assert "locked: set by the environment variable" in locked.inner_text()
        assert locked.locator("input").count() == 0
        page.fill("#s-invite_hours", "7")
        page.click("text=Update settings")
        page.wait_for_selector("text=Saved 1 setting(s).")
        watched.shot("saved")
        watched.check_clean()

        second = start_bare_server(tmp_path / "second", data_dir=server.data_dir)
        settings = httpx.post(second.url + "/graphql", auth=("api", server.api_key), json={
            "query": "{ serverSettings { envVar value source } }"}).json()
        rows = {r["envVar"]: r for r in settings["data"]["serverSettings"]}
        assert rows["WBSERVER_INVITE_HOURS"] == {"envVar": "WBSERVER_INVITE_HOURS",
                                                 "value": "7", "source": "saved"}
        # a change made through the second process reaches the first without a restart
        changed = httpx.post(second.url + "/graphql", auth=("api", server.api_key), json={
            "query": 'mutation { updateServerSettings(input: {settings: [{name: "invite_hours", '
                     'value: "9"}]}) { changed } }'}).json()
        assert changed == {"data": {"updateServerSettings": {"changed": ["invite_hours"]}}}
        page.wait_for_timeout(2500)  # the first process re-reads saved settings every 2 s
        page.goto(server.url + "/system-admin")
        assert page.input_value("#s-invite_hours") == "9"
    finally:
        if second is not None:
            second.stop()
        server.stop()


def test_first_run_beyond_loopback_needs_the_link_from_the_log(tmp_path, new_page):
    """`serve --host 0.0.0.0`: the first visitor meets a refusal; the link in the log works."""
    root = tmp_path / "open"
    data_dir = root / "data"
    data_dir.mkdir(parents=True)
    env = {**base_env(root), "WBSERVER_DATA_DIR": str(data_dir)}
    port = free_port()
    log_path = root / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([PYTHON, "-m", "wbserver", "serve", "--host", "0.0.0.0",
                                 "--port", str(port), "--data-dir", str(data_dir)], env=env,
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    server = Server(data_dir=data_dir, port=port, proc=proc, log_path=log_path, env=env)
    try:
        _wait_healthy(server)
        found = re.search(r"/setup\?token=([\w-]+)", server.logs())
        assert found, server.logs()
        watched = new_page("open")
        page = watched.page
        refused = page.goto(server.url + "/")
        assert refused is not None and refused.status == 403 and page.url.endswith("/setup")
        assert "printed in the server's log" in page.inner_text("main")
        watched.forget()  # the refusal's 403 is the console error expected here
        page.goto(server.url + "/setup?token=" + found.group(1))
        page.fill("#username", "root")
        page.fill("#email", "root@example.com")
        page.fill("#password", "correct horse")
        page.click("text=Create the admin account")
        page.wait_for_url("**/settings")
        assert "root" in page.inner_text("header")
        watched.check_clean()
        # the link is spent: the page is gone for everybody, with or without it
        assert httpx.get(server.url + "/setup?token=" + found.group(1)).status_code == 303
    finally:
        server.stop()
