"""The HTTP server: a current Date header without uvicorn's ticks, and a prompt stop."""

from __future__ import annotations

import signal
import socket
import threading
import time
from email.utils import parsedate_to_datetime

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from wbserver.http_server import TICK_SECONDS, LazyDateState, Server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(**config: object) -> tuple[Server, threading.Thread, str]:
    app = Starlette(routes=[Route("/", lambda _r: PlainTextResponse("ok"))])
    port = _free_port()
    server = Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                   **config))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{port}/"


def test_each_response_carries_the_date_of_its_own_second():
    assert TICK_SECONDS >= 10  # the point: no tick refreshes the header
    server, thread, url = _start()
    try:
        dates = []
        for _ in range(2):
            before = time.time()
            response = httpx.get(url)
            after = time.time()
            assert response.status_code == 200
            assert response.headers.get_list("date") and len(response.headers.get_list("date")) == 1
            sent = parsedate_to_datetime(response.headers["date"]).timestamp()
            assert int(before) <= sent <= after  # the second the request was answered in
            dates.append(sent)
            time.sleep(1.1)
        assert dates[1] > dates[0]
        assert response.headers["server"] == "uvicorn"  # the other default headers stay
    finally:
        server.handle_exit(signal.SIGTERM, None)
        thread.join(10)


def test_a_stop_signal_ends_the_loop_at_once_despite_the_long_tick():
    server, thread, _url = _start()
    time.sleep(0.2)
    stopped_at = time.monotonic()
    server.handle_exit(signal.SIGTERM, None)  # what uvicorn's signal handler calls
    thread.join(10)
    assert not thread.is_alive()
    assert time.monotonic() - stopped_at < 3


def test_no_date_header_when_turned_off():
    server, thread, url = _start(date_header=False)
    try:
        response = httpx.get(url)
        assert "date" not in response.headers
        assert response.headers["server"] == "uvicorn"
    finally:
        server.handle_exit(signal.SIGTERM, None)
        thread.join(10)


def test_the_state_keeps_what_uvicorn_assigns_apart_from_its_date():
    state = LazyDateState()
    state.default_headers = [(b"date", b"stale"), (b"server", b"x")]
    headers = state.default_headers
    assert headers[1:] == [(b"server", b"x")]
    assert headers[0][0] == b"date" and headers[0][1] != b"stale"
    assert state.default_headers is headers  # made once a second, not once a request
