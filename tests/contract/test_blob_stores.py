"""The BlobStore contract, on the local disk, S3 (moto), Azure (Azurite) and GCS (emulator),
through the store the server really uses (BUCKET -> the router -> the backend)."""

from __future__ import annotations

import hashlib
import os

import pytest

from wbserver.domain.artifact_storage import content_key
from wbserver.domain.files import blob_landed
from wbserver.errors import InvalidInput

from .conftest import Backend, make_backend


def test_write_stat_read_delete(backend: Backend) -> None:
    blobs = backend.blobs
    data = os.urandom(3 * 1024 * 1024 + 17)
    info = blobs.write("runs/1/media/a b.bin", [data[:1000], data[1000:]])
    assert (info.size, info.md5_hex) == (len(data), hashlib.md5(data).hexdigest())
    assert blobs.stat("runs/1/media/a b.bin") == info
    assert b"".join(blobs.open_read("runs/1/media/a b.bin")) == data
    blobs.write("runs/1/media/a b.bin", [b"replaced"])
    assert b"".join(blobs.open_read("runs/1/media/a b.bin")) == b"replaced"
    assert blobs.delete("runs/1/media/a b.bin") is True
    assert blobs.stat("runs/1/media/a b.bin") is None
    assert blobs.delete("runs/1/media/a b.bin") is False


def test_bytes_of_another_md5_never_take_the_key(backend: Backend) -> None:
    """Content keys are shared by everyone's artifacts: a write naming the MD5 it must have
    stores nothing on a mismatch, and never replaces the good bytes already there."""
    blobs = backend.blobs
    good = os.urandom(3 * 1024 * 1024 + 5)
    key = content_key(hashlib.md5(good).hexdigest(), backend.store.artifact_layout())
    bad = good[:-1] + b"?"
    with pytest.raises(InvalidInput, match="MD5"):
        blobs.write(key, [bad[:1000], bad[1000:]], md5_hex=hashlib.md5(good).hexdigest())
    assert blobs.stat(key) is None
    info = blobs.write(key, [good[:1000], good[1000:]], md5_hex=hashlib.md5(good).hexdigest())
    assert info.md5_hex == hashlib.md5(good).hexdigest()
    with pytest.raises(InvalidInput, match="MD5"):
        blobs.write(key, [bad], md5_hex=hashlib.md5(good).hexdigest())
    assert b"".join(blobs.open_read(key)) == good


def test_missing_key(backend: Backend) -> None:
    assert backend.blobs.stat("runs/9/none.txt") is None
    with pytest.raises(FileNotFoundError):
        b"".join(backend.blobs.open_read("runs/9/none.txt"))


def test_signed_upload_and_download_urls(backend: Backend) -> None:
    blobs, key = backend.blobs, "runs/7/dir/file ü.txt"
    url, headers = blobs.upload_url(key, base_url="http://testserver", expires_in=600)
    sent = dict(h.split(":", 1) for h in headers)
    if backend.kind == "azure":
        assert sent == {"x-ms-blob-type": "BlockBlob"}
    response = backend.http("PUT", url, content=b"hello bucket", headers=sent)
    assert response.status_code in (200, 201), response.text
    assert blobs.stat(key).size == len(b"hello bucket")
    get = backend.http("GET", blobs.download_url(key, base_url="http://testserver",
                                                 expires_in=600))
    assert get.status_code == 200 and get.content == b"hello bucket"
    assert blobs.serves_bytes(key) is (backend.kind == "local")


def test_object_names_map_back_to_keys(backend: Backend) -> None:
    blobs = backend.blobs
    if backend.kind == "local":
        assert blobs.key_for("", "runs/1/a.txt") == "runs/1/a.txt"
        return
    assert blobs.key_for(backend.bucket, "wb/runs/1/a.txt") == "runs/1/a.txt"
    assert blobs.key_for(backend.bucket, "elsewhere/runs/1/a.txt") is None
    assert blobs.key_for("another-bucket", "wb/runs/1/a.txt") is None


@pytest.mark.parametrize("kind", ["s3", "azure", "gcs"])
def test_proxy_mode_streams_through_the_server(kind: str, request: pytest.FixtureRequest,
                                               tmp_path, monkeypatch) -> None:
    made = make_backend(kind, request, tmp_path, monkeypatch,
                        extra={"WBSERVER_STORAGE_PROXY": "true"})
    try:
        key = content_key(hashlib.md5(b"proxied").hexdigest(), made.store.artifact_layout())
        url, headers = made.blobs.upload_url(key, base_url="http://testserver", expires_in=60)
        assert url.startswith("http://testserver/storage/") and headers == []
        assert made.client.put(url, content=b"proxied").status_code == 200
        assert made.blobs.holder(key).stat(key).size == 7  # landed in the bucket
        assert made.store.content_store(hashlib.md5(b"proxied").hexdigest()) == made.blobs.name
        get = made.client.get(made.blobs.download_url(key, base_url="http://testserver",
                                                      expires_in=60))
        assert get.status_code == 200 and get.content == b"proxied"
    finally:
        made.store.close()


def test_switching_bucket_keeps_old_files_readable(request: pytest.FixtureRequest, tmp_path,
                                                   monkeypatch) -> None:
    local = make_backend("local", request, tmp_path, monkeypatch)
    old_key = content_key(hashlib.md5(b"old bytes").hexdigest(), local.store.artifact_layout())
    info = local.blobs.write(old_key, [b"old bytes"])
    blob_landed(local.store, key=old_key, info=info, blobs=local.blobs)
    local.store.close()

    moved = make_backend("s3", request, tmp_path, monkeypatch)  # same data folder
    try:
        assert moved.blobs.name.startswith("s3://")
        assert b"".join(moved.blobs.open_read(old_key)) == b"old bytes"
        url = moved.blobs.download_url(old_key, base_url="http://testserver", expires_in=60)
        assert url.startswith("http://testserver/storage/")  # still served from the disk
        assert moved.client.get(url).content == b"old bytes"
        new_key = content_key(hashlib.md5(b"new bytes").hexdigest(),
                              moved.store.artifact_layout())
        url, _ = moved.blobs.upload_url(new_key, base_url="http://testserver", expires_in=60)
        assert moved.http("PUT", url, content=b"new bytes").status_code == 200
        assert moved.blobs.stat(new_key).md5_hex == hashlib.md5(b"new bytes").hexdigest()
        assert moved.blobs.holder(old_key).name == "local"
    finally:
        moved.store.close()


def test_a_bad_bucket_stops_the_server_with_a_good_message(tmp_path) -> None:
    from wbserver.app import create_app
    from wbserver.config.runtime import SettingsSource
    from wbserver.errors import ConfigError

    for value, expected in [("ftp://x/y", "known schemes"), ("s3://", "names no bucket"),
                            ("az://acct", "az://ACCOUNT/CONTAINER")]:
        with pytest.raises(ConfigError) as caught:
            create_app(SettingsSource(environ={"BUCKET": value},
                                      overrides={"data_dir": str(tmp_path / "d")}))
        assert "BUCKET" in caught.value.message and expected in caught.value.message
        assert "for example BUCKET=" in caught.value.message


