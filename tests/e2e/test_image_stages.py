"""The container image's two stages, run without a container engine: the Dockerfile's build
stage commands make the wheels, its runtime stage command installs them (no index) into a
fresh virtualenv, and the server started by its CMD passes its HEALTHCHECK, serves the UI
from the package and exits 0 on SIGTERM. Needs the package index, as `docker build` does."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from unit.test_deploy_files import BUILD, RUNTIME, build_context, exec_form, instructions

from .harness import base_env, free_port


def _shell(command: str, venv: Path, cwd: Path) -> None:
    """A RUN line, with the venv's pip first on PATH and the pip settings of this machine."""
    env = {k: v for k, v in os.environ.items() if k.startswith("PIP_") or "proxy" in k.lower()}
    env |= base_env(cwd) | {"PATH": f"{venv}/bin:{os.environ['PATH']}"}
    env.pop("PYTHONPATH", None)
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{command}\n{done.stdout[-2000:]}{done.stderr[-3000:]}"


def _get(url: str) -> int:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(url, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_image_stages_give_a_server_that_passes_its_healthcheck_and_stops_cleanly(tmp_path):
    wheels = tmp_path / "wheels"
    context = build_context(tmp_path / "src")
    build, runtime = tmp_path / "build-venv", tmp_path / "runtime-venv"
    for venv in (build, runtime):
        subprocess.run(["python3", "-m", "venv", str(venv)], check=True, timeout=120)

    pip_runs = [run for run in instructions(BUILD, "RUN") if run.startswith("pip ")]
    assert len(pip_runs) == 2, pip_runs
    for run in pip_runs:
        _shell(run.replace("/wheels", str(wheels)), build, context)
    installs = [run for run in instructions(RUNTIME, "RUN") if run.startswith("pip install")]
    assert len(installs) == 1 and "--no-index" in installs[0]
    _shell(installs[0].replace("/wheels", str(wheels)), runtime, tmp_path)
    assert not wheels.exists(), "the runtime stage removes the wheels after installing them"
    # the C MySQL driver is in the image (against the runtime stage's libmariadb3)
    subprocess.run([str(runtime / "bin" / "python"), "-c", "import MySQLdb"], check=True,
                   timeout=60)

    env_line = " ".join(instructions(RUNTIME, "ENV"))
    data = tmp_path / "data"
    data.mkdir()
    assert "WBSERVER_DATA_DIR=/data" in env_line
    port = free_port()
    command = [str(runtime / "bin" / part) if n == 0 else part
               for n, part in enumerate(exec_form(instructions(RUNTIME, "CMD")[-1]))]
    command[command.index("--port") + 1] = str(port)
    env = base_env(tmp_path) | {"WBSERVER_DATA_DIR": str(data),
                                "PATH": f"{runtime}/bin:/usr/bin:/bin"}
    env.pop("PYTHONPATH", None)
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(command, cwd=data, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        health = exec_form(instructions(RUNTIME, "HEALTHCHECK")[0].split(" CMD ", 1)[1])
        health = [part.replace(":8080/", f":{port}/") for part in health]
        deadline = time.monotonic() + 60
        while subprocess.run(health, env=env, capture_output=True, timeout=30).returncode:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "the HEALTHCHECK never passed"
            time.sleep(0.5)
        base = f"http://127.0.0.1:{port}"
        assert _get(f"{base}/readyz") == 200
        # the first-admin page (a template of the package), with the link the log prints
        # for a server listening beyond loopback
        link = re.search(r"/setup\?token=\S+", (tmp_path / "serve.log").read_text())
        assert link, (tmp_path / "serve.log").read_text()
        assert _get(f"{base}{link.group(0)}") == 200
        assert _get(f"{base}/static/app.css") == 200  # a static file of the package
        accel = subprocess.run([str(runtime / "bin" / "python"), "-c",
                                "import wbserver.domain._accel"], env=env, timeout=60)
        assert accel.returncode == 0, "the runtime has no compiled accelerator"
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=40) == 0, (tmp_path / "serve.log").read_text()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        log.close()
