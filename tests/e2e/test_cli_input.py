"""Bad command-line input: one line on stderr and exit code 2, never a traceback or a server
on some other port."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .harness import PYTHON, base_env, free_port


def _serve(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = base_env(tmp_path / "home")
    env["WBSERVER_DATA_DIR"] = str(tmp_path / "data")
    return subprocess.run([PYTHON, "-m", "wbserver", "serve", "--host", "127.0.0.1", *args],
                          env=env, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


def _one_line_and_2(result: subprocess.CompletedProcess[str], *words: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, f"exit {result.returncode}\n{result.stderr}"
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], result.stderr


@pytest.mark.parametrize("port", ["70000", "0", "-1", "http"])
def test_a_port_out_of_range_is_refused(tmp_path: Path, port: str) -> None:
    _one_line_and_2(_serve(tmp_path, "--port", port), "--port", port)


def test_an_unknown_log_level_is_refused(tmp_path: Path) -> None:
    _one_line_and_2(_serve(tmp_path, "--port", str(free_port()), "--log-level", "chatty"),
                    "--log-level", "chatty", "debug")


def test_a_data_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    plain = tmp_path / "plain-file"
    plain.write_text("not a folder")
    _one_line_and_2(_serve(tmp_path, "--port", str(free_port()), "--data-dir", str(plain)),
                    str(plain), "not a folder")


@pytest.mark.parametrize("where", ["under-a-file", "proc"])
def test_a_data_dir_that_cannot_be_made_or_written_is_refused(tmp_path: Path,
                                                               where: str) -> None:
    """Under a plain file, or on a file system nobody may write (/proc; root included)."""
    if where == "under-a-file":
        (tmp_path / "plain").write_text("x")
        folder = tmp_path / "plain" / "data"
    else:
        folder = Path("/proc/wbserver-test-data")
    _one_line_and_2(_serve(tmp_path, "--port", str(free_port()), "--data-dir", str(folder)),
                    str(folder), "cannot be used")


def test_other_commands_refuse_a_bad_data_dir_the_same_way(tmp_path: Path) -> None:
    plain = tmp_path / "plain-file"
    plain.write_text("x")
    result = subprocess.run([PYTHON, "-m", "wbserver", "users", "list", "--data-dir",
                             str(plain)], env=base_env(tmp_path), capture_output=True,
                            text=True, timeout=60)
    _one_line_and_2(result, "not a folder")
