"""Connecting Slack from the settings page in Chromium, through the Slack stand-in."""

from __future__ import annotations

from e2e.harness import start_server
from notify.slack_standin import SlackStandIn


def test_connect_slack_from_the_settings_page(tmp_path, new_page):
    slack = SlackStandIn()
    server = start_server(tmp_path / "srv", extra_env=slack.settings_env())
    try:
        server.set_password("alice", "alice password")
        watched = new_page("slack")
        page = watched.page
        page.goto(server.url + "/login?next=/settings")
        page.fill("#username", "alice")
        page.fill("#password", "alice password")
        page.click("button:has-text('Sign in')")
        page.wait_for_url(server.url + "/settings")
        watched.shot("before")
        page.click("#connect-slack")
        page.wait_for_selector("text=connected to")
        assert "#alerts" in page.inner_text("#notifications")
        page.uncheck("input[name=alerts]")
        page.check("input[name=run_finished]")
        page.click("text=Save notification choices")
        page.wait_for_url(server.url + "/settings#notifications")
        assert not page.is_checked("input[name=alerts]")
        assert page.is_checked("input[name=run_finished]")
        watched.shot("connected")
        watched.forget()  # the stand-in's redirect page is not ours
        page.reload()
        watched.check_clean()
        page.click("text=Disconnect Slack")
        page.wait_for_selector("#connect-slack")
    finally:
        server.stop()
        slack.stop()
