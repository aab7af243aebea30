"""Issue 23, storage side: a run file the client reports uploaded is recorded at once (a HEAD,
no waiting for the bucket's event); a bucket another install owns is refused at start, with
the prefix option named; /readyz, `storage check` and /system-admin report BUCKET_QUEUE."""

from __future__ import annotations

import hashlib
import json

import pytest
from api.conftest import Api
from emulators import s3_client, sqs_queue_for
from starlette.testclient import TestClient

from wbserver import cli
from wbserver.app import create_app
from wbserver.config.runtime import SettingsSource
from wbserver.domain.install_marker import MARKER_KEY
from wbserver.domain.users import create_api_key, create_user
from wbserver.errors import ConfigError

from .conftest import make_backend
from .test_event_queues import CREATE


def test_a_reported_upload_is_recorded_at_once(request, tmp_path, monkeypatch) -> None:
    """A real queue that never delivers (no bucket notification, reconciliation off): only
    the client's report can make the file visible, and it does, at once."""
    emulators = request.getfixturevalue("emulators")
    sqs = s3_client(emulators, "sqs")
    silent = "silent-" + tmp_path.name[-12:].replace("_", "-")
    sqs.create_queue(QueueName=silent)
    host = f"127.0.0.1:{emulators.moto.ports['main']}"
    made = make_backend("s3", request, tmp_path, monkeypatch, extra={
        "BUCKET_QUEUE": f"sqs://AKTEST:test-secret@{host}/{silent}",
        "WBSERVER_BUCKET_RECONCILE_INTERVAL": "0"})
    try:
        create_user(made.store, username="alice", email="alice@example.com", is_admin=False)
        api = Api(made.client, create_api_key(made.store, username="alice"))
        api.upsert("r1")
        created = api.gql(CREATE, entity="alice", project="proj", run="r1",
                          files=["a.txt", "late.txt"])["data"]["createRunFiles"]
        urls = {f["name"]: f["uploadUrl"] for f in created["files"]}
        assert made.http("PUT", urls["a.txt"], content=b"hello a").status_code == 200
        run_id = int(created["runID"]) if str(created["runID"]).isdigit() else \
            made.store.list_runs(made.store.get_project("alice", "proj").id)[0].id
        assert made.store.get_run_file(run_id, "a.txt").size_bytes is None
        # the client lists both as uploaded; late.txt's bytes are not in the bucket (yet)
        api.stream("r1", {"files": {}, "uploaded": ["a.txt", "late.txt"]})
        row = made.store.get_run_file(run_id, "a.txt")
        assert (row.size_bytes, row.md5, row.store) == (
            7, hashlib.md5(b"hello a").hexdigest(), made.blobs.name)
        assert made.store.get_run_file(run_id, "late.txt").size_bytes is None
        # reported again (the client repeats its list): recorded once, nothing changes
        api.stream("r1", {"files": {}, "uploaded": ["a.txt"]})
        again = made.store.get_run_file(run_id, "a.txt")
        assert (again.id, again.size_bytes, again.md5) == (row.id, row.size_bytes, row.md5)
        # and the file is readable through the API right away
        files = api.gql("""query F($e: String!, $p: String!, $r: String!) {
            project(name: $p, entityName: $e) { run(name: $r) {
              files(names: ["a.txt"]) { edges { node { name sizeBytes } } } } } }""",
                        e="alice", p="proj", r="r1")["data"]["project"]["run"]["files"]
        assert [e["node"] for e in files["edges"]] == [{"name": "a.txt", "sizeBytes": 7}]
    finally:
        made.store.close()


def test_a_bucket_of_another_install_is_refused(request, tmp_path, monkeypatch) -> None:
    made = make_backend("s3", request, tmp_path, monkeypatch)
    install = made.store.install_id()
    marker = json.loads(b"".join(made.blobs.current().open_read(MARKER_KEY)))
    assert marker["install_id"] == install
    made.store.close()
    # the same install (its database) starts again on its bucket
    again = create_app(SettingsSource(environ=made.env,
                                      overrides={"data_dir": str(tmp_path / "data")}))
    again.state.services.store.close()
    # another install (another database) on the same bucket and prefix: refused, saying how
    with pytest.raises(ConfigError) as caught:
        create_app(SettingsSource(environ=made.env,
                                  overrides={"data_dir": str(tmp_path / "other")}))
    message = caught.value.message
    assert "another wbserver install" in message and install in message
    assert "prefix" in message and "BUCKET=s3://my-bucket/PREFIX" in message
    assert "test-secret" not in message  # credentials are never echoed
    # the CLI says it in one line, exit code 2
    monkeypatch.setattr("sys.argv", ["wbserver"])
    for name, value in made.env.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["serve", "--data-dir", str(tmp_path / "other"), "--port", "9"]) == 2
    # with a prefix of its own, the other install starts
    other = create_app(SettingsSource(environ={**made.env, "BUCKET": made.env["BUCKET"] + "/b"},
                                      overrides={"data_dir": str(tmp_path / "other")}))
    other.state.services.store.close()


def test_queue_health_is_reported(request, tmp_path, monkeypatch, capsys) -> None:
    emulators = request.getfixturevalue("emulators")
    first = make_backend("s3", request, tmp_path, monkeypatch)
    first.store.close()
    host = f"127.0.0.1:{emulators.moto.ports['main']}"
    missing = {"BUCKET_QUEUE": f"sqs://AKTEST:test-secret@{host}/no-such-queue"}
    env = {**first.env, **missing}
    app = create_app(SettingsSource(environ=env, overrides={"data_dir": str(tmp_path / "data")}))
    try:
        with TestClient(app) as client:
            ready = client.get("/readyz")
            assert ready.status_code == 200, ready.text  # files still land: degraded, not down
            body = ready.json()
            assert "queue" in body["checked"] and "no-such-queue" in body["degraded"]["queue"]
            assert client.get("/healthz").json() == {"ok": True}
    finally:
        app.state.services.store.close()
    for name, value in {**env, "HOST": "https://wandb.example.com"}.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["storage", "check", "--data-dir", str(tmp_path / "data")]) == 1
    captured = capsys.readouterr()
    out = captured.out
    assert "BUCKET_QUEUE sqs://" in out, captured.err
    assert "test-secret" not in out and "does not answer" in out and "no-such-queue" in out
    # with a queue that exists, ready without `degraded`
    good = sqs_queue_for(emulators, first.bucket)
    app = create_app(SettingsSource(environ={**first.env, **good},
                                    overrides={"data_dir": str(tmp_path / "data")}))
    try:
        with TestClient(app) as client:
            assert client.get("/readyz").json() == {
                "ok": True, "checked": ["database", "storage", "queue"]}
    finally:
        app.state.services.store.close()
