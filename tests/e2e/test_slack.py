"""Slack with the real client: connect through the stand-in, then wandb.alert (sent once
though raised twice), a finished, a failed and a crashed run reach the channel with links."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import httpx
from notify.slack_standin import SlackStandIn

from .harness import Client, Server, free_port, start_server, wait_for


def connect_slack(server: Server, slack: SlackStandIn) -> httpx.Client:
    server.set_password("alice", "alice password")
    browser = httpx.Client(base_url=server.url)
    page = browser.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    browser.post("/login", data={"csrf_token": token, "username": "alice",
                                 "password": "alice password"})
    done = browser.get("/slack/connect?entity=alice", follow_redirects=True)
    assert "connected to <strong>#alerts</strong>" in done.text, done.text[:2000]
    token = re.search(r'name="csrf_token" value="([^"]+)"', done.text).group(1)
    browser.post("/notifications", data={"csrf_token": token, "entity": "alice", "alerts": "on",
                                         "run_finished": "on", "run_failed": "on",
                                         "run_crashed": "on"})
    return browser


def test_alerts_and_run_states_reach_slack(tmp_path: Path) -> None:
    slack = SlackStandIn()
    port = free_port()  # HOST makes links absolute even in events no request carries (crashes)
    server = start_server(tmp_path / "srv", port=port, extra_env={
        **slack.settings_env(), "HOST": f"http://127.0.0.1:{port}",
        "WBSERVER_HEARTBEAT_TIMEOUT": "6", "WBSERVER_CRASH_CHECK_INTERVAL": "1"})
    try:
        connect_slack(server, slack).close()
        client = Client(server=server, root=tmp_path / "client")
        client.script("log_run.py", {"init": {"project": "slacky", "id": "alerting", "name": "alerting"},
                                     "steps": 5, "alert": {"title": "Loss spiked",
                                                           "text": "loss 9.5 at step 4", "repeat": 2}})
        _, failed = client.script("log_run.py", {"init": {"project": "slacky", "id": "failing"},
                                                 "steps": 2, "fail": "boom"}, check=False)
        assert failed.returncode != 0
        proc, _out = client.popen("log_run.py", {
            "init": {"project": "slacky", "id": "killed"}, "steps": 2, "ready_sleep": 600,
            "settings": {"heartbeat_seconds": 1, "x_file_stream_transmit_interval": 1}})
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                if "READY" in line:
                    break
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)

        wait_for(lambda: len(slack.messages) >= 4, timeout=60, interval=0.5,
                 what="four Slack messages")
        texts = slack.texts()
        alerts = [t for t in texts if "Loss spiked" in t]
        assert len(alerts) == 1, texts
        blocks = str(slack.messages[texts.index(alerts[0])])
        assert "loss 9.5 at step 4" in blocks
        assert f"<{server.url}/alice/slacky/runs/alerting|alerting>" in blocks
        assert any("Run alerting finished" in t for t in texts), texts
        bodies = [str(m) for m in slack.messages]
        assert any(" failed" in b and "/runs/failing|" in b for b in bodies), bodies
        assert any(" crashed" in b and "/runs/killed|" in b for b in bodies), bodies
        assert len(texts) == 4, texts
    finally:
        server.stop()
        slack.stop()
