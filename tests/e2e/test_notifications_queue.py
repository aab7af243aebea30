"""NOTIFICATIONS_QUEUE on SQS (moto) and an Azure queue (Azurite): real client runs produce
exactly the expected events, in order, each valid against the published schema."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from emulators import AZURE_ACCOUNT, AZURE_KEY, PUBSUB_EMULATOR, s3_client, unique

import wbserver
from e2e.harness import Client, start_server

SCHEMA = json.loads((Path(wbserver.__file__).parent / "notify" / "event.schema.json").read_text())


def sqs_target(emulators: Any) -> tuple[dict[str, str], Any]:
    sqs = s3_client(emulators, "sqs")
    name = unique("run-events")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    host = f"127.0.0.1:{emulators.moto.ports['main']}"

    def read() -> list[str]:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in got.get("Messages", []):
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return [m["Body"] for m in got.get("Messages", [])]

    return {"NOTIFICATIONS_QUEUE": f"sqs://AKTEST:test-secret@{host}/{name}",
            "AWS_REGION": "us-east-1"}, read


def azure_target(emulators: Any) -> tuple[dict[str, str], Any]:
    from azure.storage.queue import QueueClient

    name = unique("run-events")
    endpoint = f"{emulators.azurite.url('queue')}/{AZURE_ACCOUNT}"
    client = QueueClient(endpoint, name, credential={"account_name": AZURE_ACCOUNT,
                                                     "account_key": AZURE_KEY})
    client.create_queue()

    def read() -> list[str]:
        bodies = []
        for message in client.receive_messages(max_messages=32):
            bodies.append(message.content)
            client.delete_message(message)
        return bodies

    return {"NOTIFICATIONS_QUEUE": f"az://{AZURE_ACCOUNT}/{name}?endpoint={endpoint}",
            "AZURE_STORAGE_KEY": AZURE_KEY}, read


def pubsub_target(emulators: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, str], Any]:
    from google.cloud import pubsub_v1

    endpoint = f"127.0.0.1:{emulators.pubsub.ports['main']}"
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", endpoint)
    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    topic, sub = unique("run-events"), unique("reader")
    topic_path = publisher.topic_path("wbtest", topic)
    publisher.create_topic(request={"name": topic_path})
    sub_path = subscriber.subscription_path("wbtest", sub)
    subscriber.create_subscription(request={"name": sub_path, "topic": topic_path})

    def read() -> list[str]:
        got = subscriber.pull(request={"subscription": sub_path, "max_messages": 10},
                              timeout=10)
        if got.received_messages:
            subscriber.acknowledge(request={"subscription": sub_path, "ack_ids": [
                m.ack_id for m in got.received_messages]})
        return [m.message.data.decode() for m in got.received_messages]

    return {"NOTIFICATIONS_QUEUE": f"pubsub:/wbtest/{topic}?endpoint={endpoint}"}, read


# Pub/Sub runs where the gcloud emulator exists; tests/conftest.py says loudly when it does not.
KINDS = ["sqs", "azure"] + (["pubsub"] if PUBSUB_EMULATOR.exists() else [])


@pytest.mark.parametrize("kind", KINDS)
def test_runs_publish_their_events_in_order(kind: str, emulators: Any, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    if kind == "pubsub":
        env, read = pubsub_target(emulators, monkeypatch)
    else:
        env, read = (sqs_target if kind == "sqs" else azure_target)(emulators)
    server = start_server(tmp_path / "srv", extra_env=env)
    try:
        client = Client(server=server, root=tmp_path / "client")
        client.script("log_run.py", {"init": {"project": "events", "id": "good1"}, "steps": 3,
                                     "alert": {"title": "Heads up", "text": "step 2", "repeat": 2}})
        client.script("log_run.py", {"init": {"project": "events", "id": "bad1"}, "steps": 2,
                                     "fail": "boom"}, check=False)
        events: list[dict[str, Any]] = []
        deadline = time.monotonic() + 60
        while len(events) < 5 and time.monotonic() < deadline:
            events += [json.loads(body) for body in read()]
        time.sleep(2)  # nothing more may come
        events += [json.loads(body) for body in read()]
        for event in events:
            jsonschema.validate(event, SCHEMA)
        seen = [(e["run"]["id"], e["type"]) for e in events]
        assert seen == [("good1", "run_created"), ("good1", "alert"), ("good1", "run_finished"),
                        ("bad1", "run_created"), ("bad1", "run_failed")], seen
        finished = events[2]
        assert finished["run"]["state"] == "finished" and finished["run"]["exit_code"] == 0
        assert finished["run"]["url"] == f"{server.url}/alice/events/runs/good1"
        assert events[1]["alert"]["title"] == "Heads up"
        assert events[4]["run"]["exit_code"] == 1
        # the outbox names the setting, never the queue URI with its credentials (#18)
        with sqlite3.connect(server.data_dir / "wbserver.sqlite") as db:
            rows = db.execute("SELECT channel, target, last_error FROM outbox").fetchall()
        assert rows and {(r[0], r[1]) for r in rows} == {("queue", "NOTIFICATIONS_QUEUE")}
        assert not any("test-secret" in str(value) for row in rows for value in row)
    finally:
        server.stop()
