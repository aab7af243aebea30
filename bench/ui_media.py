"""Media panel benchmark: a run whose `wandb.Table` has 1,000 rows with an image each, logged
by the real wandb client. Prints the server's time for the table's JSON (median of 5) and
headless Chromium's time from navigation to the table panel drawn (its first page of rows
and their images loaded), from a blank page in a new browser context (empty cache) and once
more in the same tab, median of 3 each. Figures, not pass/fail.

    .venv/bin/python bench/ui_media.py [--rows 1000]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from e2e.harness import Client, start_server  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from ui.conftest import CHROMIUM, LAUNCH_ARGS  # noqa: E402

PASSWORD = "bench password"
# the panel brought into view as soon as it exists (its images load lazily, as a reader
# scrolling to it would see them), then: drawn, and every image of its first page loaded
READY = """() => { const panel = document.querySelector('[data-key="predictions"]');
  if (!panel) return false;
  if (!panel.dataset.seen) { panel.scrollIntoView(); panel.dataset.seen = '1'; }
  const imgs = Array.from(panel.querySelectorAll('tbody img'));
  return panel.querySelector('.panel-body').dataset.ready === '1' && imgs.length > 0 &&
    imgs.every(i => i.complete && i.naturalWidth > 0); }"""


# the requests a load made: [scripts and styles, JSON, files (images)]
COUNT = """() => { const out = [0, 0, 0];
  for (const e of performance.getEntriesByType('resource')) {
    const path = new URL(e.name).pathname;
    out[/^\\/(static|_assets)\\//.test(path) ? 0 : /\\/(_view|file)\\/|table-file/.test(path) ? 2 : 1] += 1;
  }
  return out; }"""


def wait_drawn(page) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 60
    while not page.evaluate(READY):
        if time.monotonic() > deadline:
            raise TimeoutError("the table panel was not drawn within 60 s")
        page.wait_for_timeout(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1000)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-ui-media-"))
    server = start_server(root / "srv")
    try:
        server.set_password("alice", PASSWORD)
        client = Client(server=server, root=root / "client")
        started = time.perf_counter()
        logged, _ = client.script("log_media.py", {"init": {"project": "bench", "name": "t"},
                                                   "steps": 1, "table_rows": args.rows,
                                                   "only_table": True},
                                  timeout=900)
        print(f"client logged the run ({args.rows}-row table with images) in "
              f"{time.perf_counter() - started:.1f} s")
        run_url = f"{server.url}/alice/bench/runs/{logged['id']}"
        api = f"{server.url}/_ui/alice/bench/runs/{logged['id']}"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                        args=LAUNCH_ARGS)
            context = browser.new_context(viewport={"width": 1440, "height": 900})
            page = context.new_page()
            page.goto(server.url + "/login")
            page.fill("#username", "alice")
            page.fill("#password", PASSWORD)
            page.click("button:has-text('Sign in')")
            page.wait_for_url(server.url + "/")
            json_times = []
            for _ in range(5):
                t0 = time.perf_counter()
                response = page.request.get(f"{api}/media/table?key=predictions")
                json_times.append(time.perf_counter() - t0)
                assert response.ok and len(response.json()["data"]) == args.rows
            print(f"table JSON ({len(response.body()) / 1024:.0f} KiB, {args.rows} rows): "
                  f"median {statistics.median(json_times) * 1000:.0f} ms")
            state = context.storage_state()
            cold, warm = [], []
            requests: list[int] = []
            for _ in range(3):  # a new browser context each time: nothing cached
                fresh = browser.new_context(viewport={"width": 1440, "height": 900},
                                            storage_state=state)
                tab = fresh.new_page()
                for times in (cold, warm):  # then once more in the same context
                    tab.goto("about:blank")
                    t0 = time.perf_counter()
                    tab.goto(run_url + "#media")
                    wait_drawn(tab)
                    times.append(time.perf_counter() - t0)
                    if times is cold:
                        requests = tab.evaluate(COUNT)
                fresh.close()
            print(f"run page to the {args.rows}-row table drawn (first page, images loaded): "
                  f"median {statistics.median(cold) * 1000:.0f} ms with an empty cache "
                  f"({', '.join(f'{t * 1000:.0f}' for t in cold)}), "
                  f"median {statistics.median(warm) * 1000:.0f} ms again in the same tab "
                  f"({', '.join(f'{t * 1000:.0f}' for t in warm)})")
            print(f"requests of a load with an empty cache: {sum(requests)} ({requests[0]} "
                  f"scripts and styles, {requests[1]} JSON, {requests[2]} files)")
            browser.close()
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
