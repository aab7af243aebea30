"""`wbserver serve --workers N`: N server processes sharing one listening socket.

The parent binds the port, then starts N processes (spawned: nothing of the parent's state
is shared but the socket), each running the same server as a single-process `serve`. The
kernel spreads new connections over them. The parent only watches: a process that dies is
replaced (a crash loop at start ends the parent with exit code 1), and SIGTERM or SIGINT is
passed on to every process, which drain their requests and stop; then the parent exits 0.

What the processes share lives in the database and the bucket (that is why MYSQL or POSTGRES is
required): sessions, settings (re-read within WBSERVER's settings check delay, 2 s), rate
limits per process, and the background jobs, which the leases in the database hand to one
process at a time (workers/leases.py).
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

import uvicorn

from wbserver.http_server import Server

log = logging.getLogger("wbserver.workers")
QUICK_EXIT = 10.0  # a process that ends this soon after starting counts as a failed start
MAX_QUICK_EXITS = 5
STOP_SECONDS = 40.0  # beyond the processes' own drain time


class _Stop(Exception):
    pass


def _run_worker(config: uvicorn.Config, sockets: list[socket.socket]) -> None:
    """In each spawned process: uvicorn's logging, then the server on the shared socket."""
    config.configure_logging()
    Server(config).run(sockets=sockets)


def supervise(config: uvicorn.Config, workers: int,
              say: Callable[[str], None] = print) -> int:
    """Run `workers` processes of the server `config` describes until SIGTERM/SIGINT."""
    sock = config.bind_socket()
    context = multiprocessing.get_context("spawn")

    def start() -> tuple[Any, float]:
        process = context.Process(target=_run_worker, args=(config, [sock]),
                                  name="wbserver worker")
        process.start()
        return process, time.monotonic()

    def on_signal(_sig: int, _frame: FrameType | None) -> None:
        raise _Stop

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    processes: list[tuple[Any, float]] = []
    quick_exits, code = 0, 0
    try:
        processes = [start() for _ in range(workers)]
        say(f"wbserver: {workers} server processes: "
            f"{', '.join(str(p.pid) for p, _ in processes)}")
        while True:
            multiprocessing.connection.wait([p.sentinel for p, _ in processes], timeout=60)
            for index, (process, started) in enumerate(processes):
                if process.exitcode is None:
                    continue
                quick = time.monotonic() - started < QUICK_EXIT
                quick_exits = quick_exits + 1 if quick else 0
                if quick_exits >= MAX_QUICK_EXITS:
                    say(f"wbserver: server processes keep ending at start (the last with "
                        f"exit code {process.exitcode}); stopping")
                    code = 1
                    raise _Stop
                say(f"wbserver: server process {process.pid} ended with exit code "
                    f"{process.exitcode}; starting another")
                processes[index] = start()
    except _Stop:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _stop_all([p for p, _ in processes])
        sock.close()
    return code


def _stop_all(processes: list[Any]) -> None:
    for process in processes:
        if process.exitcode is None and process.pid is not None:
            os.kill(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.exitcode is None:
            process.kill()
            process.join()
