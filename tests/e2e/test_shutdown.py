"""SIGTERM: the server lets in-flight requests finish, stops its workers and exits with 0."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from .harness import _spawn, _wait_healthy, basic_auth, graphql, resume_status, start_server

EXIT_BOUND = 10.0  # seconds from SIGTERM to exit, the in-flight request included


def test_sigterm_drains_an_in_flight_request_and_exits_0(tmp_path: Path) -> None:
    server = start_server(tmp_path / "srv")
    try:
        graphql(server, """mutation { upsertBucket(input: {name: "drain", modelName: "p",
            entityName: "alice"}) { bucket { id } } }""")
        body_sent = threading.Event()

        def slow_body() -> Iterator[bytes]:  # the request is in flight while the signal comes
            yield b'{"files": {"wandb-history.jsonl": {"offset": 0, "content": ['
            body_sent.set()
            time.sleep(2.0)
            yield json.dumps(json.dumps({"_step": 0, "loss": 0.5})).encode() + b"]}}}"

        answer: list[httpx.Response | BaseException] = []

        def post() -> None:
            try:
                answer.append(httpx.post(server.url + "/files/alice/p/drain/file_stream",
                                         content=slow_body(), timeout=30,
                                         headers=basic_auth(server.api_key)))
            except BaseException as exc:
                answer.append(exc)

        sender = threading.Thread(target=post)
        sender.start()
        assert body_sent.wait(10)
        time.sleep(1.0)  # the server has the request's headers
        signalled = time.monotonic()
        os.kill(server.proc.pid, signal.SIGTERM)
        sender.join(30)
        code = server.proc.wait(timeout=30)
        took = time.monotonic() - signalled
        response = answer[0]
        assert isinstance(response, httpx.Response), f"the in-flight request failed: {response}"
        assert response.status_code == 200, response.text
        assert code == 0, f"exit code {code}\n{server.logs()}"
        assert took < EXIT_BOUND, f"took {took:.1f} s to stop"
        assert "Traceback" not in server.logs(), server.logs()
    finally:
        server.stop()
    # the row the drained request carried is stored
    again = _spawn(server.data_dir, server.env, tmp_path / "again.log")
    again.api_key = server.api_key
    try:
        _wait_healthy(again)
        assert resume_status(again, "alice", "p", "drain")["historyLineCount"] == 1
    finally:
        again.stop()


def test_an_idle_server_stops_within_a_few_seconds(tmp_path: Path) -> None:
    server = start_server(tmp_path / "srv")
    try:
        time.sleep(1.0)  # the workers are waiting (the queue consumer on its queue)
        signalled = time.monotonic()
        os.kill(server.proc.pid, signal.SIGTERM)
        code = server.proc.wait(timeout=30)
        took = time.monotonic() - signalled
        assert code == 0, f"exit code {code}\n{server.logs()}"
        assert took < 3.0, f"took {took:.1f} s to stop"
    finally:
        server.stop()
