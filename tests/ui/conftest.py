"""Browser tests: Debian's Chromium driven by Playwright against a live `wbserver serve`.

Every page is watched: a console error (a Content-Security-Policy violation is one) or a
request to anything but 127.0.0.1 fails the test. Screenshots go to test-artifacts/ui/ (or $WBSERVER_TEST_ARTIFACTS/ui)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from e2e.harness import PYTHON, Server, _wait_healthy, base_env, free_port
from playwright.sync_api import Browser, Page, TimeoutError as PlaywrightTimeout, sync_playwright

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("WBSERVER_TEST_ARTIFACTS",
                                Path(__file__).resolve().parents[2] / "test-artifacts")) / "ui"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--disable-quic", "--no-first-run"]


def start_bare_server(root: Path, extra_env: dict[str, str] | None = None,
                      data_dir: Path | None = None) -> Server:
    """A server with no users at all (first-run state), or a second process on DATA_DIR."""
    root.mkdir(parents=True, exist_ok=True)
    data_dir = data_dir or root / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = base_env(root)
    env["WBSERVER_DATA_DIR"] = str(data_dir)
    env.update(extra_env or {})
    port = free_port()
    log_path = root / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([PYTHON, "-m", "wbserver", "serve", "--port", str(port),
                                 "--data-dir", str(data_dir)], env=env, stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    server = Server(data_dir=data_dir, port=port, proc=proc, log_path=log_path, env=env)
    try:
        _wait_healthy(server)
    except BaseException:
        server.stop()
        raise
    return server


def wait_until(page: Page, expression: str, timeout: float = 60.0) -> None:
    """Wait for the JavaScript EXPRESSION to hold in PAGE (PlaywrightTimeout if it does not).

    Polls with page.evaluate, which the pages' Content-Security-Policy allows: Playwright's
    wait_for_function compiles its predicate inside the page, which a policy without
    'unsafe-eval' refuses."""
    check = f"() => {{ try {{ return !!({expression}); }} catch (e) {{ return false; }} }}"
    deadline = time.monotonic() + timeout
    while not page.evaluate(check):
        if time.monotonic() > deadline:
            raise PlaywrightTimeout(f"waited {timeout:.0f} s in vain for {expression}")
        page.wait_for_timeout(100)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "Debian's chromium is required (apt-get install chromium)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield browser
        browser.close()


class WatchedPage:
    """A page plus what it did wrong: console errors and requests leaving 127.0.0.1."""

    def __init__(self, page: Page, name: str) -> None:
        self.page = page
        self.name = name
        self.errors: list[str] = []
        self.foreign: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", self._request)

    def _request(self, request) -> None:  # type: ignore[no-untyped-def]
        host = urlsplit(request.url).hostname
        if request.url.startswith(("data:", "blob:", "about:")):
            return
        if host not in ("127.0.0.1", "localhost"):
            self.foreign.append(request.url)

    def shot(self, label: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{self.name}-{label}.png"), full_page=True)

    def forget(self) -> None:
        """Drop what was seen so far (e.g. on a third party's pages, like the test provider's)."""
        self.errors.clear()
        self.foreign.clear()

    def check_clean(self) -> None:
        assert not self.errors, f"console errors: {self.errors}"
        assert not self.foreign, f"requests leaving 127.0.0.1: {self.foreign}"


@pytest.fixture
def new_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator:  # type: ignore[type-arg]
    contexts = []

    def make(label: str = "page") -> WatchedPage:
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        contexts.append(context)
        return WatchedPage(context.new_page(), f"{request.node.name}-{label}")

    yield make
    for context in contexts:
        context.close()
