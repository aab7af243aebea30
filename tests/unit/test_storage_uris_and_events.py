"""BUCKET / BUCKET_QUEUE URIs and the providers' event messages (no services needed)."""

from __future__ import annotations

import base64
import json

import pytest

from wbserver.backends import QUEUES, STORES, BackendEnv, shown_uri
from wbserver.errors import ConfigError
from wbserver.queues.events import (
    MalformedMessage,
    event_grid_events,
    gcs_events,
    s3_events,
)
from wbserver.storage.s3 import parse_s3_uri

ENV = BackendEnv(aws_region="us-east-1", azure_storage_key="a2V5")


def test_registry_names_the_setting_the_schemes_and_an_example() -> None:
    with pytest.raises(ConfigError) as caught:
        STORES.open("ftp://x/y", ENV)
    message = caught.value.message
    assert message.startswith("BUCKET='ftp://x/y' has an unknown scheme 'ftp'")
    assert "az://, file://, gs://, s3://" in message and "BUCKET=s3://my-bucket/wandb" in message
    with pytest.raises(ConfigError) as caught:
        QUEUES.open("kafka://q", ENV)
    assert "az://, internal://, pubsub://, sqs://" in caught.value.message


@pytest.mark.parametrize("uri, name", [
    ("s3://bkt", "s3://bkt"),
    ("s3://bkt/some/prefix", "s3://bkt/some/prefix"),
    ("s3://AK:S%2FK@minio.local:9000/bkt/p?tls=true", "s3://minio.local:9000/bkt/p"),
    ("gs://gbkt/p", "gs://gbkt/p"),
    ("az://acct/ctr/p?endpoint=http://127.0.0.1:1/acct", "az://acct/ctr/p"),
])
def test_store_names_carry_no_credentials(uri: str, name: str) -> None:
    assert STORES.open(uri, ENV).name == name


def test_s3_compatible_form() -> None:
    location = parse_s3_uri("s3://AK:S%2FK@minio.local:9000/bkt/p?tls=true")
    assert (location.endpoint, location.access_key, location.secret_key, location.bucket,
            location.prefix) == ("https://minio.local:9000", "AK", "S/K", "bkt", "p")
    assert parse_s3_uri("s3://AK:SK@127.0.0.1:5055/b").endpoint == "http://127.0.0.1:5055"
    assert shown_uri("s3://AK:SK@127.0.0.1:5055/b") == "s3://AK:***@127.0.0.1:5055/b"


@pytest.mark.parametrize("uri, problem", [
    ("s3://", "names no bucket"), ("s3://AK:SK@host", "names no bucket"),
    ("az://acct", "az://ACCOUNT/CONTAINER"), ("gs://", "gs://BUCKET"),
    ("file://relative", "file:///absolute/path"),
])
def test_bad_store_uris(uri: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        STORES.open(uri, ENV)
    assert problem in caught.value.message and "for example BUCKET=" in caught.value.message


def test_queue_uris() -> None:
    assert QUEUES.open("sqs://events", ENV).name == "sqs://events"
    assert QUEUES.open("sqs://AK:SK@127.0.0.1:5055/events", ENV).name == "sqs://events"
    assert QUEUES.open("pubsub:/proj/topic/sub", ENV).name == "pubsub:/proj/topic/sub"
    assert QUEUES.open("az://acct/q", ENV).name == "az://acct/q"
    assert QUEUES.open("internal://", ENV).name == "internal://"
    for bad in ("pubsub:/proj/topic", "az://acct", "sqs://"):
        with pytest.raises(ConfigError):
            QUEUES.open(bad, ENV)
    with pytest.raises(ConfigError, match="AZURE_STORAGE_KEY"):
        QUEUES.open("az://acct/q", BackendEnv())


def test_s3_events() -> None:
    assert s3_events(json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"})) == []
    record = {"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "b"}, "object": {
        "key": "wb%2Fruns%2F1%2Fa+b.txt", "size": 5, "eTag": "5d41402abc4b2a76b9719d911017c592"}}}
    body = json.dumps({"Records": [record, {**record, "eventName": "ObjectRemoved:Delete"}]})
    [event] = s3_events(body)
    assert (event.bucket, event.name, event.size, event.md5_hex) == (
        "b", "wb/runs/1/a b.txt", 5, "5d41402abc4b2a76b9719d911017c592")
    multipart = {**record, "s3": {**record["s3"], "object": {"key": "k", "size": 1,
                                                             "eTag": "abc-2"}}}
    assert s3_events(json.dumps({"Records": [multipart]}))[0].md5_hex is None
    sns = json.dumps({"Type": "Notification", "Message": body})
    assert len(s3_events(sns)) == 1
    for bad in ("not json", "[1]", json.dumps({"Records": [{"eventName": "x"}]})):
        with pytest.raises(MalformedMessage):
            s3_events(bad)


def test_event_grid_events() -> None:
    event = {"eventType": "Microsoft.Storage.BlobCreated",
             "subject": "/blobServices/default/containers/c/blobs/wb/runs/1/a%20b.txt",
             "data": {"contentLength": 3}}
    text = json.dumps(event)
    for body in (text, base64.b64encode(text.encode()).decode(), json.dumps([event])):
        [found] = event_grid_events(body)
        assert (found.bucket, found.name, found.size) == ("c", "wb/runs/1/a b.txt", 3)
    assert event_grid_events(json.dumps({**event, "eventType": "Microsoft.Storage.BlobDeleted"})) == []
    cloud = {"type": "Microsoft.Storage.BlobCreated", "subject": event["subject"], "data": {}}
    assert event_grid_events(json.dumps(cloud))[0].size is None
    for bad in ("%%%", json.dumps({**event, "subject": "/nothing"})):
        with pytest.raises(MalformedMessage):
            event_grid_events(bad)


def test_gcs_events() -> None:
    md5 = base64.b64encode(bytes.fromhex("5d41402abc4b2a76b9719d911017c592")).decode()
    data = json.dumps({"bucket": "g", "name": "wb/x", "size": "5", "md5Hash": md5}).encode()
    attributes = {"eventType": "OBJECT_FINALIZE", "payloadFormat": "JSON_API_V1",
                  "bucketId": "g", "objectId": "wb/x"}
    [event] = gcs_events(attributes, data)
    assert (event.bucket, event.name, event.size, event.md5_hex) == (
        "g", "wb/x", 5, "5d41402abc4b2a76b9719d911017c592")
    assert gcs_events({**attributes, "eventType": "OBJECT_DELETE"}, data) == []
    with pytest.raises(MalformedMessage):
        gcs_events({"eventType": "OBJECT_FINALIZE", "payloadFormat": "JSON_API_V1"}, b"{x")
