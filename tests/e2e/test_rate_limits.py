"""Rate limits against the real client: with low limits the server answers 429 with
Retry-After, the client waits and resends, and the run still ends with every row stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from .harness import Client, Server, section, start_server, user_view

PROJECT = "limited"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("limited"),
                       extra_env={"WBSERVER_RATE_LIMIT_RUN": "0.5",
                                  "WBSERVER_RATE_LIMIT_PROJECT": "4"})
    yield srv
    srv.stop()


def test_a_rate_limited_client_still_stores_every_row(client: Client, tmp_path: Path) -> None:
    spec = {
        "init": {"project": PROJECT, "id": "limited01"},
        # a request every 0.2 s against one allowed every 2 s: most are refused at first
        "settings": {"x_file_stream_transmit_interval": 0.2},
        "steps": 300,
        "console": True,
        "best": 0.5,
    }
    logged, _ = client.script("log_run.py", spec, timeout=300)
    assert logged.get("finished"), logged

    refused = _retried_429s(Path(logged["run_dir"]))
    assert any(url.endswith("/file_stream") for url in refused), (
        f"the client never retried a file_stream 429: the limits did not bite ({refused})")

    read = client.read_run({"run": f"alice/{PROJECT}/limited01",
                            "sections": ["attrs", "scan", "summary"]})
    assert section(read, "attrs")["state"] == "finished"
    expected = [{**row, "_step": i} for i, row in enumerate(logged["rows"])]
    assert [user_view(r) for r in section(read, "scan")] == expected
    assert section(read, "summary")["best"] == 0.5


def _retried_429s(run_dir: Path) -> list[str]:
    """The URLs of the requests the client logged retrying after a 429 (wandb-core's
    'api: retrying HTTP error' lines, which carry our message)."""
    urls = []
    for path in run_dir.rglob("debug-internal.log"):
        for line in path.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("msg") == "api: retrying HTTP error" and entry.get("status") == 429:
                assert "rate limit exceeded" in str(entry.get("body")), entry
                urls.append(str(entry.get("url")))
    return urls
