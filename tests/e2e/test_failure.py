"""Runs that end badly: an uncaught exception (failed) and a SIGKILL (crashed,
decided by the server after the heartbeat timeout)."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from .harness import (
    Client,
    resume_status,
    section,
    show,
    start_server,
    user_view,
    wait_for,
)

PROJECT = "fail-proj"


def test_exception_marks_run_failed(client: Client, tmp_path: Path) -> None:
    spec = {
        "init": {"project": PROJECT, "id": "failrun01", "name": "failing"},
        "steps": 12,
        "console": True,
        "fail": "deliberate e2e failure",
    }
    logged, result = client.script("log_run.py", spec, check=False)
    assert result.returncode != 0, show(result, "the script should have raised")
    assert "deliberate e2e failure" in result.stderr, show(result, "traceback expected")

    read = client.read_run(
        {
            "run": f"alice/{PROJECT}/failrun01",
            "sections": ["attrs", "scan", "files"],
            "download": ["output.log"],
            "download_dir": str(tmp_path / "dl"),
        }
    )
    assert section(read, "attrs")["state"] == "failed"
    expected = [{**row, "_step": i} for i, row in enumerate(logged["rows"])]
    assert [user_view(r) for r in section(read, "scan")] == expected
    output = Path(section(read, "download")["output.log"]).read_text()
    assert "hello from stdout" in output, output
    assert "RuntimeError: deliberate e2e failure" in output, output


def _wait_for_line(proc: subprocess.Popen[str], wanted: str, timeout: float) -> None:
    """Read the client's stdout in a thread (select() on the pipe would miss lines that
    already sit in the reader's buffer when several arrive together)."""
    assert proc.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1.0)
        except queue.Empty:
            continue
        if line is None:
            break
        if line.strip() == wanted:
            return
        seen.append(line)
    raise AssertionError(
        f"the client never printed {wanted!r} (exit code {proc.poll()})\nstdout: {seen}\n"
        f"stderr: {proc.stderr.read() if proc.poll() is not None and proc.stderr else '(alive)'}"
    )


@pytest.fixture(scope="module")
def crashed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A run that logs, prints and is then SIGKILLed, on a server with a short
    heartbeat timeout; what the API said while it lived and after it died."""
    server = start_server(
        tmp_path_factory.mktemp("crash-server"),
        extra_env={"WBSERVER_HEARTBEAT_TIMEOUT": "6", "WBSERVER_CRASH_CHECK_INTERVAL": "1"},
    )
    try:
        client = Client(server=server, root=tmp_path_factory.mktemp("crash-client"))
        path = f"alice/{PROJECT}/crashrun01"
        spec = {
            "init": {"project": PROJECT, "id": "crashrun01", "name": "doomed"},
            # wandb-core ignores heartbeat_seconds (its idle heartbeat is every 30 s): what keeps
            # a live run's file_stream busy here is system metrics sampled every second, sent
            # every second. With the default 15 s sampling the 6 s timeout below marked the
            # live run crashed between two samples, and the test passed or failed by timing.
            "settings": {"heartbeat_seconds": 1, "x_file_stream_transmit_interval": 1,
                         "x_stats_sampling_interval": 1},
            "steps": 10,
            "console": True,
            "ready_sleep": 600,
        }
        proc, out_path = client.popen("log_run.py", spec)
        alive: list[tuple[str, int]] = []
        try:
            _wait_for_line(proc, "READY", timeout=120)

            def rows_arrived() -> bool:
                read = client.read_run({"run": path, "sections": ["attrs", "scan"]})
                alive.append((section(read, "attrs")["state"], len(section(read, "scan"))))
                return alive[-1][1] == 10

            wait_for(rows_arrived, timeout=60, what="the 10 rows to reach the server")
            # A little longer than the heartbeat timeout: a live run must stay running.
            time.sleep(8)
            alive.append(
                (
                    section(client.read_run({"run": path, "sections": ["attrs"]}), "attrs")[
                        "state"
                    ],
                    -1,
                )
            )
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)

        def state() -> str:
            return section(client.read_run({"run": path, "sections": ["attrs"]}), "attrs")["state"]

        try:
            wait_for(lambda: state() == "crashed", timeout=60, what="crashed")
        except AssertionError:
            pass  # the tests below say what went wrong
        final = client.read_run(
            {
                "run": path,
                "sections": ["attrs", "scan", "files"],
                "download": ["output.log"],
                "download_dir": str(client.root / "dl"),
            }
        )
        counts = resume_status(server, "alice", PROJECT, "crashrun01")
        return {
            "alive": alive,
            "final": final,
            "logged": json.loads(out_path.read_text()),
            "logLineCount": counts["logLineCount"],
        }
    finally:
        server.stop()


def test_sigkill_marks_run_crashed(crashed: dict[str, Any]) -> None:
    states = [state for state, _ in crashed["alive"]]
    assert states and set(states) == {"running"}, f"states seen while alive: {states}"
    final = crashed["final"]
    assert section(final, "attrs")["state"] == "crashed"
    expected = [{**row, "_step": i} for i, row in enumerate(crashed["logged"]["rows"])]
    assert [user_view(r) for r in section(final, "scan")] == expected


def test_crashed_run_keeps_its_console_output(crashed: dict[str, Any]) -> None:
    """The killed client never uploads output.log: the server has only the
    file_stream lines, and must still offer them as the run's output.log."""
    final, logged = crashed["final"], crashed["logged"]
    names = [f["name"] for f in section(final, "files")]
    assert "output.log" in names, (
        f"run files of the crashed run: {names}, although the server got "
        f"{crashed['logLineCount']} output.log lines through file_stream"
    )
    text = Path(section(final, "download")["output.log"]).read_text()
    for line in logged["stdout"] + logged["stderr"] + ["progress 100%"]:
        assert line in text, f"{line!r} missing from output.log:\n{text}"
