"""Request bodies against a live server: an anonymous caller's body is never read (the server's
memory stays put under eight 60 MB bodies), and a body over its route's limit gets 413
naming the limit, while the client's own large requests still pass."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from .harness import Server, basic_auth, graphql, start_server

BODY_BYTES = 60 * 1024 * 1024
RSS_GROWTH_BOUND = 64 * 1024 * 1024  # 8 bodies of 60 MB held once would be 480 MB


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("limits"),
                       extra_env={"WBSERVER_MAX_GRAPHQL_BYTES": str(2 * 1024 * 1024)})
    yield srv
    srv.stop()


def _send_raw(port: int, path: str, headers: dict[str, str], size: int) -> str:
    """POST `size` bytes of JSON-looking filler; returns the status line (or how it ended)."""
    head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {size}",
            "Content-Type: application/json", *(f"{k}: {v}" for k, v in headers.items())]
    chunk = b"[" + b"1," * (512 * 1024 - 1)
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        sent = 0
        try:
            while sent < size:
                part = chunk[: size - sent]
                sock.sendall(part)
                sent += len(part)
            return sock.recv(200).split(b"\r\n", 1)[0].decode()
        except OSError as exc:  # the server answered and closed before all was sent
            return f"closed after {sent} bytes: {exc}"


@pytest.fixture(scope="module")
def roomy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Limits above the bodies sent: only authenticating first keeps them unread."""
    srv = start_server(tmp_path_factory.mktemp("roomy"),
                       extra_env={"WBSERVER_MAX_GRAPHQL_BYTES": str(128 * 1024 * 1024),
                                  "WBSERVER_MAX_REQUEST_BYTES": str(128 * 1024 * 1024)})
    yield srv
    srv.stop()


def test_anonymous_bodies_are_never_read(roomy_server: Server) -> None:
    server = roomy_server
    process = psutil.Process(server.proc.pid)
    before = process.memory_info().rss
    paths = ["/graphql", "/files/alice/proj/run1/file_stream"] * 4
    bad_key = basic_auth("local-" + "0" * 40)
    results: list[str] = []
    threads = [threading.Thread(target=lambda p=p, i=i: results.append(_send_raw(
        server.port, p, bad_key if i % 2 else {}, BODY_BYTES))) for i, p in enumerate(paths)]
    peak = before
    for thread in threads:
        thread.start()
    while any(t.is_alive() for t in threads):
        peak = max(peak, process.memory_info().rss)
        for thread in threads:
            thread.join(0.05)
    after = process.memory_info().rss
    assert len(results) == 8
    for result in results:
        assert " 401 " in result, results
    assert peak - before < RSS_GROWTH_BOUND, (
        f"server RSS grew from {before / 2**20:.0f} MiB to {peak / 2**20:.0f} MiB under 8 "
        f"anonymous {BODY_BYTES / 2**20:.0f} MiB bodies")
    assert after - before < RSS_GROWTH_BOUND
    assert httpx.get(server.url + "/healthz", timeout=10).status_code == 200


def test_a_body_over_the_limit_gets_413_naming_it(server: Server) -> None:
    headers = basic_auth(server.api_key)
    big = {"query": "{ viewer { username } }", "variables": {"pad": "x" * (3 * 1024 * 1024)}}
    response = httpx.post(server.url + "/graphql", json=big, headers=headers, timeout=60)
    assert response.status_code == 413, response.text
    message = response.json()["errors"][0]["message"]
    assert "2 MiB" in message and "WBSERVER_MAX_GRAPHQL_BYTES" in message, message

    def chunked() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"query": "{ viewer { username } }", "variables": {"pad": "'
        for _ in range(6):
            yield b"x" * (512 * 1024)
        yield b'"}}'

    response = httpx.post(server.url + "/graphql", content=chunked(), headers=headers,
                          timeout=60)
    assert response.status_code == 413, response.text
    assert "2 MiB" in response.json()["errors"][0]["message"]
    # a sign-in form is small: a huge one is refused before it is read
    response = httpx.post(server.url + "/login", content=b"a=" + b"x" * (2 * 1024 * 1024),
                          headers={"Content-Type": "application/x-www-form-urlencoded"},
                          timeout=60)
    assert response.status_code == 413, response.text
    assert "1 MiB" in response.json()["errors"][0]["message"]

    def chunked_form() -> Iterator[bytes]:  # read by the page: cut off at 1 MiB
        yield b"username=a&password="
        for _ in range(4):
            yield b"x" * (512 * 1024)

    response = httpx.post(server.url + "/login", content=chunked_form(), timeout=60,
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413, response.text
    assert "1 MiB" in response.text  # a page for the browser, naming the limit


def test_the_clients_large_requests_still_pass(server: Server, tmp_path: Path) -> None:
    """A file_stream request of ~12 MB (the client's own cap is about 10 MiB) and a 20 MB
    upload through the signed storage route."""
    headers = basic_auth(server.api_key)
    graphql(server, """mutation { upsertBucket(input: {name: "big", modelName: "limits",
        entityName: "alice"}) { bucket { id } } }""")
    line = '{"_step": %d, "blob": "' + "y" * 12_000 + '"}'
    lines = [line % i for i in range(1000)]
    response = httpx.post(server.url + "/files/alice/limits/big/file_stream", headers=headers,
                          json={"files": {"wandb-history.jsonl": {"offset": 0,
                                                                  "content": lines}}},
                          timeout=120)
    assert response.status_code == 200, response.text[:500]
    files = graphql(server, """mutation { createRunFiles(input: {entityName: "alice",
        projectName: "limits", runName: "big", files: ["model.bin"]}) {
        files { name uploadUrl } } }""")
    url = files["createRunFiles"]["files"][0]["uploadUrl"]
    payload = b"z" * (20 * 1024 * 1024)
    response = httpx.put(url, content=payload, timeout=120)
    assert response.status_code == 200, response.text
    download = httpx.get(server.url + "/files/alice/limits/big/model.bin", headers=headers,
                         timeout=120, follow_redirects=True)
    assert download.status_code == 200 and download.content == payload
