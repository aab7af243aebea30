"""Reading the object-created notifications each provider sends (pure functions).

Each parser returns the events it found (test events and other event types give none) or
raises MalformedMessage with the reason.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import unquote, unquote_plus

from wbserver.ports import ObjectCreated
from wbserver.storage.streams import hex_md5


class MalformedMessage(ValueError):
    pass


def _json(text: str | bytes) -> Any:
    try:
        return json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedMessage(f"not JSON: {exc}") from None


def s3_events(body: str) -> list[ObjectCreated]:
    """An S3 event notification (also wrapped in an SNS envelope); s3:TestEvent gives []."""
    data = _json(body)
    if isinstance(data, dict) and data.get("Type") == "Notification" and "Message" in data:
        data = _json(data["Message"])  # S3 -> SNS -> SQS
    if not isinstance(data, dict):
        raise MalformedMessage("an S3 notification is a JSON object")
    if data.get("Event") == "s3:TestEvent":
        return []
    records = data.get("Records")
    if not isinstance(records, list):
        raise MalformedMessage("an S3 notification has a 'Records' list")
    events = []
    for record in records:
        try:
            name = str(record["eventName"])
            s3 = record["s3"]
            bucket = str(s3["bucket"]["name"])
            obj = s3["object"]
            key = unquote_plus(str(obj["key"]))
        except (KeyError, TypeError) as exc:
            raise MalformedMessage(f"an S3 record lacks {exc}") from None
        if not name.startswith("ObjectCreated"):
            continue
        size = obj.get("size")
        events.append(ObjectCreated(bucket=bucket, name=key,
                                    size=int(size) if isinstance(size, int) else None,
                                    md5_hex=hex_md5(obj.get("eTag") or obj.get("etag"))))
    return events


def event_grid_events(body: str | bytes) -> list[ObjectCreated]:
    """Event Grid BlobCreated events as a storage queue receives them (Base64 JSON by default,
    one event or a list; the Event Grid and CloudEvents schemas)."""
    text = body.decode() if isinstance(body, bytes) else body
    stripped = text.strip()
    if stripped and stripped[0] not in "[{":
        try:
            stripped = base64.b64decode(stripped, validate=True).decode()
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise MalformedMessage("neither JSON nor Base64-encoded JSON") from None
    data = _json(stripped)
    items = data if isinstance(data, list) else [data]
    events = []
    for item in items:
        if not isinstance(item, dict):
            raise MalformedMessage("an Event Grid event is a JSON object")
        kind = item.get("eventType") or item.get("type")
        if kind != "Microsoft.Storage.BlobCreated":
            continue
        subject = str(item.get("subject", ""))
        marker = "/containers/"
        if marker not in subject or "/blobs/" not in subject:
            raise MalformedMessage(f"a BlobCreated subject names no blob: {subject!r}")
        container, _, name = subject.split(marker, 1)[1].partition("/blobs/")
        data = item.get("data")
        payload = data if isinstance(data, dict) else {}
        size = payload.get("contentLength")
        events.append(ObjectCreated(bucket=container, name=unquote(name),
                                    size=int(size) if isinstance(size, int) else None,
                                    md5_hex=None))
    return events


def gcs_events(attributes: dict[str, str], data: bytes) -> list[ObjectCreated]:
    """A Cloud Storage Pub/Sub notification; only OBJECT_FINALIZE creates a file."""
    if attributes.get("eventType") != "OBJECT_FINALIZE":
        return []
    bucket, name = attributes.get("bucketId"), attributes.get("objectId")
    size = md5 = None
    if attributes.get("payloadFormat") == "JSON_API_V1" and data:
        obj = _json(data)
        if isinstance(obj, dict):
            bucket, name = bucket or obj.get("bucket"), name or obj.get("name")
            size = int(obj["size"]) if str(obj.get("size", "")).isdigit() else None
            md5 = hex_md5(obj.get("md5Hash"))
    if not bucket or not name:
        raise MalformedMessage("a GCS notification names no bucket or object")
    return [ObjectCreated(bucket=str(bucket), name=str(name), size=size, md5_hex=md5)]

