"""The steps of docs/storage.md, as written there, against the emulators: the S3 CORS rule and
event notification (moto), the GCS CORS file (read back the way the GCS store reads it), the
Azure `az storage cors add` rule (Azurite); and the IAM policy grants every S3 and SQS call the
server makes. Each JSON block the page marks `<!-- test: NAME -->` is taken from the page."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from emulators import azure_blob_service, s3_client, unique

from wbserver.storage.cors import CorsRule, cors_problems, storage_report

from .conftest import make_backend

PAGE = Path(__file__).resolve().parents[2] / "docs" / "storage.md"
ORIGIN = "https://wandb.example.com"  # the page's HOST


def block(name: str) -> str:
    """The fenced block right after `<!-- test: NAME -->` on the page."""
    found = re.search(rf"<!-- test: {re.escape(name)} -->\n```\w*\n(.*?)\n```", PAGE.read_text(),
                      re.DOTALL)
    assert found, f"docs/storage.md has no block marked {name}"
    return found.group(1)


def test_the_s3_cors_rule_of_the_page_lets_browsers_on_host_in(request, tmp_path,
                                                               monkeypatch) -> None:
    made = make_backend("s3", request, tmp_path, monkeypatch)
    try:
        store = made.blobs.current()
        assert "no CORS rule allows" in storage_report(store, ORIGIN, proxied=False)[-1]
        s3_client(request.getfixturevalue("emulators")).put_bucket_cors(
            Bucket=made.bucket, CORSConfiguration=json.loads(block("s3-cors")))
        assert storage_report(store, ORIGIN, proxied=False)[-1] == (
            f"CORS: browsers on {ORIGIN} can GET, PUT and HEAD and see ETag")
    finally:
        made.store.close()


def test_the_s3_event_notification_of_the_page_reaches_the_queue(request, tmp_path,
                                                                 monkeypatch) -> None:
    """The page's notification configuration (its queue ARN and prefix made this bucket's)
    delivers an upload under BUCKET's prefix to the server's BUCKET_QUEUE consumer."""
    emulators = request.getfixturevalue("emulators")
    sqs = s3_client(emulators, "sqs")
    name = unique("events")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    policy = json.loads(json.loads(block("sqs-policy"))["Policy"])
    assert policy["Statement"][0]["Principal"] == {"Service": "s3.amazonaws.com"}
    assert policy["Statement"][0]["Action"] == "sqs:SendMessage"
    host = f"127.0.0.1:{emulators.moto.ports['main']}"
    made = make_backend("s3", request, tmp_path, monkeypatch, extra={
        "BUCKET_QUEUE": f"sqs://AKTEST:test-secret@{host}/{name}"})
    try:
        config = json.loads(block("s3-notification"))
        rule = config["QueueConfigurations"][0]
        rule["QueueArn"] = arn
        rule["Filter"]["Key"]["FilterRules"][0]["Value"] = "wb/"  # make_backend's prefix
        s3 = s3_client(emulators)
        s3.put_bucket_notification_configuration(Bucket=made.bucket,
                                                 NotificationConfiguration=config)
        s3.put_object(Bucket=made.bucket, Key="elsewhere/x.txt", Body=b"not ours")
        s3.put_object(Bucket=made.bucket, Key="wb/runs/1/output.log", Body=b"hello")
        queue = made.app.state.services.queue()
        events = [event for message in queue.receive(max_messages=10, wait_seconds=2)
                  for event in message.events]
        keys = [made.blobs.key_for(e.bucket, e.name) for e in events]
        assert "runs/1/output.log" in keys  # outside BUCKET's prefix: filtered, or no key
        assert set(keys) <= {"runs/1/output.log", None}
    finally:
        made.store.close()


def test_the_iam_policy_grants_every_call_the_server_makes() -> None:
    """Each boto3 call in the S3 store and the SQS queue maps to an action the policy allows."""
    needed = {"head_bucket": "s3:ListBucket", "get_object": "s3:GetObject",
              "head_object": "s3:GetObject", "upload_fileobj": "s3:PutObject",
              "put_object": "s3:PutObject", "delete_object": "s3:DeleteObject",
              "create_multipart_upload": "s3:PutObject", "upload_part": "s3:PutObject",
              "complete_multipart_upload": "s3:PutObject",
              "list_parts": "s3:ListMultipartUploadParts",
              "get_bucket_cors": "s3:GetBucketCORS", "put_bucket_cors": "s3:PutBucketCORS",
              "get_queue_url": "sqs:GetQueueUrl", "get_queue_attributes": "sqs:GetQueueAttributes",
              "receive_message": "sqs:ReceiveMessage", "delete_message": "sqs:DeleteMessage"}
    src = Path(__file__).resolve().parents[2] / "src" / "wbserver"
    calls: set[str] = set()
    for module in ("storage/s3.py", "queues/sqs.py"):
        text = (src / module).read_text()
        calls |= set(re.findall(r"client\.(\w+)\(", text))
        calls |= set(re.findall(r'generate_presigned_url\(\s*"(\w+)"', text))
        calls |= set(re.findall(r'get_paginator\("(\w+)"\)', text))
    calls -= {"generate_presigned_url", "get_paginator",
              "send_message"}  # NOTIFICATIONS_QUEUE only: the page says to add it
    assert calls, "no boto3 calls found: the pattern no longer matches the code"
    unknown = calls - set(needed)
    assert not unknown, f"calls the test does not know (add them to the page's policy): {unknown}"
    policy = json.loads(block("s3-iam-policy"))
    allowed = {action for statement in policy["Statement"] for action in statement["Action"]}
    assert {needed[call] for call in calls} <= allowed


def test_the_gcs_cors_file_of_the_page_lets_browsers_on_host_in() -> None:
    """Read the way GcsBlobStore.get_cors reads a bucket's cors list."""
    rules = [CorsRule(origins=tuple(r["origin"]), methods=tuple(r["method"]),
                      headers=tuple(r["responseHeader"]), expose=tuple(r["responseHeader"]),
                      max_age=int(r["maxAgeSeconds"])) for r in json.loads(block("gcs-cors"))]
    assert cors_problems(rules, ORIGIN) == []
    assert cors_problems(rules, "https://other.example.com") != []


def test_the_azure_cors_command_of_the_page_lets_browsers_on_host_in(request, tmp_path,
                                                                     monkeypatch) -> None:
    from azure.storage.blob import CorsRule as AzureCorsRule

    words = shlex.split(block("azure-cors").replace("\\\n", " "))
    assert words[:4] == ["az", "storage", "cors", "add"]
    options: dict[str, list[str]] = {}
    for word in words[4:]:
        if word.startswith("--"):
            current = options.setdefault(word[2:], [])
        else:
            current.append(word)
    assert options["services"] == ["b"]
    made = make_backend("azure", request, tmp_path, monkeypatch)
    try:
        store = made.blobs.current()
        rule = AzureCorsRule(options["origins"], options["methods"],
                             allowed_headers=options["allowed-headers"],
                             exposed_headers=options["exposed-headers"],
                             max_age_in_seconds=int(options["max-age"][0]))
        azure_blob_service(request.getfixturevalue("emulators")).set_service_properties(
            cors=[rule])
        assert cors_problems(store.get_cors(), ORIGIN) == []
    finally:
        made.blobs.current().set_cors([])
        made.store.close()
