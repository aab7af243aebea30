"""The run overview's environment lines from wandb-core's EnvironmentRecord (protobuf JSON:
64-bit numbers as strings), commit links on known web hosts (never with credentials), and
the units of the system metrics the client samples."""

from __future__ import annotations

import pytest

from wbserver.domain.run_environment import (
    clean_remote,
    commit_url,
    environment_rows,
    system_unit,
)

SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize(("remote", "url"), [
    ("git@github.com:o/r.git", f"https://github.com/o/r/commit/{SHA}"),
    ("https://user:tok@github.com/o/r.git", f"https://github.com/o/r/commit/{SHA}"),
    ("ssh://git@gitlab.com/g/sub/r.git", f"https://gitlab.com/g/sub/r/-/commit/{SHA}"),
    ("https://bitbucket.org/o/r", f"https://bitbucket.org/o/r/commits/{SHA}"),
    ("https://git.example.org/o/r.git", None),
    ("file:///srv/repo", None),
    ("", None),
])
def test_commit_links(remote, url):
    assert commit_url(remote, SHA) == url
    assert commit_url(remote, "not-a-sha") is None


def test_remotes_lose_credentials():
    assert clean_remote("https://someone:s3cret@github.com/o/r.git") == "https://github.com/o/r.git"
    assert clean_remote("git@github.com:o/r.git") == "github.com:o/r.git"
    assert clean_remote("https://github.com/o/r") == "https://github.com/o/r"


def test_environment_rows_from_a_record():
    record = {"os": "Linux-6.1-x86_64", "python": "CPython 3.12.1", "program": "train.py",
              "args": ["--lr", "0.1", "a b"], "git": {"remote": "git@github.com:o/r.git",
                                                      "commit": SHA},
              "cpu_count": 8, "cpu_count_logical": 16, "memory": {"total": "17179869184"},
              "gpu_nvidia": [{"name": "A100", "memoryTotal": "42949672960"}] * 2,
              "cuda_version": "12.2"}
    rows = environment_rows(record, has_diff=True)
    assert rows["command"] == "python train.py --lr 0.1 'a b'"
    assert rows["git"] == {"remote": "github.com:o/r.git", "commit": SHA,
                           "url": f"https://github.com/o/r/commit/{SHA}"}
    assert rows["cpu"] == {"cores": 8, "logical": 16}
    assert rows["memory"] == "16.0 GB"
    assert rows["gpu"] == "2 × A100 (40.0 GB)" and rows["cuda"] == "12.2"
    assert rows["diff"] is True
    empty = environment_rows({}, has_diff=False)
    assert empty["git"] is None and empty["command"] is None and empty["memory"] is None


@pytest.mark.parametrize(("key", "unit"), [
    ("system.cpu", "%"), ("system.cpu.3.cpu_percent", "%"), ("system.memory_percent", "%"),
    ("system.proc.memory.rssMB", "MB"), ("system.proc.memory.availableMB", "MB"),
    ("system.disk./.usageGB", "GB"), ("system.disk./.usagePercent", "%"),
    ("system.disk.in", "MB"), ("system.disk.sda.out", "MB"),
    ("system.network.sent", "bytes"), ("system.gpu.0.gpu", "%"),
    ("system.gpu.0.memoryAllocatedBytes", "bytes"), ("system.gpu.1.temp", "°C"),
    ("system.gpu.0.powerWatts", "W"), ("system.gpu.0.smClock", "MHz"),
    ("system.proc.cpu.threads", "threads"), ("system.tpu.0.dutyCycle", None),
])
def test_system_units(key, unit):
    assert system_unit(key) == unit
