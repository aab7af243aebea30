"""Fixtures: a live ``wbserver serve`` per test module and isolated
real-``wandb`` clients. Tests that need special server settings start their
own server with ``harness.start_server``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .harness import Client, Server, start_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server, with its own data dir, for all tests of a module."""
    srv = start_server(tmp_path_factory.mktemp("server"))
    yield srv
    srv.stop()


@pytest.fixture
def client(server: Server, tmp_path: Path) -> Client:
    """A wandb client environment (HOME, WANDB_DIR, caches...) under tmp_path."""
    return Client(server=server, root=tmp_path / "client")


@pytest.fixture(scope="module")
def module_client(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Client:
    """Like ``client``, for module-scoped fixtures that run the client once."""
    return Client(server=server, root=tmp_path_factory.mktemp("client"))
