"""Web UI benchmark: a project of 10,000 runs and a run with a 1,000,000-point metric
(`--part table`), and the project workspace (`--part workspace`, bench/ui_workspace.py).

Prints the server's time for the runs-table page and its JSON (default order, sorted by a
config key, filtered by a summary value), the chart data request (whole run, downsampled, and
a zoomed range at full resolution), and Chromium's time to draw the chart; for the workspace,
one panel's data over 200 runs, Chromium's time to draw every visible panel of 200 runs x 8
metrics x 2,000 steps, and the runs list's scroll and filter on 1,000 runs. Figures, not
pass/fail.

    .venv/bin/python bench/ui.py [--part all|table|workspace] [--runs 10000] [--points 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx
import numpy as np

from wbserver.app import open_store
from wbserver.config.runtime import SettingsSource
from wbserver.domain.clock import utcnow
from wbserver.domain.history_codec import rollup_segment
from wbserver.domain.models import HistorySegment, StreamWrite
from wbserver.domain.users import create_user
from wbserver.metadata import tables as t

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from e2e.harness import free_port  # noqa: E402

PASSWORD = "bench password"
SEGMENT = 50_000


def fill(data_dir: Path, runs: int, points: int) -> None:
    store = open_store(SettingsSource(overrides={"data_dir": str(data_dir)}).startup)
    user = create_user(store, username="alice", email="alice@example.com", is_admin=True)
    entity = store.get_entity("alice")
    assert entity is not None
    big, _ = store.upsert_run(entity_id=entity.id, project="bench", run_id=None, name="big",
                              user_id=user.id, mutation=lambda _r: {"name": "big",
                                                                    "display_name": "big"})
    started = time.perf_counter()
    now = utcnow()
    rng = np.random.default_rng(1)
    rows = []
    for i in range(runs):
        created = now - timedelta(seconds=runs - i)
        rows.append({
            "project_id": big.project_id, "name": f"run{i:05d}", "display_name": f"run-{i:05d}",
            "user_id": user.id, "state": ("finished", "failed", "crashed", "running")[i % 4],
            "tags": json.dumps(["even" if i % 2 == 0 else "odd"]),
            "config": json.dumps({"lr": {"value": float(rng.random())},
                                  "batch": {"value": int(2 ** (i % 8))},
                                  "opt": {"value": ("adam", "sgd")[i % 2]}}),
            "summary": json.dumps({"loss": float(rng.random()), "acc": float(rng.random()),
                                   "_step": 100}),
            "history_keys": "{}", "last_step": 100, "history_line_count": 101,
            "events_line_count": 0, "log_line_count": 0, "preempting": False,
            "stop_requested": False, "created_at": created, "updated_at": created,
            "heartbeat_at": created + timedelta(seconds=60),
            "finished_at": created + timedelta(seconds=60)})
    with store.engine.begin() as conn:  # type: ignore[attr-defined]
        for start in range(0, len(rows), 2000):
            conn.execute(t.runs.insert(), rows[start:start + 2000])
    print(f"inserted {runs} runs in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    steps = np.arange(points, dtype=np.int64)
    columns = {"loss": np.cumsum(rng.normal(size=points)) + 1000.0,
               "_runtime": steps * 0.01, "_timestamp": 1.7e9 + steps * 0.01,
               "_step": steps.astype(np.float64)}
    for start in range(0, points, SEGMENT):
        part = steps[start:start + SEGMENT]
        segments = [HistorySegment(
            key=key, start_line=int(part[0]), end_line=int(part[-1]) + 1,
            point_count=len(part), min_step=int(part[0]), max_step=int(part[-1]),
            data=part.tobytes() + part.tobytes() + values[start:start + SEGMENT].tobytes()
            + np.zeros(len(part), dtype=np.int8).tobytes()) for key, values in columns.items()]
        last = start + len(part) >= points
        fields = {"history_line_count": start + len(part), "last_step": int(part[-1])}
        if last:
            fields["history_keys"] = json.dumps({k: {"number": points} for k in columns})
            fields["state"] = "finished"
        store.apply_stream(big.id, lambda _r, s=segments, f=fields: StreamWrite(
            run_fields=f, segments=s, rollups=[rollup_segment(x) for x in s]))
    print(f"stored a {points:,}-point metric in {time.perf_counter() - started:.1f} s")
    store.close()  # type: ignore[attr-defined]


def timed(client: httpx.Client, url: str, repeat: int = 5) -> tuple[float, int]:
    """Median server time (ms) of GET url, measured around the request on loopback."""
    times, size = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.text[:300])
        size = len(response.content)
    return statistics.median(times), size


def sign_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=120)
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    response = client.post("/login", data={"username": "alice", "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code in (200, 303), response.text[:300]
    return client


def browser_draw(base: str, cookie: str) -> tuple[float, float, int]:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.add_cookies([{"name": "wbserver_session", "value": cookie,
                              "url": base}])
        page = context.new_page()
        page.goto(base + "/alice/bench/runs/big")
        page.wait_for_selector("body[data-loaded='1']", timeout=120_000)
        loaded = page.evaluate("performance.now()")
        draws = []
        for _ in range(5):
            draws.append(page.evaluate("""async () => {
                const s = WB.fetched.loss;
                const host = document.createElement('div');
                host.style.width = '600px';
                document.body.appendChild(host);
                const t0 = performance.now();
                const chart = new WB.Chart(host, 'bench', () => {});
                chart.draw([{label: 'loss', colour: '#1f77b4', x: s.x, y: s.y}],
                           {xAxis: 'step', smoothing: 0, logY: false});
                await new Promise(r => requestAnimationFrame(() => r()));
                const took = performance.now() - t0;
                chart.destroy(); host.remove();
                return took;
            }"""))
        points = page.evaluate("WB.fetched.loss.x.length")
        browser.close()
    return loaded, statistics.median(draws), points


def serve(data_dir: Path, env: dict[str, str] | None = None) -> tuple[str, subprocess.Popen[bytes]]:
    subprocess.run([sys.executable, "-m", "wbserver", "users", "reset-password", "alice",
                    "--password-stdin", "--data-dir", str(data_dir)], input=PASSWORD + "\n",
                   text=True, check=True, capture_output=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "wbserver", "serve", "--port", str(port),
                               "--data-dir", str(data_dir)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env={**os.environ, **(env or {})})
    for _ in range(300):
        try:
            if httpx.get(base + "/healthz").status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    return base, server


def workspace_part() -> None:
    import ui_workspace

    root = Path(tempfile.mkdtemp(prefix="wbserver-bench-ws-"))
    try:
        print("\n== project workspace ==")
        ui_workspace.fill(root / "data")
        base, server = serve(root / "data", ui_workspace.NO_LIMITS)
        try:
            client = sign_in(base)
            ui_workspace.measure(base, client, client.cookies["wbserver_session"])
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", choices=("all", "table", "workspace"), default="all")
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=1_000_000)
    args = parser.parse_args()
    if args.part in ("all", "workspace"):
        workspace_part()
    if args.part == "workspace":
        return
    root = Path(tempfile.mkdtemp(prefix="wbserver-bench-ui-"))
    data_dir = root / "data"
    fill(data_dir, args.runs, args.points)
    subprocess.run([sys.executable, "-m", "wbserver", "users", "reset-password", "alice",
                    "--password-stdin", "--data-dir", str(data_dir)], input=PASSWORD + "\n",
                   text=True, check=True, capture_output=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "wbserver", "serve", "--port", str(port),
                               "--data-dir", str(data_dir)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        client = sign_in(base)
        print(f"\nruns table, project of {args.runs + 1:,} runs (median of 5, ms):")
        for label, url in (
                ("page, newest first", "/alice/bench/table"),
                ("JSON, newest first", "/_ui/alice/bench/runs"),
                ("JSON, sorted by config.lr", "/_ui/alice/bench/runs?sort=config.lr&desc=0"),
                ("JSON, summary.loss < 0.5, state", "/_ui/alice/bench/runs?fk=summary.loss"
                                                     "&fo=%3C&fv=0.5&state=finished"),
                ("JSON, page 150", "/_ui/alice/bench/runs?page=150")):
            ms, size = timed(client, url)
            print(f"  {label:38s} {ms:8.1f} ms  ({size / 1024:.0f} KiB)")
        print(f"\nchart data, one metric of {args.points:,} points (median of 5, ms):")
        for label, url in (
                ("whole run, downsampled", "/_ui/alice/bench/runs/big/series?keys=loss"),
                ("whole run, relative time", "/_ui/alice/bench/runs/big/series?keys=loss"
                                             "&x=runtime"),
                ("zoomed to 2,000 steps (full res.)", "/_ui/alice/bench/runs/big/series?keys=loss"
                                                      "&min=500000&max=501999")):
            ms, size = timed(client, url)
            print(f"  {label:38s} {ms:8.1f} ms  ({size / 1024:.0f} KiB)")
        loaded, draw, points = browser_draw(base, client.cookies["wbserver_session"])
        print(f"\nbrowser (Chromium): run page loaded with its charts in {loaded:.0f} ms; "
              f"drawing the {points:,}-point downsampled chart took {draw:.1f} ms "
              f"(median of 5, to the next frame)")
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
