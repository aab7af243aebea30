"""Files that never get an event are found by the periodic look at the bucket; two consumer
processes on one queue record each file once; GCS says what signing lacks."""

from __future__ import annotations

import hashlib
import threading

import pytest
from api.conftest import Api
from emulators import sqs_queue_for

from wbserver.domain.bucket_events import reconcile_run_files
from wbserver.domain.users import create_api_key, create_user
from wbserver.errors import ConfigError
from wbserver.workers.bucket_events import handle_message

from .conftest import make_backend
from .test_event_queues import CREATE, make_backend_with


def _upload(api: Api, backend, names: list[str]) -> int:
    created = api.gql(CREATE, entity="alice", project="proj", run="r1",
                      files=names)["data"]["createRunFiles"]
    for item in created["files"]:
        put = backend.http("PUT", item["uploadUrl"], content=item["name"].encode())
        assert put.status_code == 200, put.text
    return int(backend.store.list_runs(backend.store.get_project("alice", "proj").id)[0].id)


def _api(backend) -> Api:
    create_user(backend.store, username="alice", email="alice@example.com", is_admin=False)
    api = Api(backend.client, create_api_key(backend.store, username="alice"))
    api.upsert("r1")
    return api


def test_reconciliation_finds_files_no_event_announced(request, tmp_path, monkeypatch) -> None:
    made = make_backend("s3", request, tmp_path, monkeypatch)  # internal://, nobody hints
    try:
        run_id = _upload(_api(made), made, ["a.txt", "never-uploaded.txt"])
        made.blobs.delete(f"runs/{run_id}/never-uploaded.txt")
        assert made.store.get_run_file(run_id, "a.txt").size_bytes is None
        assert reconcile_run_files(made.store, made.blobs, min_age=0, max_age=3600) == 1
        row = made.store.get_run_file(run_id, "a.txt")
        assert (row.size_bytes, row.md5, row.store) == (5, hashlib.md5(b"a.txt").hexdigest(),
                                                        made.blobs.name)
        assert made.store.get_run_file(run_id, "never-uploaded.txt").size_bytes is None
        assert reconcile_run_files(made.store, made.blobs, min_age=0, max_age=3600) == 0
    finally:
        made.store.close()


def test_two_consumers_on_one_queue(request, tmp_path, monkeypatch) -> None:
    emulators = request.getfixturevalue("emulators")
    first = make_backend("s3", request, tmp_path, monkeypatch)
    extra = sqs_queue_for(emulators, first.bucket)
    first.store.close()
    one = make_backend_with("s3", request, tmp_path, monkeypatch, first, extra)
    # a second server process: same database, same bucket, same queue
    two = make_backend_with("s3", request, tmp_path, monkeypatch, one, {})
    try:
        run_id = _upload(_api(one), one, [f"f{i}.txt" for i in range(8)])
        outcomes: list[str] = []
        errors: list[BaseException] = []

        def consume(backend) -> None:
            queue = backend.app.state.services.queue()
            try:
                for _ in range(6):
                    for message in queue.receive(max_messages=3, wait_seconds=1):
                        outcomes.extend(handle_message(backend.store, backend.blobs, queue,
                                                       message))
            except BaseException as exc:
                errors.append(exc)
        threads = [threading.Thread(target=consume, args=(b,)) for b in (one, two)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, errors
        assert outcomes.count("recorded") == 8, outcomes
        for i in range(8):
            assert one.store.get_run_file(run_id, f"f{i}.txt").size_bytes == len(f"f{i}.txt")
    finally:
        one.store.close()
        two.store.close()


def test_gcs_says_what_signing_lacks(request, tmp_path, monkeypatch) -> None:
    made = make_backend("gcs", request, tmp_path, monkeypatch)
    try:
        store = made.blobs.current()
        monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS")
        monkeypatch.setenv("NO_GCE_CHECK", "True")  # no metadata server here
        monkeypatch.setenv("HOME", str(tmp_path))  # no gcloud user credentials either
        monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
        store._signing = None
        with pytest.raises(ConfigError) as caught:
            store.upload_url("runs/1/a", base_url="", expires_in=60)
        assert "GOOGLE_APPLICATION_CREDENTIALS" in caught.value.message
    finally:
        made.store.close()
