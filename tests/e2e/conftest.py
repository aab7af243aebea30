"""Fixtures: a live ``wbserver serve`` per test module and isolated
real-``wandb`` clients. Tests that need special server settings start their
own server with ``harness.start_server``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from .harness import PINNED_CLIENT, Client, Server, basic_auth, client_python, start_server


def rate_limited_answers(server: Server) -> dict[str, float]:
    """The 429s the server gave, by route, from its /metrics (alice is a site admin)."""
    resp = httpx.get(server.url + "/metrics", headers=basic_auth(server.api_key), timeout=30)
    assert resp.status_code == 200, resp.text
    return {sample.labels["route"]: sample.value
            for family in text_string_to_metric_families(resp.text)
            for sample in family.samples
            if sample.name == "wbserver_http_requests_total"
            and sample.labels.get("status") == "429" and sample.value}


@pytest.fixture(scope="module")
def wandb_version(request: pytest.FixtureRequest) -> str:
    """The wandb client version the module's clients run: the pinned one, or each of
    harness.CLIENT_VERSIONS in a module or test marked with ``harness.each_client()``."""
    return str(getattr(request, "param", PINNED_CLIENT))


@pytest.fixture(scope="module")
def wandb_python(wandb_version: str) -> str:
    """The interpreter whose wandb is ``wandb_version`` (a missing venv fails the test)."""
    return client_python(wandb_version)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, wandb_version: str) -> Iterator[Server]:
    """One server, with its own data dir, for all tests of a module (one per client version
    in a module whose tests run with each client)."""
    srv = start_server(tmp_path_factory.mktemp("server"))
    try:
        yield srv
        # The default rate limits are for runaway clients: real clients never meet them.
        assert rate_limited_answers(srv) == {}, "a real client was rate limited (429)"
    finally:
        srv.stop()


@pytest.fixture
def client(server: Server, tmp_path: Path, wandb_python: str) -> Client:
    """A wandb client environment (HOME, WANDB_DIR, caches...) under tmp_path."""
    return Client(server=server, root=tmp_path / "client", python=wandb_python)


@pytest.fixture(scope="module")
def module_client(server: Server, tmp_path_factory: pytest.TempPathFactory,
                  wandb_python: str) -> Client:
    """Like ``client``, for module-scoped fixtures that run the client once."""
    return Client(server=server, root=tmp_path_factory.mktemp("client"), python=wandb_python)
