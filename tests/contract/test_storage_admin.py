"""CORS check/apply (`wbserver storage check|apply-cors`, the /system-admin report) and the
probe that refuses saving a BUCKET or BUCKET_QUEUE that does not answer."""

from __future__ import annotations

import httpx
import pytest
from emulators import azure_container, s3_bucket

from wbserver import cli
from wbserver.config.admin import save_changes
from wbserver.domain.clock import utcnow
from wbserver.errors import WbError
from wbserver.storage.cors import apply_cors, cors_problems, storage_report

from .conftest import make_backend

ORIGIN = "https://wandb.example.com"


@pytest.mark.parametrize("kind", ["s3", "azure"])
def test_cors_is_reported_then_applied(kind: str, request, tmp_path, monkeypatch) -> None:
    made = make_backend(kind, request, tmp_path, monkeypatch)
    try:
        store = made.blobs.current()
        before = storage_report(store, ORIGIN, proxied=False)
        assert before[0] == f"Files are stored in {store.name}."
        assert "no CORS rule allows the origin" in before[-1] or "do not allow" in before[-1]
        apply_cors(store, ORIGIN)
        assert cors_problems(store.get_cors(), ORIGIN) == []
        assert "can GET, PUT and HEAD and see ETag" in storage_report(store, ORIGIN,
                                                                      proxied=False)[-1]
        url, _ = made.blobs.upload_url("runs/1/x", base_url="http://testserver", expires_in=60)
        preflight = httpx.options(url, headers={"Origin": ORIGIN,
                                                "Access-Control-Request-Method": "PUT"})
        assert preflight.headers.get("access-control-allow-origin") in (ORIGIN, "*")
        assert "Clients reach the bytes through this server" in storage_report(
            store, ORIGIN, proxied=True)[-1]
    finally:
        made.store.close()


def test_storage_cli(request, tmp_path, monkeypatch, capsys) -> None:
    emulators = request.getfixturevalue("emulators")
    _bucket, env = s3_bucket(emulators)
    for name, value in {**env, "HOST": ORIGIN}.items():
        monkeypatch.setenv(name, value)
    data = ["--data-dir", str(tmp_path / "data")]
    assert cli.main(["storage", "check", *data]) == 1
    assert "no CORS rule allows the origin" in capsys.readouterr().out
    assert cli.main(["storage", "apply-cors", *data]) == 0
    assert "can GET, PUT and HEAD" in capsys.readouterr().out
    assert cli.main(["storage", "check", *data]) == 0
    out = capsys.readouterr().out
    assert "The store answers." in out and "BUCKET_QUEUE internal:// answers." in out


def test_saving_a_bucket_that_does_not_answer_is_refused(request, tmp_path,
                                                         monkeypatch) -> None:
    emulators = request.getfixturevalue("emulators")
    made = make_backend("local", request, tmp_path, monkeypatch)
    svc, probes = made.app.state.services, made.app.state.settings_probes
    good_bucket, good = s3_bucket(emulators)
    missing = good["BUCKET"].replace(good_bucket, "no-such-bucket")

    def save(**changes: str) -> list[str]:
        return save_changes(svc.store, svc.settings_source, changes=changes, actor_id=None,
                            now=utcnow(), encrypt=svc.secrets.encrypt, probes=probes)
    try:
        with pytest.raises(WbError) as caught:
            save(bucket=missing)
        assert "BUCKET=" in caught.value.message and "no-such-bucket" in caught.value.message
        assert "test-secret" not in caught.value.message  # credentials are never echoed
        with pytest.raises(WbError) as caught:
            save(bucket_queue="sqs://AKTEST:x@127.0.0.1:9/none")
        assert "BUCKET_QUEUE" in caught.value.message
        _container, azure = azure_container(emulators)
        with pytest.raises(WbError) as caught:
            save(bucket=azure["BUCKET"])  # no AZURE_STORAGE_KEY yet
        assert "AZURE_STORAGE_KEY" in caught.value.message
        assert save(bucket=good["BUCKET"]) == ["bucket"]
        assert svc.blobs.name == "s3://" + good["BUCKET"].split("@", 1)[1]
    finally:
        made.store.close()


def test_storage_check_on_the_local_disk_needs_no_host(tmp_path, monkeypatch, capsys) -> None:
    """No CORS rule is involved, so an empty HOST is no reason to fail (it used to stop with
    'HOST must be set ...')."""
    for name in ("HOST", "BUCKET", "BUCKET_QUEUE", "WBSERVER_STORAGE_PROXY"):
        monkeypatch.delenv(name, raising=False)
    assert cli.main(["storage", "check", "--data-dir", str(tmp_path / "data")]) == 0
    out = capsys.readouterr().out
    assert "Clients reach the bytes through this server: no CORS rule is needed." in out
    assert "BUCKET_QUEUE internal:// answers." in out
