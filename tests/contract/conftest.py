"""Contract fixtures: the real app (in-process) with BUCKET on each backend."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from emulators import Emulators, azure_container, gcs_bucket, s3_bucket
from starlette.testclient import TestClient

from wbserver.app import create_app
from wbserver.config.runtime import SettingsSource

STORE_KINDS = ["local", "s3", "azure", "gcs"]


@dataclass
class Backend:
    kind: str
    app: Any
    client: TestClient
    bucket: str
    env: dict[str, str]

    @property
    def blobs(self) -> Any:
        return self.app.state.services.blobs

    @property
    def store(self) -> Any:
        return self.app.state.services.store

    def http(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Follow a URL the store handed out: the server's own route or the bucket."""
        if url.startswith("http://testserver"):
            return self.client.request(method, url, **kwargs)
        return httpx.request(method, url, timeout=30, **kwargs)


def backend_env(kind: str, emulators: Emulators | None) -> tuple[str, dict[str, str]]:
    if kind == "local":
        return "", {}
    assert emulators is not None
    return {"s3": s3_bucket, "azure": azure_container, "gcs": gcs_bucket}[kind](emulators)


def make_backend(kind: str, request: pytest.FixtureRequest, tmp_path: Any,
                 monkeypatch: pytest.MonkeyPatch, extra: dict[str, str] | None = None) -> Backend:
    emulators = request.getfixturevalue("emulators") if kind != "local" else None
    bucket, env = backend_env(kind, emulators)
    sdk_env = env.pop("GOOGLE_APPLICATION_CREDENTIALS", None)
    if sdk_env:  # read by the Google SDK itself
        monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", sdk_env)
    env.update(extra or {})
    source = SettingsSource(environ=env, overrides={"data_dir": str(tmp_path / "data")})
    app = create_app(source)
    return Backend(kind=kind, app=app, client=TestClient(app), bucket=bucket, env=env)


@pytest.fixture(params=STORE_KINDS)
def backend(request: pytest.FixtureRequest, tmp_path: Any,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Backend]:
    made = make_backend(request.param, request, tmp_path, monkeypatch)
    yield made
    made.store.close()
