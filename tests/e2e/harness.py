"""Shared helpers for the end-to-end tests.

A live ``wbserver serve`` subprocess (``Server``) and a runner for Python
scripts that use the real ``wandb`` client in their own subprocess, with an
isolated environment (``Client``). Nothing here reads the developer's home
directory, ``~/.netrc`` or the internet.
"""

from __future__ import annotations

import base64
import functools
import importlib.metadata
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

PYTHON = sys.executable
CLIENTS_DIR = Path(__file__).parent / "clients"
REPO = Path(__file__).resolve().parents[2]

# The wandb clients that the tests marked with `each_client()` run with: the pinned one (in this
# interpreter's venv) and the older protocol generation, in the venv scripts/test keeps from
# OLD_CLIENT_REQUIREMENTS. The server is always this interpreter's wbserver.
PINNED_CLIENT = f"wandb{importlib.metadata.version('wandb')}"
OLD_CLIENT = "wandb0.28.2"
OLD_CLIENT_VENV = REPO / ".venv-wandb028"
OLD_CLIENT_REQUIREMENTS = Path(__file__).parent / "wandb-0.28.2-requirements.txt"
CLIENT_VERSIONS = (PINNED_CLIENT, OLD_CLIENT)

SERVER_START_TIMEOUT = 60.0
CLI_TIMEOUT = 60.0
CLIENT_TIMEOUT = 240.0

# Environment variables a child process may inherit; everything else (proxies,
# the developer's WANDB_* settings, credentials) is dropped.
_INHERITED = ("PATH", "PYTHONPATH", "LANG", "LC_ALL", "TZ", "TMPDIR", "SYSTEMROOT")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_env(home: Path) -> dict[str, str]:
    env = {name: os.environ[name] for name in _INHERITED if name in os.environ}
    env["HOME"] = str(home)
    env["PYTHONUNBUFFERED"] = "1"
    env["NO_PROXY"] = "127.0.0.1,localhost"
    return env


def show(result: subprocess.CompletedProcess[str], what: str) -> str:
    """A readable dump of a finished subprocess, for assertion messages."""
    return (
        f"{what}: exit code {result.returncode}\n"
        f"----- stdout -----\n{result.stdout}\n"
        f"----- stderr -----\n{result.stderr}\n"
    )


def _tail(path: Path, limit: int = 6000) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no output file)"
    return text[-limit:]


# --------------------------------------------------------------------------- client versions


class ClientMissing(Exception):
    """The venv of a client version is missing or broken: the test errors (never skips), and
    an xfail mark (which expects an AssertionError) does not swallow it."""


@functools.cache
def client_python(version: str) -> str:
    """The interpreter whose ``wandb`` is VERSION (one of CLIENT_VERSIONS)."""
    if version == PINNED_CLIENT:
        return PYTHON
    if version != OLD_CLIENT:
        raise ClientMissing(f"unknown client version {version!r}: {CLIENT_VERSIONS}")
    python = OLD_CLIENT_VENV / "bin" / "python"
    how = (f"scripts/test creates it (python3 -m venv {OLD_CLIENT_VENV.name} && "
           f"{OLD_CLIENT_VENV.name}/bin/pip install -r "
           f"{OLD_CLIENT_REQUIREMENTS.relative_to(REPO)})")
    if not python.exists():
        raise ClientMissing(f"no venv with the {version} client at {OLD_CLIENT_VENV}: {how}")
    found = subprocess.run([str(python), "-c", "import wandb; print(wandb.__version__)"],
                           capture_output=True, text=True, timeout=CLI_TIMEOUT)
    if found.stdout.strip() != version.removeprefix("wandb"):
        raise ClientMissing(show(found, f"{python} holds no wandb {version}") + how)
    return str(python)


def each_client(*, xfail: dict[str, str] | None = None) -> pytest.MarkDecorator:
    """Parametrize a test (or, as ``pytestmark``, a module) over CLIENT_VERSIONS, with ids
    ``wandb0.31.0`` / ``wandb0.28.2``; the module's server and clients are made once per
    version. XFAIL maps a version to why it fails today: a strict xfail, so that the run
    fails once it passes and the mark is taken off."""
    params = [pytest.param(version, id=version, marks=[
        pytest.mark.xfail(strict=True, raises=AssertionError, reason=(xfail or {})[version])
    ] if version in (xfail or {}) else []) for version in CLIENT_VERSIONS]
    return pytest.mark.parametrize("wandb_version", params, indirect=True, scope="module")


# --------------------------------------------------------------------------- server


@dataclass
class Server:
    data_dir: Path
    port: int
    proc: subprocess.Popen[bytes] = field(repr=False)
    log_path: Path = field(repr=False)
    env: dict[str, str] = field(repr=False)
    api_key: str = field(default="", repr=False)
    user: str = "alice"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def logs(self) -> str:
        return _tail(self.log_path)

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``python -m wbserver ARGS --data-dir DIR``."""
        cmd = [PYTHON, "-m", "wbserver", *args, "--data-dir", str(self.data_dir)]
        result = subprocess.run(
            cmd, env=self.env, capture_output=True, text=True, timeout=CLI_TIMEOUT
        )
        if check and result.returncode != 0:
            raise AssertionError(show(result, " ".join(cmd[1:])))
        return result

    def create_user(self, name: str, email: str, *, admin: bool = False) -> None:
        self.cli("users", "create", name, "--email", email, *(["--admin"] if admin else []))

    def set_password(self, name: str, password: str) -> None:
        """Give a user a password (for signing in on the pages)."""
        cmd = [PYTHON, "-m", "wbserver", "users", "reset-password", name, "--password-stdin",
               "--data-dir", str(self.data_dir)]
        result = subprocess.run(cmd, env=self.env, input=password + "\n", capture_output=True,
                                text=True, timeout=CLI_TIMEOUT)
        if result.returncode != 0:
            raise AssertionError(show(result, "users reset-password"))

    def create_key(self, name: str) -> str:
        result = self.cli("keys", "create", name)
        key = result.stdout.strip()
        assert key.startswith("local-") and len(key) == len("local-") + 40 and "\n" not in key, (
            "`wbserver keys create` must print only the new key:\n" + show(result, "keys create")
        )
        return key

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        # The server was started in its own session: its PID is its process group id.
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=15)


def start_server(root: Path, extra_env: dict[str, str] | None = None,
                 port: int | None = None, create_admin: bool = True) -> Server:
    """Start ``wbserver serve`` on a free port (or PORT) with a fresh data dir under ROOT,
    wait for /healthz, create the admin user ``alice`` and an API key for her (unless
    CREATE_ADMIN is false: a data dir restored from a backup already has them)."""
    root.mkdir(parents=True, exist_ok=True)
    data_dir = root / "data"
    data_dir.mkdir(exist_ok=True)
    home = root / "server-home"
    home.mkdir(exist_ok=True)
    env = base_env(home)
    env["WBSERVER_DATA_DIR"] = str(data_dir)
    env.update(extra_env or {})
    for attempt in range(3):
        server = _spawn(data_dir, env, root / f"server{attempt}.log", port)
        try:
            _wait_healthy(server)
        except AssertionError:
            server.stop()
            # Another process may have taken the free port in the meantime.
            if port is None and attempt < 2 and "address already in use" in server.logs().lower():
                continue
            raise
        break
    if not create_admin:
        return server
    try:
        server.create_user("alice", "alice@example.com", admin=True)
        server.api_key = server.create_key("alice")
    except BaseException:
        server.stop()
        raise
    return server


def _spawn(data_dir: Path, env: dict[str, str], log_path: Path, port: int | None = None) -> Server:
    port = port or free_port()
    cmd = [PYTHON, "-m", "wbserver", "serve", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--data-dir", str(data_dir)]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    return Server(data_dir=data_dir, port=port, proc=proc, log_path=log_path, env=env)


def _wait_healthy(server: Server) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    last = "no answer yet"
    while time.monotonic() < deadline:
        if not server.alive():
            raise AssertionError(
                f"wbserver serve exited with code {server.proc.returncode} before it was ready"
                f"\n----- server output -----\n{server.logs()}"
            )
        try:
            resp = httpx.get(server.url + "/healthz", timeout=2)
            if resp.status_code == 200:
                resp.json()  # must be JSON
                return
            last = f"HTTP {resp.status_code}: {resp.text[:200]}"
        except (httpx.HTTPError, ValueError) as exc:
            last = repr(exc)
        time.sleep(0.2)
    raise AssertionError(
        f"wbserver did not answer GET /healthz within {SERVER_START_TIMEOUT:.0f} s "
        f"(last: {last})\n----- server output -----\n{server.logs()}"
    )


# --------------------------------------------------------------------------- raw HTTP


def basic_auth(api_key: str) -> dict[str, str]:
    token = base64.b64encode(f"api:{api_key}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def graphql(server: Server, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """POST a GraphQL document as the client does; return ``data`` (fail on errors)."""
    resp = httpx.post(
        server.url + "/graphql",
        json={"query": query, "variables": variables or {}},
        headers=basic_auth(server.api_key),
        timeout=30,
    )
    assert resp.status_code == 200, f"GraphQL HTTP {resp.status_code}: {resp.text[:2000]}"
    body = resp.json()
    assert not body.get("errors"), f"GraphQL errors: {body['errors']}"
    return body["data"]


RUN_RESUME_STATUS = """
query RunResumeStatus ($project: String, $entity: String, $name: String!) {
  model(name: $project, entityName: $entity) {
    id name entity { id name }
    bucket(name: $name, missingOk: true) {
      id name summaryMetrics displayName logLineCount historyLineCount eventsLineCount
      historyTail eventsTail config tags notes wandbConfig(keys: ["t"])
    }
  }
}
"""


def resume_status(server: Server, entity: str, project: str, run: str) -> dict[str, Any]:
    """The run's stream counters and tails, as wandb-core asks for them on resume."""
    variables = {"project": project, "entity": entity, "name": run}
    model = graphql(server, RUN_RESUME_STATUS, variables)["model"]
    assert model and model["bucket"], f"RunResumeStatus found no run {variables}: {model}"
    return model["bucket"]


# --------------------------------------------------------------------------- client


@dataclass
class Client:
    """Runs scripts that use the real wandb client, each in a fresh subprocess.

    Every client gets its own HOME, WANDB_DIR, WANDB_CACHE_DIR, WANDB_CONFIG_DIR
    and a working directory, all under ``root``.
    """

    server: Server
    root: Path
    api_key: str | None = None  # None: the server's key; "": no WANDB_API_KEY
    set_base_url: bool = True  # False: no WANDB_BASE_URL (e.g. to test `wandb login --host`)
    extra_env: dict[str, str] = field(default_factory=dict)
    python: str = PYTHON  # the interpreter (so the wandb client version) its scripts run with

    def __post_init__(self) -> None:
        if self.api_key is None:
            self.api_key = self.server.api_key
        for sub in ("home", "wandb", "cache", "config", "work", "io"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    @property
    def workdir(self) -> Path:
        return self.root / "work"

    def env(self) -> dict[str, str]:
        env = base_env(self.root / "home")
        if self.set_base_url:
            env["WANDB_BASE_URL"] = self.server.url
        env.update(
            WANDB_DIR=str(self.root / "wandb"),
            WANDB_CACHE_DIR=str(self.root / "cache"),
            WANDB_CONFIG_DIR=str(self.root / "config"),
            WANDB_DATA_DIR=str(self.root / "cache" / "data"),
            WANDB_ARTIFACT_DIR=str(self.root / "cache" / "artifacts"),
            WANDB_SILENT="true",
            WANDB_DISABLE_GIT="true",
            WANDB_DISABLE_CODE="true",
            WANDB_ERROR_REPORTING="false",
        )
        if self.api_key:
            env["WANDB_API_KEY"] = self.api_key
        env.update(self.extra_env)
        return env

    def run(self, *args: str, timeout: float = CLIENT_TIMEOUT) -> subprocess.CompletedProcess[str]:
        """Run ``python ARGS`` in the isolated environment (no check)."""
        try:
            return subprocess.run(
                [self.python, *args],
                cwd=self.workdir,
                env=self.env(),
                capture_output=True,
                text=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(
                f"client `{' '.join(args)}` did not finish within {timeout:.0f} s\n"
                f"----- stdout -----\n{exc.stdout!r}\n----- stderr -----\n{exc.stderr!r}\n"
                f"----- server output -----\n{self.server.logs()}"
            ) from None

    def wandb_cli(
        self, *args: str, timeout: float = CLIENT_TIMEOUT
    ) -> subprocess.CompletedProcess[str]:
        return self.run("-m", "wandb", *args, timeout=timeout)

    def script(
        self,
        name: str,
        spec: dict[str, Any],
        *,
        check: bool = True,
        timeout: float = CLIENT_TIMEOUT,
    ) -> tuple[dict[str, Any], subprocess.CompletedProcess[str]]:
        """Run ``clients/NAME`` with SPEC (as a JSON file); return what it wrote to
        its output JSON file (empty if it wrote nothing) and the process result."""
        tag = f"{Path(name).stem}-{secrets.token_hex(4)}"
        spec_path = self.root / "io" / f"{tag}.spec.json"
        out_path = self.root / "io" / f"{tag}.out.json"
        spec_path.write_text(json.dumps(spec))
        result = self.run(str(CLIENTS_DIR / name), str(spec_path), str(out_path), timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(
                show(result, f"client script {name}")
                + f"----- server output -----\n{self.server.logs()}"
            )
        out = json.loads(out_path.read_text()) if out_path.exists() else {}
        return out, result

    def popen(self, name: str, spec: dict[str, Any]) -> tuple[subprocess.Popen[str], Path]:
        """Start ``clients/NAME`` in its own process group; returns (process, out path)."""
        tag = f"{Path(name).stem}-{secrets.token_hex(4)}"
        spec_path = self.root / "io" / f"{tag}.spec.json"
        out_path = self.root / "io" / f"{tag}.out.json"
        spec_path.write_text(json.dumps(spec))
        proc = subprocess.Popen(
            [self.python, str(CLIENTS_DIR / name), str(spec_path), str(out_path)],
            cwd=self.workdir,
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            stdin=subprocess.DEVNULL,
        )
        return proc, out_path

    def read_run(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Read a run (and optionally a project's run list) back with wandb.Api()."""
        out, _ = self.script("api_read.py", spec)
        return out


# --------------------------------------------------------------------------- comparisons


def user_view(row: dict[str, Any]) -> dict[str, Any]:
    """A history row or summary restricted to what the user logged, plus ``_step``."""
    return {k: v for k, v in row.items() if not k.startswith("_") or k == "_step"}


def section(result: dict[str, Any], name: str) -> Any:
    """A section of api_read.py's output; fail with its traceback if it raised."""
    assert name in result, f"api_read.py wrote no section {name!r}: {sorted(result)}"
    entry = result[name]
    assert "error" not in entry, f"reading {name!r} with wandb.Api() failed:\n{entry['error']}"
    return entry["value"]


def wait_for(predicate, *, timeout: float, interval: float = 2.0, what: str = "condition"):
    """Poll PREDICATE (returning a truthy value when done) up to TIMEOUT seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def live_workers(pid: int) -> set[int]:
    """The live worker processes of `wbserver serve --workers` (a killed one is a zombie
    until it is reaped; multiprocessing's resource tracker is no worker)."""
    import psutil

    found = set()
    for child in psutil.Process(pid).children():
        try:
            if child.status() != psutil.STATUS_ZOMBIE and \
                    "resource_tracker" not in " ".join(child.cmdline()):
                found.add(child.pid)
        except (psutil.ZombieProcess, psutil.NoSuchProcess):
            pass
    return found


def log_and_read_back_a_rich_run(server: Server, root: Path, project: str,
                                 run_id: str) -> None:
    """The real client logs a run (config, 120 history rows, console, a saved file) and
    reads it back: state, config, scanned and sampled history and files are what it logged."""
    client = Client(server=server, root=root)
    spec = {"init": {"project": project, "id": run_id, "config": {"lr": 0.5}},
            "steps": 120, "hist_every": 40, "best": 0.7, "console": True,
            "save": {"name": "saved.txt", "content": f"on {project}\n"}}
    logged, _ = client.script("log_run.py", spec)
    read = client.read_run({"run": f"alice/{project}/{run_id}",
                            "sections": ["attrs", "config", "summary", "history", "scan", "files"]})
    assert section(read, "attrs")["state"] == "finished"
    assert section(read, "config") == {"lr": 0.5}
    expected = [{**row, "_step": i} for i, row in enumerate(logged["rows"])]
    assert [user_view(r) for r in section(read, "scan")] == expected
    assert [user_view(r) for r in section(read, "history")] == expected
    assert "saved.txt" in {f["name"] for f in section(read, "files")}
