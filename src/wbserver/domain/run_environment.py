"""What the client says about where a run ran: `wandb-metadata.json` (wandb-core's
EnvironmentRecord as protobuf JSON: os, python, program, args, git remote and commit, CPU,
GPU, memory; 64-bit numbers as strings), else the same record in the run's config
(`_wandb.e.<writer id>`); and the unit of each system metric the client samples."""

from __future__ import annotations

import re
import shlex
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from wbserver.domain.files import run_file_key
from wbserver.domain.json_text import loads
from wbserver.domain.models import Run
from wbserver.ports import BlobStore, MetadataStore

METADATA_FILE = "wandb-metadata.json"
DIFF_FILE = "diff.patch"
MAX_METADATA = 1 << 20
_COMMIT = re.compile(r"[0-9a-fA-F]{7,64}")
# web hosts whose commit pages have a known address: host -> path after owner/repo
COMMIT_PAGES = {"github.com": "commit", "gitlab.com": "-/commit", "bitbucket.org": "commits",
                "codeberg.org": "commit"}


def read_environment(store: MetadataStore, blobs: BlobStore, run: Run) -> dict[str, Any]:
    """The run's EnvironmentRecord as a dict ({} when the client sent none)."""
    found = store.get_run_file(run.id, METADATA_FILE)
    if found is not None and found.store in (None, blobs.name):
        data = bytearray()
        try:
            for chunk in blobs.open_read(run_file_key(run.id, METADATA_FILE)):
                data += chunk
                if len(data) > MAX_METADATA:
                    break
        except FileNotFoundError:
            data = bytearray()
        if 0 < len(data) <= MAX_METADATA:
            try:
                value = loads(data.decode("utf-8", errors="replace"))
            except ValueError:
                value = None
            if isinstance(value, dict):
                return value
    config = loads(run.config or "{}")
    wandb = config.get("_wandb") if isinstance(config, dict) else None
    if isinstance(wandb, dict) and isinstance(wandb.get("value"), dict):
        wandb = wandb["value"]
    writers = wandb.get("e") if isinstance(wandb, dict) else None
    if isinstance(writers, dict):
        for record in writers.values():
            if isinstance(record, dict):
                return record
    return {}


def clean_remote(remote: str) -> str:
    """A git remote without any user name or token in it."""
    if "://" in remote:
        parts = urlsplit(remote)
        host = parts.hostname or ""
        netloc = host + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    if "@" in remote.split(":", 1)[0]:  # scp-like user@host:path
        return remote.split("@", 1)[1]
    return remote


def commit_url(remote: str, commit: str) -> str | None:
    """The commit's web page when the remote is on a known web host, else None."""
    if not _COMMIT.fullmatch(commit):
        return None
    remote = clean_remote(remote)
    if "://" in remote:
        parts = urlsplit(remote)
        host, path = (parts.hostname or "").lower(), parts.path
    else:  # host:owner/repo(.git)
        host, _, path = remote.partition(":")
        host = host.lower()
    path = path.strip("/")
    if path.endswith(".git"):
        path = path[:-4]
    segment = COMMIT_PAGES.get(host)
    if segment is None or not re.fullmatch(r"[\w.\-]+(/[\w.\-]+)+", path):
        return None
    return f"https://{host}/{path}/{segment}/{commit}"


def _gb(value: Any) -> str | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return f"{number / 2**30:.1f} GB" if number > 0 else None


def environment_rows(record: dict[str, Any], *, has_diff: bool) -> dict[str, Any]:
    """The overview's lines: {os, python, command, git: {remote, commit, url}|None,
    diff, cpu, gpu, memory, cuda, docker} (absent values are None)."""
    def text(name: str) -> str | None:
        value = record.get(name)
        return str(value) if isinstance(value, str | int | float) and str(value) else None

    def section(name: str) -> dict[str, Any]:
        value = record.get(name)
        return value if isinstance(value, dict) else {}

    program = text("program") or text("codePath")
    found_args = record.get("args")
    args: list[Any] = found_args if isinstance(found_args, list) else []
    command = None
    if program:
        command = " ".join(shlex.quote(str(a)) for a in ["python", program, *args])
    git = section("git")
    remote = clean_remote(str(git.get("remote") or ""))
    commit = str(git.get("commit") or "")
    cpu = section("cpu")
    cores = record.get("cpu_count") or cpu.get("count")
    logical = record.get("cpu_count_logical") or cpu.get("countLogical")
    cpu_text = {"cores": cores, "logical": logical} if cores or logical else None
    gpus = [g for g in record.get("gpu_nvidia") or [] if isinstance(g, dict)]
    gpu_text = None
    if gpus:
        names: dict[str, int] = {}
        for g in gpus:
            label = str(g.get("name") or "GPU")
            memory = _gb(g.get("memoryTotal"))
            label += f" ({memory})" if memory else ""
            names[label] = names.get(label, 0) + 1
        gpu_text = ", ".join(f"{n} × {label}" for label, n in names.items())
    elif text("gpu"):
        gpu_text = f"{record.get('gpu_count') or 1} × {text('gpu')}"
    memory_total = _gb(section("memory").get("total"))
    return {"os": text("os"), "python": text("python"), "command": command,
            "host": text("host"), "executable": text("executable"),
            "git": {"remote": remote, "commit": commit, "url": commit_url(remote, commit)}
            if remote or commit else None,
            "diff": has_diff, "cpu": cpu_text, "gpu": gpu_text,
            "memory": memory_total, "cuda": text("cuda_version") or
            text("cudaVersion"), "docker": text("docker")}


_UNITS = ((re.compile(r"(?i).*percent|system\.cpu|system\.gpu\.\d+\.(gpu|memory|"
                      r"memoryAllocated|fanSpeed)"), "%"),
          (re.compile(r".*\.temp"), "°C"),
          (re.compile(r".*Watts"), "W"),
          (re.compile(r".*Clock"), "MHz"),
          (re.compile(r".*GB"), "GB"),
          (re.compile(r".*MB|system\.disk\.(.+\.)?(in|out)"), "MB"),
          (re.compile(r".*Bytes|system\.network\.(sent|recv)"), "bytes"),
          (re.compile(r".*\.threads"), "threads"))


def system_unit(key: str) -> str | None:
    """The unit of a system metric the client samples (`system.cpu` → %, `system.gpu.0.temp`
    → °C, `system.disk./.usageGB` → GB …), None when not known."""
    for pattern, unit in _UNITS:
        if pattern.fullmatch(key):
            return unit
    return None
