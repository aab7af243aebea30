"""The real wandb client with BUCKET on S3 (moto; S3 -> SQS events), Azure (Azurite; the test
plays Event Grid) and GCS (emulator; internal:// finds the files itself): the client uploads
straight to the bucket, the queue marks each file uploaded, wandb.Api downloads the same bytes.
On every store also artifacts (their content upload URLs ask for Content-MD5, which S3 and
GCS sign): dedup, one changed file, use and download from a clean cache."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from emulators import (
    Emulators,
    azure_blob_service,
    azure_container,
    azure_queue,
    blob_created_message,
    gcs_bucket,
    gcs_client,
    s3_bucket,
    s3_client,
    sqs_queue_for,
)

from .harness import Client, Server, graphql, start_server, wait_for

PROJECT = "buckets"
NOTES = "saved next to the run\n" * 50
FILES = """query RunFiles($project: String!, $entity: String!, $name: String!) {
  project(name: $project, entityName: $entity) { run(name: $name) {
    files(names: [], first: 100) { edges { node { name sizeBytes md5 } } } } } }"""


class EventGridStandIn:
    """Azurite has no Event Grid: put a BlobCreated message on the queue for every new or
    changed blob, as an Event Grid subscription to the storage account would."""

    def __init__(self, emulators: Emulators, container: str, queue: Any) -> None:
        self._container = azure_blob_service(emulators).get_container_client(container)
        self._name, self._queue = container, queue
        self._seen: dict[str, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            for blob in self._container.list_blobs():
                if self._seen.get(blob.name) != blob.etag:
                    self._seen[blob.name] = blob.etag
                    self._queue.send_message(blob_created_message(self._name, blob.name,
                                                                  blob.size))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def _s3(emulators: Emulators) -> tuple[dict[str, str], Callable[[], dict[str, bytes]], Any]:
    bucket, env = s3_bucket(emulators)
    env.update(sqs_queue_for(emulators, bucket))
    s3 = s3_client(emulators)

    def listing() -> dict[str, bytes]:
        objects = s3.list_objects_v2(Bucket=bucket, Prefix="wb/").get("Contents", [])
        return {o["Key"][3:]: s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
                for o in objects}
    return env, listing, None


def _azure(emulators: Emulators) -> tuple[dict[str, str], Callable[[], dict[str, bytes]], Any]:
    container, env = azure_container(emulators)
    queue, queue_env = azure_queue(emulators)
    env.update(queue_env)
    client = azure_blob_service(emulators).get_container_client(container)

    def listing() -> dict[str, bytes]:
        return {b.name[3:]: client.download_blob(b.name).readall()
                for b in client.list_blobs(name_starts_with="wb/")}
    return env, listing, EventGridStandIn(emulators, container, queue)


def _gcs(emulators: Emulators) -> tuple[dict[str, str], Callable[[], dict[str, bytes]], Any]:
    bucket, env = gcs_bucket(emulators)
    env["BUCKET_QUEUE"] = "internal://"
    client = gcs_client(emulators)

    def listing() -> dict[str, bytes]:
        return {b.name[3:]: b.download_as_bytes()
                for b in client.list_blobs(bucket, prefix="wb/")}
    return env, listing, None


@pytest.fixture(params=["s3", "azure", "gcs"])
def bucket_server(request: pytest.FixtureRequest, emulators: Emulators,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Server, Any]]:
    env, listing, stand_in = {"s3": _s3, "azure": _azure, "gcs": _gcs}[request.param](emulators)
    env["WBSERVER_BUCKET_RECONCILE_INTERVAL"] = "0"  # only the queue may mark files uploaded
    server = start_server(tmp_path_factory.mktemp(f"bucket-{request.param}"), extra_env=env)
    try:
        yield request.param, server, listing
    finally:
        server.stop()
        if stand_in is not None:
            stand_in.stop()


def _recorded(server: Server, run_id: str) -> dict[str, dict[str, Any]]:
    run = graphql(server, FILES, {"project": PROJECT, "entity": "alice",
                                  "name": run_id})["project"]["run"]
    return {e["node"]["name"]: e["node"] for e in run["files"]["edges"]}


def test_run_files_go_through_the_bucket(bucket_server: tuple[str, Server, Any],
                                         tmp_path: Path) -> None:
    kind, server, listing = bucket_server
    client = Client(server=server, root=tmp_path / "client")
    out, _ = client.script("log_run.py", {
        "init": {"project": PROJECT, "id": f"{kind}run"}, "steps": 20, "console": True,
        "save": {"name": "notes.txt", "content": NOTES}})
    run_id = out["id"]

    in_bucket = wait_for(lambda: {k.split("/", 2)[2]: v for k, v in listing().items()
                                  if k.startswith("runs/") and "notes.txt" in k and v}
                         or None, timeout=60, what="notes.txt in the bucket")
    assert in_bucket == {"notes.txt": NOTES.encode()}
    stored = {k.split("/", 2)[2]: v for k, v in listing().items() if k.startswith("runs/")}
    assert {"notes.txt", "config.yaml", "wandb-summary.json"} <= set(stored), sorted(stored)
    assert not (server.data_dir / "files" / "runs").exists(), "bytes must not land locally"

    def all_recorded() -> dict[str, Any] | None:
        rows = _recorded(server, run_id)
        ready = {n for n, row in rows.items() if row["sizeBytes"] is not None}
        return rows if {"notes.txt", "config.yaml", "wandb-summary.json"} <= ready else None
    rows = wait_for(all_recorded, timeout=90, interval=1, what="the queue to mark the files")
    assert rows["notes.txt"]["sizeBytes"] == len(NOTES)

    downloaded, _ = Client(server=server, root=tmp_path / "reader").script(
        "download_files.py", {"run": f"alice/{PROJECT}/{run_id}"})
    for name in ("notes.txt", "config.yaml", "wandb-summary.json"):
        got = downloaded["files"][name]
        assert got["sha256"] == hashlib.sha256(stored[name]).hexdigest(), name
    assert downloaded["files"]["notes.txt"]["text"] == NOTES

    _artifacts_on_the_bucket(server, listing, tmp_path)


def _artifacts_on_the_bucket(server: Server, listing: Callable[[], dict[str, bytes]],
                             tmp_path: Path) -> None:
    v0_files = {"a.txt": "alpha\n", "sub/b.txt": "bravo\n"}
    v1_files = {"a.txt": "alpha\n", "sub/b.txt": "bravo, changed\n"}
    producer = Client(server=server, root=tmp_path / "producer")

    def log(run_id: str, files: dict[str, str]) -> dict[str, Any]:
        out, _ = producer.script("artifacts.py", {
            "action": "log", "init": {"project": PROJECT, "id": run_id}, "name": "data",
            "files": files})
        return out

    assert log("art0", v0_files)["version"] == "v0"
    content = {k for k in listing() if k.startswith("wandb_artifacts/md5/")}
    assert len(content) == 2 and len([k for k in listing() if "manifests/" in k]) == 1
    # a new install's layout: content under wandb_artifacts/, manifests outside it
    assert all(k.startswith("artifacts/manifests/") for k in listing() if "manifests/" in k)
    assert log("art1", v0_files)["version"] == "v0"  # identical: nothing uploaded
    assert {k for k in listing() if k.startswith("wandb_artifacts/md5/")} == content
    assert log("art2", v1_files)["version"] == "v1"
    assert len({k for k in listing() if k.startswith("wandb_artifacts/md5/")}) == 3
    for key, data in listing().items():
        if key.startswith("wandb_artifacts/md5/"):
            assert hashlib.md5(data).hexdigest() == key.rsplit("/", 1)[1]

    consumer = Client(server=server, root=tmp_path / "consumer")
    used, _ = consumer.script("artifacts.py", {
        "action": "use", "init": {"project": PROJECT, "id": "cons0"},
        "use": ["data:latest", "data:v0"]})
    assert used["used"]["data:latest"]["files"] == v1_files
    assert used["used"]["data:v0"]["files"] == v0_files
