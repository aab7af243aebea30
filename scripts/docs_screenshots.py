"""Make the screenshots the docs embed (docs/img/*.png) from a live server with demo data.

    .venv/bin/python scripts/docs_screenshots.py [--docs docs]

It starts `wbserver serve` on a free port with a fresh data folder (one setting,
WBSERVER_SESSION_HOURS, set in its environment so that /system-admin shows it locked),
creates users with the CLI, fills a project with the real `wandb` client (three runs with
config, history and console output), then drives Debian's Chromium with Playwright and
saves one PNG per entry of SHOTS, in English (DOCS/img/) and in Spanish (DOCS/es/img/, the
pages as a browser preferring Spanish gets them). tests/ui/test_docs_screenshots.py runs it
into a temporary folder and checks that it makes every image the docs reference, so the
committed PNGs can always be made again from the code as it is.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "docs-screenshots-pw"
VIEWPORT = {"width": 1280, "height": 720}
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--hide-scrollbars"]
# the demo project: (run name, learning rate, optimiser, tags)
RUNS = (("baseline", 0.1, "adam", ["baseline"]), ("small-lr", 0.01, "adam", ["sweep"]),
        ("sgd", 0.05, "sgd", ["sweep"]))
CLIENT = textwrap.dedent("""
    import math, sys, wandb
    for name, lr, opt, tags in %r:
        run = wandb.init(project="mnist", name=name, tags=tags, notes="demo run " + name,
                         config={"lr": lr, "optimizer": opt, "epochs": 20, "batch_size": 64})
        print("training", name)
        for step in range(200):
            loss = 2.3 * math.exp(-lr * step / 4) + 0.05 * math.sin(step / 3)
            run.log({"loss": loss, "accuracy": 1 - loss / 2.5, "lr": lr * 0.99 ** step})
        print("done", name, file=sys.stderr)
        run.finish()
""")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Demo:
    """A live server with demo data, in a temporary folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {name: os.environ[name] for name in ("PATH", "LANG", "TZ", "TMPDIR")
                    if name in os.environ}
        self.env.update(HOME=str(folder / "home"), WBSERVER_DATA_DIR=str(folder / "data"),
                        HOST=self.url, WBSERVER_SESSION_HOURS="72", NO_PROXY="127.0.0.1")
        self.proc: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run([sys.executable, "-m", "wbserver", *args], env=self.env,
                              input=stdin, capture_output=True, text=True, timeout=120)
        if done.returncode:
            raise SystemExit(f"wbserver {' '.join(args)} failed:\n{done.stderr}")
        return done.stdout.strip()

    def start(self) -> None:
        (self.folder / "home").mkdir(parents=True, exist_ok=True)
        log = (self.folder / "server.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "wbserver", "serve", "--port", str(self.port)],
            env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the server did not start:\n"
                                 + (self.folder / "server.log").read_text())
            time.sleep(0.2)

    def fill(self) -> None:
        self.cli("users", "create", "alice", "--email", "alice@example.com", "--admin",
                 "--password-stdin", stdin=PASSWORD + "\n")
        for name in ("bob", "carol"):
            self.cli("users", "create", name, "--email", f"{name}@example.com")
        key = self.cli("keys", "create", "alice")
        work = self.folder / "client"
        work.mkdir()
        env = {**self.env, "HOME": str(work), "WANDB_BASE_URL": self.url, "WANDB_API_KEY": key,
               "WANDB_DIR": str(work), "WANDB_SILENT": "true", "WANDB_DISABLE_GIT": "true",
               "WANDB_DISABLE_CODE": "true", "WANDB_ERROR_REPORTING": "false",
               "WANDB_CONFIG_DIR": str(work / "config"), "WANDB_CACHE_DIR": str(work / "cache")}
        done = subprocess.run([sys.executable, "-c", CLIENT % (RUNS,)], cwd=work, env=env,
                              capture_output=True, text=True, timeout=300)
        if done.returncode:
            raise SystemExit(f"the wandb client failed:\n{done.stdout}\n{done.stderr}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def wait_js(page: Page, expression: str, timeout: float = 60.0) -> None:
    """Poll EXPRESSION with page.evaluate (the pages' CSP forbids wait_for_function's eval)."""
    check = f"() => {{ try {{ return !!({expression}); }} catch (e) {{ return false; }} }}"
    deadline = time.monotonic() + timeout
    while not page.evaluate(check):
        if time.monotonic() > deadline:
            raise SystemExit(f"waited in vain for {expression} on {page.url}")
        page.wait_for_timeout(100)


def login(page: Page, demo: Demo) -> None:
    page.goto(demo.url + "/login")
    page.fill("#username", "alice")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": 480})


def project(page: Page, demo: Demo) -> None:
    page.goto(demo.url + "/alice/mnist/table")  # the Runs tab (the workspace is the default)
    wait_js(page, "document.querySelectorAll('#runs-table tbody tr').length === 3")


def run(page: Page, demo: Demo) -> None:
    page.goto(demo.url + "/alice/mnist/table")
    page.click("#runs-table tbody tr .name a:text-is('baseline')")
    wait_js(page, "document.querySelectorAll('.chart canvas').length >= 3")
    page.evaluate("window.scrollTo(0, document.getElementById('charts').offsetTop - 16)")
    page.wait_for_timeout(300)  # the charts' last paint


def settings(page: Page, demo: Demo) -> None:
    page.goto(demo.url + "/system-admin")
    row = page.locator("tr[data-setting='WBSERVER_SESSION_HOURS']")
    row.scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, -160)")


def users(page: Page, demo: Demo) -> None:
    page.goto(demo.url + "/system-admin/users")


# file name -> what to show (signed in as alice for all but the sign-in page)
SHOTS: dict[str, Callable[[Page, Demo], None]] = {
    "login.png": login, "project.png": project, "run.png": run,
    "system-admin-settings.png": settings, "users.png": users}


# language -> (the browser's locale, the folder under --docs)
LANGUAGES = {"en": ("en-US", "img"), "es": ("es-ES", "es/img")}


def shoot(demo: Demo, docs: Path) -> list[Path]:
    made = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        for locale, folder in LANGUAGES.values():
            made += _shoot_in(browser, demo, docs / folder, locale)
        browser.close()
    return made


def _shoot_in(browser: Any, demo: Demo, out: Path, locale: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    made = []
    context = browser.new_context(viewport=VIEWPORT, locale=locale,
                                  extra_http_headers={"Accept-Language": locale})
    page = context.new_page()
    for name, show in SHOTS.items():
        page.set_viewport_size(VIEWPORT)
        if name != "login.png" and "/login" in (page.url or "/login"):
            page.goto(demo.url + "/login")
            page.fill("#username", "alice")
            page.fill("#password", PASSWORD)
            page.click("form:has(#password) button[type=submit]")
            page.wait_for_url(demo.url + "/")
        show(page, demo)
        path = out / name
        page.screenshot(path=str(path))
        made.append(path)
    context.close()
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=Path, default=ROOT / "docs",
                        help="the docs folder: PNGs go to its img/ and es/img/ (default: docs)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="wbserver-shots-") as folder:
        demo = Demo(Path(folder))
        try:
            demo.start()
            demo.fill()
            for path in shoot(demo, args.docs):
                print(f"{path} ({path.stat().st_size // 1024} KiB)")
        finally:
            demo.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
