"""An artifact content upload URL takes only the bytes its MD5 names (issue 18, item 4): on
S3 and GCS the URL signs the Content-MD5 header the answer asks for, so a URL kept after the
version was committed cannot rewrite content every version holding it shares. (moto and the
GCS emulator check neither signatures nor digests: the signed header list is checked here;
Azurite checks the digest a client sends; the /storage route checks bytes itself.)"""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest
from api.artifact_flow import log_version, md5_b64
from api.conftest import Api

from wbserver.domain.artifact_storage import content_key
from wbserver.domain.users import create_api_key, create_user

from .conftest import make_backend

DATA = b"content every version holding it shares\n"
SIGNED_HEADERS = {"s3": "X-Amz-SignedHeaders", "gcs": "X-Goog-SignedHeaders"}


def _headers(upload_headers: list[str]) -> dict[str, str]:
    return dict(h.split(":", 1) for h in upload_headers)


@pytest.mark.parametrize("kind", ["s3", "gcs", "azure", "local"])
def test_a_content_upload_url_takes_only_its_bytes(kind, request, tmp_path, monkeypatch):
    backend = make_backend(kind, request, tmp_path, monkeypatch)
    try:
        create_user(backend.store, username="alice", email="a@example.com", is_admin=False)
        api = Api(backend.client, create_api_key(backend.store, username="alice"))
        api.upsert("r1")
        planned = log_version(api, "data", {"a.txt": DATA}, upload=False, put_manifest=False,
                              commit=False)
        node = planned["edges"][0]
        headers = _headers(node["uploadHeaders"])
        if kind in SIGNED_HEADERS:
            signed = parse_qs(urlsplit(node["uploadUrl"]).query)[SIGNED_HEADERS[kind]][0]
            assert "content-md5" in signed.split(";")
        if kind != "local":
            assert headers["Content-MD5"] == md5_b64(DATA)
        put = backend.http("PUT", node["uploadUrl"], content=DATA, headers=headers)
        assert put.status_code in (200, 201), put.text
        if kind in ("azure", "local"):  # moto and the GCS emulator check no digest
            other = backend.http("PUT", node["uploadUrl"], content=b"rewritten", headers=headers)
            assert other.status_code == 400, other.text
        stored = b"".join(backend.blobs.open_read(
            content_key(hashlib.md5(DATA).hexdigest(), backend.store.artifact_layout())))
        assert stored == DATA
    finally:
        backend.store.close()
