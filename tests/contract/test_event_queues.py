"""The BUCKET_QUEUE contract over SQS (moto, real S3 -> SQS events), the Azure queue (Azurite;
the test plays Event Grid), internal:// and, where its emulator exists, Pub/Sub (the test plays
Cloud Storage). A landed file is recorded once; unknown keys, malformed messages and
duplicate deliveries change nothing."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from api.conftest import Api
from emulators import PUBSUB_EMULATOR, azure_queue, blob_created_message, sqs_queue_for, unique

from wbserver.domain.users import create_api_key, create_user
from wbserver.workers.bucket_events import handle_message

from .conftest import Backend, make_backend

CREATE = """mutation CreateRunFiles($entity: String!, $project: String!, $run: String!,
  $files: [String!]!) { createRunFiles(input: {entityName: $entity, projectName: $project,
  runName: $run, files: $files}) { runID uploadHeaders files { name uploadUrl } } }"""
QUEUE_KINDS = ["sqs", "azure", "internal"] + (["pubsub"] if PUBSUB_EMULATOR.exists() else [])


@dataclass
class Case:
    kind: str
    backend: Backend
    api: Api
    announce: Callable[[str, bytes], None]  # tell the queue an object landed (if needed)
    send_raw: Callable[[str], None] | None  # put an arbitrary message on the queue

    @property
    def queue(self) -> Any:
        return self.backend.app.state.services.queue()

    def upload(self, run: str, name: str, data: bytes) -> str:
        created = self.api.gql(CREATE, entity="alice", project="proj", run=run,
                               files=[name])["data"]["createRunFiles"]
        headers = dict(h.split(":", 1) for h in created["uploadHeaders"])
        put = self.backend.http("PUT", created["files"][0]["uploadUrl"], content=data,
                                headers=headers)
        assert put.status_code in (200, 201), put.text
        return name

    def drain(self, *, until: Callable[[list[str]], bool], timeout: float = 30) -> list[str]:
        """Receive and handle messages until `until(outcomes)`; returns every outcome."""
        outcomes: list[str] = []
        deadline = time.monotonic() + timeout
        while not until(outcomes):
            assert time.monotonic() < deadline, f"no such outcome in time: {outcomes}"
            for message in self.queue.receive(max_messages=10, wait_seconds=1):
                outcomes += handle_message(self.backend.store, self.backend.blobs, self.queue,
                                           message) or ["dropped"]
        return outcomes


def _pubsub(case_env: dict[str, str], emulators: Any, monkeypatch: pytest.MonkeyPatch):
    from google.cloud import pubsub_v1

    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", f"127.0.0.1:{emulators.pubsub.ports['main']}")
    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    topic, sub = unique("topic"), unique("sub")
    topic_path = publisher.topic_path("wbtest", topic)
    publisher.create_topic(request={"name": topic_path})
    subscriber.create_subscription(request={
        "name": subscriber.subscription_path("wbtest", sub), "topic": topic_path})
    endpoint = f"127.0.0.1:{emulators.pubsub.ports['main']}"
    case_env["BUCKET_QUEUE"] = f"pubsub:/wbtest/{topic}/{sub}?endpoint={endpoint}"

    def publish(data: bytes, **attributes: str) -> None:
        publisher.publish(topic_path, data, **attributes).result(timeout=30)
    return publish


@pytest.fixture(params=QUEUE_KINDS)
def case(request: pytest.FixtureRequest, tmp_path, monkeypatch) -> Iterator[Case]:
    kind = request.param
    emulators = request.getfixturevalue("emulators")
    extra: dict[str, str] = {}
    send_raw: Callable[[str], None] | None = None
    announce: Callable[[str, bytes], None]
    if kind == "sqs":
        store_kind = "s3"
    elif kind == "azure":
        store_kind = "azure"
        client, extra = azure_queue(emulators)
        send_raw = client.send_message
    elif kind == "internal":
        store_kind, extra = "s3", {"BUCKET_QUEUE": "internal://"}
    else:
        store_kind = "gcs"
        publish = _pubsub(extra, emulators, monkeypatch)
    backend = make_backend(store_kind, request, tmp_path, monkeypatch, extra=extra)
    if kind == "sqs":
        extra = sqs_queue_for(emulators, backend.bucket)
        backend.store.close()
        backend = make_backend_with(store_kind, request, tmp_path, monkeypatch, backend, extra)
        sqs = emulators_sqs(emulators)
        url = sqs.get_queue_url(QueueName=extra["BUCKET_QUEUE"].rsplit("/", 1)[1])["QueueUrl"]
        send_raw = lambda body: sqs.send_message(QueueUrl=url, MessageBody=body)  # noqa: E731
        announce = lambda key, data: None  # noqa: E731  (moto sends the S3 event itself)
    elif kind == "azure":
        announce = lambda key, data: send_raw(blob_created_message(  # noqa: E731
            backend.bucket, f"wb/{key}", len(data)))
    elif kind == "internal":
        announce = lambda key, data: backend.app.state.services.queue().notify([key])  # noqa: E731
    else:
        def announce(key: str, data: bytes) -> None:
            obj = {"bucket": backend.bucket, "name": f"wb/{key}", "size": str(len(data)),
                   "md5Hash": __import__("base64").b64encode(hashlib.md5(data).digest()).decode()}
            publish(json.dumps(obj).encode(), eventType="OBJECT_FINALIZE",
                    payloadFormat="JSON_API_V1", bucketId=backend.bucket, objectId=f"wb/{key}")
        send_raw = lambda body: publish(body.encode(), eventType="OBJECT_FINALIZE")  # noqa: E731
    store = backend.store
    create_user(store, username="alice", email="alice@example.com", is_admin=False)
    api = Api(backend.client, create_api_key(store, username="alice"))
    api.upsert("r1")
    yield Case(kind=kind, backend=backend, api=api, announce=announce, send_raw=send_raw)
    backend.store.close()


def make_backend_with(kind, request, tmp_path, monkeypatch, old: Backend, extra):  # noqa: ANN001, ANN201
    """The same bucket and database, now with its queue (SQS needs the bucket before the
    queue); the same data folder, so the same install: the bucket is marked as its own."""
    from starlette.testclient import TestClient

    from wbserver.app import create_app
    from wbserver.config.runtime import SettingsSource

    env = {**old.env, **extra}
    app = create_app(SettingsSource(environ=env, overrides={"data_dir": str(tmp_path / "data")}))
    return Backend(kind=kind, app=app, client=TestClient(app), bucket=old.bucket, env=env)


def emulators_sqs(emulators: Any) -> Any:
    from emulators import s3_client

    return s3_client(emulators, "sqs")


def _run_file(case: Case, name: str) -> Any:
    run = case.backend.store.list_runs(case.backend.store.get_project("alice", "proj").id)[0]
    return case.backend.store.get_run_file(run.id, name)


def _key(case: Case, name: str) -> str:
    run = case.backend.store.list_runs(case.backend.store.get_project("alice", "proj").id)[0]
    return f"runs/{run.id}/{name}"


def test_an_event_marks_the_file_uploaded_once(case: Case) -> None:
    data = b"landed through the bucket\n"
    case.upload("r1", "out/landed.txt", data)
    assert _run_file(case, "out/landed.txt").size_bytes is None  # nothing landed yet
    case.announce(_key(case, "out/landed.txt"), data)
    case.drain(until=lambda seen: "recorded" in seen)
    row = _run_file(case, "out/landed.txt")
    assert (row.size_bytes, row.md5) == (len(data), hashlib.md5(data).hexdigest())
    assert row.store == case.backend.blobs.name
    # the same event delivered again changes nothing
    case.announce(_key(case, "out/landed.txt"), data)
    if case.kind == "sqs":  # moto sent it once: deliver a copy as AWS may
        case.backend.blobs.write(_key(case, "out/landed.txt"), [data])
    outcomes = case.drain(until=lambda seen: "duplicate" in seen)
    assert "recorded" not in outcomes
    assert _run_file(case, "out/landed.txt") == row


def test_unknown_keys_and_malformed_messages_change_nothing(case: Case) -> None:
    blobs = case.backend.blobs
    blobs.write("runs/999999/ghost.txt", [b"boo"])  # no run asked for this file
    blobs.write("elsewhere.txt", [b"not ours"])
    case.announce("runs/999999/ghost.txt", b"boo")
    case.announce("elsewhere.txt", b"not ours")
    if case.send_raw is not None:
        case.send_raw("{this is not an event")
    wanted = 2 + (case.send_raw is not None)
    outcomes = case.drain(until=lambda seen: len(seen) >= wanted)
    assert "recorded" not in outcomes
    assert case.backend.store.get_run_file(999999, "ghost.txt") is None
    assert case.queue.receive(max_messages=10, wait_seconds=1) == []  # all acknowledged


def test_artifact_content_events_check_the_bytes(request, tmp_path, monkeypatch) -> None:
    from wbserver.domain.artifact_storage import content_key
    from wbserver.domain.bucket_events import object_created
    from wbserver.errors import InvalidInput

    made = make_backend("s3", request, tmp_path, monkeypatch)
    try:
        store, blobs = made.store, made.blobs
        layout = store.artifact_layout()
        good = hashlib.md5(b"content").hexdigest()
        blobs.write(content_key(good, layout), [b"content"])
        # an ETag that is not the MD5 (SSE-KMS) must not get good bytes deleted
        assert object_created(store, blobs, key=content_key(good, layout), size=7,
                              md5_hex="0" * 32) == "recorded"
        assert store.content_store(good) == blobs.name
        assert object_created(store, blobs, key=content_key(good, layout), size=7,
                              md5_hex=good) == "duplicate"
        other = hashlib.md5(b"expected").hexdigest()
        blobs.write(content_key(other, layout), [b"something else"])
        with pytest.raises(InvalidInput):
            object_created(store, blobs, key=content_key(other, layout), size=None, md5_hex=None)
        assert blobs.stat(content_key(other, layout)) is None and not store.stored_blobs([other])
    finally:
        made.store.close()
