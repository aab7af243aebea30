"""Slack through a local stand-in: the connect flow, alerts (once, with content and link),
notification choices, outages and rate limits (delayed, never lost), a revoked webhook, and
several processes never sending an item twice."""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import pytest
from notify.slack_standin import SlackStandIn
from starlette.testclient import TestClient

from wbserver.app import create_app
from wbserver.config.runtime import SettingsSource
from wbserver.domain.clock import utcnow
from wbserver.domain.users import create_api_key
from wbserver.notify.slack import slack_sender
from wbserver.passwords import hash_password
from wbserver.workers.outbox import KEEP_DAYS, OutboxWorker

ALERT = """mutation A($title: String!, $text: String!) { notifyScriptableRunAlert(input: {
  entityName: "alice", projectName: "proj", runName: "r1", title: $title, text: $text,
  severity: ERROR, waitDuration: 60000}) { success } }"""
UPSERT = """mutation U($name: String!) { upsertBucket(input: {name: $name, modelName: "proj",
  entityName: "alice", displayName: "nice run"}) { bucket { id } } }"""


@pytest.fixture
def slack():
    stand_in = SlackStandIn()
    yield stand_in
    stand_in.stop()


async def _delivered_by_the_tests(*_args, **_kwargs) -> None:
    """Stands in for the app's own outbox loop: these tests deliver with run_once."""


@pytest.fixture
def env(tmp_path, database, slack, monkeypatch):
    monkeypatch.setattr("wbserver.app.outbox_loop", _delivered_by_the_tests)
    app = create_app(SettingsSource(environ={**database, **slack.settings_env(),
                                             "HOST": "http://wb.example"},
                                    overrides={"data_dir": str(tmp_path / "data")}))
    store = app.state.services.store
    from wbserver.domain.users import create_user

    create_user(store, username="alice", email="alice@example.com", is_admin=True,
                password_hash=hash_password("alice password"))
    key = create_api_key(store, username="alice")
    with TestClient(app, follow_redirects=False) as client:
        yield app, client, key
    store.close()


def worker(app) -> OutboxWorker:
    svc = app.state.services
    return OutboxWorker(svc.store, senders={"slack": slack_sender(svc.store, svc.secrets.decrypt)})


def gql(client, key, query, **variables):
    response = client.post("/graphql", json={"query": query, "variables": variables},
                           auth=("api", key))
    assert response.status_code == 200, response.text
    return response.json()


def sign_in_and_connect(client: TestClient, slack: SlackStandIn) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert client.post("/login", data={"csrf_token": token, "username": "alice",
                                       "password": "alice password"}).status_code == 303
    settings = client.get("/settings").text
    assert 'id="connect-slack"' in settings
    to_slack = client.get("/slack/connect?entity=alice")
    assert to_slack.status_code == 303 and to_slack.headers["location"].startswith(slack.url)
    back = httpx.get(to_slack.headers["location"], follow_redirects=False)
    callback = urlsplit(back.headers["location"])
    assert callback.path == "/slack/callback"
    done = client.get(f"{callback.path}?{callback.query}")
    assert done.status_code == 303, done.text
    assert "connected to <strong>#alerts</strong> in Test Team" in client.get("/settings").text


def test_connect_then_an_alert_arrives_once_with_its_content_and_link(env, slack):
    app, client, key = env
    sign_in_and_connect(client, slack)
    gql(client, key, UPSERT, name="r1")
    for _ in range(2):  # the second is within waitDuration: suppressed
        assert gql(client, key, ALERT, title="Loss exploded", text="loss is NaN at step 7")
    assert worker(app).run_once() == 1
    assert len(slack.messages) == 1
    message = json.dumps(slack.messages[0])
    assert "ERROR: Loss exploded" in message and "loss is NaN at step 7" in message
    assert "<http://wb.example/alice/proj/runs/r1|nice run>" in message
    assert "alice/proj" in message
    assert worker(app).run_once() == 0 and len(slack.messages) == 1


def test_choices_decide_which_run_events_notify(env, slack):
    app, client, key = env
    sign_in_and_connect(client, slack)
    page = client.get("/settings").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/notifications", data={"csrf_token": token, "entity": "alice",
                                        "run_finished": "on", "alerts": "on"})
    for name, exit_code in (("good", 0), ("bad", 1)):
        gql(client, key, UPSERT, name=name)
        stream = client.post(f"/files/alice/proj/{name}/file_stream", auth=("api", key),
                             json={"complete": True, "exitcode": exit_code})
        assert stream.status_code == 200
    worker(app).run_once()
    assert len(slack.messages) == 1 and "Run nice run finished" in slack.texts()[0]


def test_outage_and_rate_limit_delay_but_do_not_lose(env, slack):
    app, client, key = env
    sign_in_and_connect(client, slack)
    gql(client, key, UPSERT, name="r1")
    gql(client, key, ALERT, title="t1", text="x")
    slack.plan.extend([(500, {}), (429, {"Retry-After": "1"})])
    sender = worker(app)
    assert sender.run_once() == 1 and slack.messages == []  # 500: retry in 1 s
    assert sender.run_once() == 0  # not due yet
    outbox = app.state.services.store.list_outbox()
    assert outbox[0]["attempts"] == 1 and "500" in outbox[0]["last_error"]
    deadline = time.monotonic() + 10
    while not slack.messages and time.monotonic() < deadline:
        sender.run_once()
        time.sleep(0.2)
    assert len(slack.messages) == 1 and slack.attempts == 3
    item = app.state.services.store.list_outbox()[0]
    assert item["sent_at"] is not None and item["attempts"] == 2


def test_delivered_and_failed_items_are_pruned_after_the_keep_days(env, slack):
    app, client, key = env
    sign_in_and_connect(client, slack)
    gql(client, key, UPSERT, name="r1")
    gql(client, key, ALERT, title="sent", text="x")
    gql(client, key, ALERT, title="failed", text="y")
    slack.plan.extend([(200, {}), (410, {})])
    worker(app).run_once()
    store = app.state.services.store
    assert [(i["sent_at"] is not None, i["failed_at"] is not None) for i in store.list_outbox()] \
        == [(True, False), (False, True)]
    store.enqueue(channel="slack", target="t", dedupe_key="pending", payload="{}", now=utcnow())
    now = utcnow()
    assert store.prune_outbox(before=now - timedelta(days=KEEP_DAYS)) == 0  # all younger
    assert store.prune_outbox(before=now + timedelta(seconds=1)) == 2
    assert [i["sent_at"] for i in store.list_outbox()] == [None]  # the pending one stays


def test_a_revoked_webhook_disables_the_connection_and_says_so(env, slack):
    app, client, key = env
    sign_in_and_connect(client, slack)
    gql(client, key, UPSERT, name="r1")
    gql(client, key, ALERT, title="t1", text="x")
    slack.plan.append((410, {}))
    worker(app).run_once()
    item = app.state.services.store.list_outbox()[0]
    assert item["failed_at"] is not None and "410" in item["last_error"]
    page = client.get("/settings").text
    assert "Slack stopped accepting messages for #alerts" in page
    assert 'id="connect-slack"' in page
    gql(client, key, ALERT, title="t2", text="y")  # a disabled connection gets nothing new
    assert len(app.state.services.store.list_outbox()) == 1


def test_two_processes_never_send_the_same_item_twice(env, slack):
    app, client, key = env
    sign_in_and_connect(client, slack)
    gql(client, key, UPSERT, name="r1")
    for i in range(12):
        gql(client, key, ALERT, title=f"alert {i}", text="x")
    workers = [worker(app), worker(app)]
    workers[1].owner = "another-process"
    threads = [threading.Thread(target=w.run_once) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(slack.texts()) == sorted(set(slack.texts())) and len(slack.messages) == 12


def test_connecting_needs_slack_settings_and_a_valid_state(env, slack):
    app, client, key = env
    sign_in_and_connect(client, slack)
    forged = client.get("/slack/callback?code=code0&state=bm90LXNpZ25lZA")
    assert forged.status_code == 401 and "not started here" in forged.text
