"""README.md, followed to the letter: its "Install and start" commands, read from the README
at test time, run one after the other in a copy of the repository with a fresh `.venv` and a
temporary HOME; the admin it creates signs in in Chromium through the link `users create`
prints, and the README's Python snippet logs a run with the real client.

Kept fast: the commands run with PYTHONPATH naming this test environment's site-packages, so
the README's `pip install -e .` and `pip install wandb` find every dependency installed already
(the fresh venv still gets its own editable wbserver and `wbserver` script, built from the
copy) instead of downloading them; only the build requirements (setuptools, wheel) come from
the package index, into pip's isolated build environment. The server listens on the README's
127.0.0.1:8080, so that port must be free."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
ADDRESS = "http://127.0.0.1:8080"
NOT_COPIED = shutil.ignore_patterns(".venv", ".git", "node_modules", "__pycache__", "*.egg-info",
                                    "build", ".pytest_cache", "test-artifacts", "*.so")


def quick_start() -> tuple[list[str], str]:
    """The bash blocks and the Python block of the README's "Install and start" section."""
    text = README.read_text()
    section = text[text.index("## Install and start"):]
    section = section[:section.index("\n## ", 1)]
    bash = re.findall(r"```bash\n(.*?)```", section, re.S)
    python = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(bash) >= 3 and len(python) == 1, "the README's quick start changed shape"
    return bash, python[0]


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_the_readme_reaches_a_signed_in_browser_and_a_logged_run(tmp_path, new_page):
    assert port_is_free(8080), "the README test runs the server on 127.0.0.1:8080: free it"
    bash, snippet = quick_start()
    clone, home = tmp_path / "clone", tmp_path / "home"
    shutil.copytree(REPO, clone, ignore=NOT_COPIED)
    home.mkdir()
    here = Path(sys.executable).parent  # python3 (same version), and pip/wandb of this env
    env = {"HOME": str(home), "PATH": f"{clone / '.venv' / 'bin'}:{here}:/usr/bin:/bin",
           "PYTHONPATH": sysconfig.get_paths()["purelib"], "PIP_DISABLE_PIP_VERSION_CHECK": "1",
           "LANG": os.environ.get("LANG", "C.UTF-8"), "NO_PROXY": "127.0.0.1,localhost"}

    def sh(script: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=clone, env=env,
                              capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, f"{script}\n{done.stdout}\n{done.stderr}"
        return done

    first = bash[0].strip()
    assert first.endswith("wbserver serve"), "the README's first command ends by serving"
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 - closed in finally
    serving = subprocess.Popen(["bash", "-c", first], cwd=clone, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        while True:
            try:
                if httpx.get(ADDRESS + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert serving.poll() is None, (tmp_path / "serve.log").read_text()[-4000:]
            assert time.monotonic() < deadline, "the README's server did not come up"
            time.sleep(0.5)
        assert (clone / ".venv" / "bin" / "wbserver").exists()  # the fresh venv's own script
        used = sh(".venv/bin/python -c 'import wbserver; print(wbserver.__file__)'").stdout
        assert used.strip().startswith(str(clone / "src")), used  # the copy's code, not ours
        assert (home / ".wbserver" / "wbserver.sqlite").exists()  # data in ~/.wbserver

        made = sh(bash[1])
        link = made.stdout.strip().splitlines()[-1]
        assert link.startswith(ADDRESS + "/reset/"), made.stdout + made.stderr
        watched = new_page("readme")
        page = watched.page
        page.goto(link)
        page.fill("input[name=password]", "a long password for alice")
        page.click("button[type=submit]")
        page.goto(ADDRESS + "/login")
        page.fill("input[name=username]", "alice")
        page.fill("input[name=password]", "a long password for alice")
        page.click("button[type=submit]")
        page.wait_for_load_state()
        page.goto(ADDRESS + "/settings")
        assert page.url == ADDRESS + "/settings", page.url  # not sent back to /login
        assert page.locator("header.top a[href='/settings']").inner_text() == "alice"
        watched.check_clean()

        sh("\n".join(bash[2:]))  # pip install wandb, the key, wandb login --host
        ran = subprocess.run([str(clone / ".venv" / "bin" / "python"), "-c", snippet], cwd=clone,
                             env=env, capture_output=True, text=True, timeout=300)
        assert ran.returncode == 0, ran.stdout + ran.stderr
        assert ran.stdout.strip().splitlines()[-1] == "0.01"  # loss of step 99
        page.goto(ADDRESS + "/alice/demo")
        assert page.locator("text=demo").first.is_visible()
    finally:
        if serving.poll() is None:
            os.killpg(serving.pid, signal.SIGTERM)
            serving.wait(timeout=30)
        log.close()
