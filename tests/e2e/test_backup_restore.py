"""`wbserver backup` while real clients log, `wbserver restore` into a fresh data folder (and
MariaDB database), a server on it: wandb.Api() reads what was there before the backup."""

from __future__ import annotations

import secrets
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pymysql
import pytest

from .harness import (
    PYTHON,
    Client,
    Server,
    resume_status,
    section,
    show,
    start_server,
    user_view,
    wait_for,
)

MARIADB = dict(host="127.0.0.1", port=3306, user="root", password="")


@pytest.fixture(params=["sqlite", "mariadb"])
def databases(request) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """The environment of the original server and of the restored one."""
    if request.param == "sqlite":
        yield {}, {}
        return
    names = ["wbbackup_" + secrets.token_hex(5) for _ in range(2)]
    admin = pymysql.connect(**MARIADB)
    with admin.cursor() as cursor:
        for name in names:
            cursor.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")
    try:
        yield tuple({"MYSQL": f"mysql://root:@127.0.0.1:3306/{n}"} for n in names)  # type: ignore[misc]
    finally:
        with admin.cursor() as cursor:
            for name in names:
                cursor.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.close()


def wbserver(env: dict[str, str], *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-m", "wbserver", *args], env=env, capture_output=True,
                          text=True, timeout=timeout)


READ = ["attrs", "config", "summary", "scan", "files"]


def test_backup_while_logging_restores_what_was_logged_before(
        databases: tuple[dict[str, str], dict[str, str]], tmp_path: Path) -> None:
    source_env, target_env = databases
    original = start_server(tmp_path / "original", extra_env=source_env)
    restored: Server | None = None
    slow: list[subprocess.Popen[str]] = []
    try:
        client = Client(server=original, root=tmp_path / "client")
        spec = {"init": {"project": "kept", "id": "done01", "config": {"lr": 0.5}},
                "steps": 60, "console": True,
                "save": {"name": "saved.txt", "content": "kept across a restore\n"}}
        client.script("log_run.py", spec)
        art = {"action": "log", "init": {"project": "kept", "job_type": "data"},
               "name": "ds", "files": {"a.txt": "alpha\n", "sub/b.txt": "beta\n"},
               "aliases": ["best"], "metadata": {"n": 2}}
        client.script("artifacts.py", art)

        stop = tmp_path / "stop"
        ids = []
        for index in range(2):
            live = Client(server=original, root=tmp_path / f"live{index}")
            proc, out = live.popen("slow_log.py", {
                "init": {"project": "kept", "id": f"live0{index}"}, "stop_file": str(stop),
                "interval": 0.05})
            slow.append(proc)
            ids.append(f"live0{index}")
        for run in ids:
            wait_for(lambda run=run: _lines(original, run) >= 40, timeout=120,
                     what=f"{run} to log 40 rows")
        logged_before = {run: _lines(original, run) for run in ids}

        backup = tmp_path / "backup"
        result = wbserver(original.env, "backup", str(backup), "--data-dir",
                          str(original.data_dir))
        assert result.returncode == 0, show(result, "wbserver backup")
        assert "verifies" in result.stderr
        assert all(p.poll() is None for p in slow), "the clients must still be logging"
        time.sleep(2)
        stop.touch()
        for proc in slow:
            proc.wait(timeout=120)
            assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
        slow = []
        original.stop()

        target_root = tmp_path / "restored"
        env = {**{k: v for k, v in original.env.items() if k != "MYSQL"}, **target_env}
        result = wbserver(env, "restore", str(backup), "--data-dir", str(target_root / "data"))
        assert result.returncode == 0, show(result, "wbserver restore")
        restored = start_server(target_root, extra_env=target_env, create_admin=False)
        restored.api_key = original.api_key
        original = _restart(original)

        old, new = (Client(server=s, root=tmp_path / f"read-{i}")
                    for i, s in enumerate((original, restored)))
        read_done = {"run": "alice/kept/done01", "sections": READ,
                     "download": ["saved.txt"]}
        before = old.read_run({**read_done, "download_dir": str(tmp_path / "dl-old")})
        after = new.read_run({**read_done, "download_dir": str(tmp_path / "dl-new")})
        for name in READ:
            assert section(after, name) == section(before, name), name
        assert (tmp_path / "dl-new" / "saved.txt").read_text() == "kept across a restore\n"

        for run in ids:
            spec = {"run": f"alice/kept/{run}", "sections": ["scan"]}
            full = [user_view(r) for r in section(old.read_run(spec), "scan")]
            kept = [user_view(r) for r in section(new.read_run(spec), "scan")]
            assert len(kept) >= logged_before[run], (run, len(kept), logged_before[run])
            assert len(kept) < len(full), "rows logged after the backup are not in it"
            assert kept == full[:len(kept)], run

        read_art = {"action": "api", "artifact": "alice/kept/ds:best"}
        art_before, _ = old.script("artifacts.py", read_art)
        art_after, _ = new.script("artifacts.py", read_art)
        assert art_after["artifact"] == art_before["artifact"]
        assert art_after["artifact"]["downloaded"] == {"a.txt": "alpha\n", "sub/b.txt": "beta\n"}
    finally:
        for proc in slow:
            proc.kill()
        original.stop()
        if restored is not None:
            restored.stop()


def _lines(server: Server, run: str) -> int:
    try:
        return int(resume_status(server, "alice", "kept", run)["historyLineCount"] or 0)
    except AssertionError:  # the run does not exist yet
        return 0


def _restart(server: Server) -> Server:
    """The original server again, on its own data (to read it side by side)."""
    from .harness import _spawn, _wait_healthy

    again = _spawn(server.data_dir, server.env, server.log_path.with_name("again.log"))
    _wait_healthy(again)
    again.api_key = server.api_key
    return again
