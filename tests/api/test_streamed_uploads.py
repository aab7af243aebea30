"""Uploads bigger than a short body go from the socket to the store as they arrive
(api/rest/uploads.py, http/body_pipe.py): written once, the MD5 a content key names checked
before the bytes take that key's name, nothing left behind by a body that does not arrive
whole."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from wbserver.app import create_app
from wbserver.config.runtime import SettingsSource
from wbserver.domain.users import create_api_key, create_user
from wbserver.http.store_threads import SHORT_BODY_BYTES

from .artifact_flow import COMMIT, local, log_version
from .conftest import Api

BIG = SHORT_BODY_BYTES + 3 * 1024 * 1024 + 5


def files_dir(app) -> Path:
    return Path(app.state.services.settings.data_dir) / "files"


def leftovers(app) -> list[str]:
    return [p.name for p in files_dir(app).rglob(".upload-*")]


def in_chunks(data: bytes, size: int = 200_000) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]


def test_big_content_is_checked_before_it_takes_its_key(api, app):
    api.upsert("r1")
    big = os.urandom(BIG)
    logged = log_version(api, "big", {"big.bin": big}, upload=False, commit=False)
    url = local(logged["edges"][0]["uploadUrl"])
    key = logged["edges"][0]["storagePath"]
    wrong = big[:-1] + bytes([big[-1] ^ 1])
    response = api.client.put(url, content=wrong)
    assert response.status_code == 400 and "MD5" in response.json()["errors"][0]["message"]
    assert app.state.services.blobs.local_path(key) is None and leftovers(app) == []
    # sent without Content-Length (chunked), in pieces: the same path, the same answer
    assert api.client.put(url, content=in_chunks(wrong)).status_code == 400
    assert app.state.services.blobs.local_path(key) is None and leftovers(app) == []

    assert api.client.put(url, content=in_chunks(big)).status_code == 200
    stored = app.state.services.blobs.local_path(key)
    assert stored is not None and hashlib.md5(stored.read_bytes()).digest() == \
        hashlib.md5(big).digest()
    assert api.gql(COMMIT, artifactID=logged["id"])["data"]["commitArtifact"]["artifact"]

    # stored content is never rewritten: a retry is accepted, wrong bytes refused, and the
    # stored bytes stay what every version naming them expects
    assert api.client.put(url, content=big).status_code == 200
    assert api.client.put(url, content=wrong).status_code == 400
    assert stored.read_bytes() == big and leftovers(app) == []


def test_a_big_run_file_round_trips(api, app):
    api.upsert("r1")
    data = os.urandom(BIG)
    body = api.gql("""mutation($e: String!, $p: String!, $r: String!, $f: [String!]!) {
        createRunFiles(input: {entityName: $e, projectName: $p, runName: $r, files: $f}) {
            files { name uploadUrl } } }""", e="alice", p="proj", r="r1", f=["big.bin"])
    url = body["data"]["createRunFiles"]["files"][0]["uploadUrl"]
    assert api.client.put(local(url), content=in_chunks(data, 1 << 20)).status_code == 200
    stored = list(files_dir(app).rglob("big.bin"))
    assert len(stored) == 1 and stored[0].read_bytes() == data and leftovers(app) == []


@pytest.fixture
def small_limit(tmp_path, database) -> Iterator[tuple[Api, object]]:
    """A server taking uploads of at most BIG - 1 bytes."""
    source = SettingsSource(environ={**database, "WBSERVER_MAX_UPLOAD_BYTES": str(BIG - 1)},
                            overrides={"data_dir": str(tmp_path / "data")})
    app = create_app(source)
    store = app.state.services.store
    create_user(store, username="alice", email="alice@example.com", is_admin=False)
    try:
        with TestClient(app) as client:
            yield Api(client, create_api_key(store, username="alice")), app
    finally:
        store.close()


def test_a_body_over_the_limit_leaves_nothing(small_limit):
    api, app = small_limit
    api.upsert("r1")
    big = os.urandom(BIG)
    logged = log_version(api, "over", {"big.bin": big}, upload=False, commit=False)
    url = local(logged["edges"][0]["uploadUrl"])
    response = api.client.put(url, content=in_chunks(big))  # no Content-Length: counted
    assert response.status_code == 413, response.text
    assert "WBSERVER_MAX_UPLOAD_BYTES" in response.json()["errors"][0]["message"]
    assert app.state.services.blobs.local_path(logged["edges"][0]["storagePath"]) is None
    assert leftovers(app) == []
