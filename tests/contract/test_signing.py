"""Signed URLs refuse tampering, expiry and other paths: the server's own /storage route and
Azure SAS (Azurite checks signatures; moto and the GCS emulator do not)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from .conftest import make_backend


def _tamper(url: str, field: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    value = query[field]
    query[field] = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    return parts._replace(query=urlencode(query)).geturl()


@pytest.mark.parametrize("kind", ["local", "azure"])
def test_tampered_expired_and_moved_urls_are_refused(kind: str, request, tmp_path,
                                                     monkeypatch) -> None:
    made = make_backend(kind, request, tmp_path, monkeypatch)
    signature = {"local": "sig", "azure": "sig"}[kind]
    blobs, base = made.blobs, "http://testserver"
    headers = {"x-ms-blob-type": "BlockBlob"} if kind == "azure" else {}
    try:
        url, _ = blobs.upload_url("runs/1/a.txt", base_url=base, expires_in=600)
        assert made.http("PUT", url, content=b"ok", headers=headers).status_code in (200, 201)
        refused = {
            "tampered": _tamper(url, signature),
            "expired": blobs.upload_url("runs/1/a.txt", base_url=base, expires_in=-60)[0],
            "other path": url.replace("/a.txt", "/b.txt"),
        }
        for what, bad in refused.items():
            status = made.http("PUT", bad, content=b"evil", headers=headers).status_code
            assert status == 403, f"{kind}: a {what} upload URL answered {status}"
        get = blobs.download_url("runs/1/a.txt", base_url=base, expires_in=600)
        assert made.http("GET", get).content == b"ok"
        assert made.http("GET", _tamper(get, signature)).status_code == 403
        assert made.http("GET", get.replace("/a.txt", "/b.txt")).status_code == 403
        expired = blobs.download_url("runs/1/a.txt", base_url=base, expires_in=-60)
        assert made.http("GET", expired).status_code == 403
        assert made.http("PUT", get, content=b"evil", headers=headers).status_code == 403
        assert b"".join(blobs.open_read("runs/1/a.txt")) == b"ok"
    finally:
        made.store.close()
