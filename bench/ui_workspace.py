"""The project workspace part of bench/ui.py: 200 runs x 8 metrics x 2,000 steps written
through the real write path (GraphQL upsertBucket and file_stream, in-process), plus a
project of 1,000 runs for the runs list. Prints the server's time for one panel's data over
200 runs, Chromium's time to draw every visible panel, and the runs list's filter and scroll
handling on 1,000 runs."""

from __future__ import annotations

import base64
import json
import statistics
import time
from pathlib import Path
from typing import Any

import httpx
from starlette.testclient import TestClient

from wbserver.app import create_app
from wbserver.config.runtime import SettingsSource
from wbserver.domain import panels
from wbserver.domain.users import create_api_key, create_user

RUNS, STEPS, LIST_RUNS = 200, 2000, 1000
SAMPLES = 240  # system metrics: an hour sampled every 15 s
SYSTEM = ("system.cpu", "system.memory_percent", "system.proc.memory.rssMB",
          "system.proc.memory.percent", "system.proc.memory.availableMB", "system.proc.cpu.threads",
          "system.disk./.usagePercent", "system.disk./.usageGB", "system.disk.in", "system.disk.out",
          "system.network.sent", "system.network.recv", "system.gpu.0.gpu", "system.gpu.0.memory",
          "system.gpu.0.temp", "system.gpu.0.powerWatts")
METRICS = ("train/loss", "train/acc", "train/lr", "train/grad_norm", "val/loss", "val/acc",
           "perf/throughput", "perf/memory")
NO_LIMITS = {"WBSERVER_RATE_LIMIT_RUN": "0", "WBSERVER_RATE_LIMIT_PROJECT": "0"}
UPSERT = """mutation U($name: String, $project: String, $config: JSONString) {
  upsertBucket(input: {name: $name, modelName: $project, entityName: "alice",
    config: $config}) { bucket { id } } }"""


def fill(data_dir: Path) -> None:
    """Write the workspace project through GraphQL and file_stream (in-process)."""
    app = create_app(SettingsSource(environ=NO_LIMITS, overrides={"data_dir": str(data_dir)}))
    store = app.state.services.store
    create_user(store, username="alice", email="alice@example.com", is_admin=True)
    key = create_api_key(store, username="alice")
    auth = {"Authorization": "Basic " + base64.b64encode(f"api:{key}".encode()).decode()}
    started = time.perf_counter()
    with TestClient(app) as client:
        def gql(**variables: Any) -> None:
            response = client.post("/graphql", json={"query": UPSERT, "variables": variables},
                                   headers=auth)
            assert response.status_code == 200 and "errors" not in response.json(), response.text

        for r in range(RUNS):
            name = f"w{r:03d}"
            gql(name=name, project="ws", config=json.dumps(
                {"lr": {"value": 10 ** -(1 + r % 4)}, "seed": {"value": r}}))
            for start in range(0, STEPS, 1000):
                lines = [json.dumps({"_step": s, "_runtime": s * 0.1, "_timestamp": 1.7e9 + s,
                                     **{m: (r + 1) * ((k + 1) / (s + 1) + (s % 17) * 1e-3)
                                        for k, m in enumerate(METRICS)}})
                         for s in range(start, min(STEPS, start + 1000))]
                response = client.post(f"/files/alice/ws/{name}/file_stream", headers=auth,
                                       json={"files": {"wandb-history.jsonl": {
                                           "offset": start, "content": lines}}})
                assert response.status_code == 200, response.text
            events = [json.dumps({"_runtime": t * 15.0, "_timestamp": 1.7e9 + t * 15.0,
                                  "_wandb": True, **{k: (i + r + t % 7) * 1.5
                                                     for i, k in enumerate(SYSTEM)}})
                      for t in range(SAMPLES)]
            response = client.post(f"/files/alice/ws/{name}/file_stream", headers=auth,
                                   json={"files": {"wandb-events.jsonl": {
                                       "offset": 0, "content": events}}})
            assert response.status_code == 200, response.text
        print(f"wrote {RUNS} runs x {len(METRICS)} metrics x {STEPS:,} steps (and "
              f"{len(SYSTEM)} system metrics x {SAMPLES} samples) through file_stream in "
              f"{time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        for r in range(LIST_RUNS):
            gql(name=f"m{r:04d}", project="many", config=json.dumps({"i": {"value": r}}))
        print(f"created a project of {LIST_RUNS:,} runs in {time.perf_counter() - started:.1f} s")
    run_names = [f"w{r:03d}" for r in range(RUNS)]
    times, cpu = [], []
    user = store.get_user_by_name("alice")
    for _ in range(9):
        query = panels.parse_panel_query("line", [("keys", "train/loss")] +
                                         [("runs", n) for n in run_names])
        t0, c0 = time.perf_counter(), time.process_time()
        body = panels.panel_data(store, viewer=user, entity="alice", project="ws", query=query)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    points = sum(len(line["x"]) for line in body["keys"]["train/loss"]["runs"])
    # CPU time is what the server spends; wall time on a loaded machine includes waiting
    print(f"\none panel's data over {RUNS} runs (domain call, in-process, median of 9): "
          f"{statistics.median(cpu):.1f} ms CPU, {statistics.median(times):.1f} ms wall "
          f"({points:,} points, {body['buckets']} buckets a run)")
    from wbserver.domain import system_panel

    for keys in (SYSTEM[:1], SYSTEM):  # the page asks for up to 16 system panels at once
        times, cpu = [], []
        system_panel.CACHE = system_panel.ColumnCache(system_panel.CACHE.budget)
        for _ in range(6):  # the first call parses the events; the rest find them cached
            query = panels.parse_panel_query("system", [("keys", ",".join(keys)), ("x", "runtime")]
                                             + [("runs", n) for n in run_names])
            t0, c0 = time.perf_counter(), time.process_time()
            body = panels.panel_data(store, viewer=user, entity="alice", project="ws",
                                     query=query)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        assert all(len(body["keys"][k]["runs"]) == RUNS for k in keys)
        print(f"{len(keys)} system panel(s)' data over {RUNS} runs of {SAMPLES} samples (domain "
              f"call): first {cpu[0]:.0f} ms CPU, {times[0]:.0f} ms wall; again (parsed events "
              f"cached), median of 5: {statistics.median(cpu[1:]):.0f} ms CPU, "
              f"{statistics.median(times[1:]):.0f} ms wall")
    store.close()


def measure(base: str, client: httpx.Client, cookie: str) -> None:
    names = "".join(f"&runs=w{r:03d}" for r in range(RUNS))
    times, size = [], 0
    for _ in range(7):
        t0 = time.perf_counter()
        response = client.get(f"/_ui/alice/ws/panels/line?keys=train/loss&x=step{names}")
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.text[:300]
        size = len(response.content)
    print(f"one panel's data over {RUNS} runs (HTTP on loopback, median of 7): "
          f"{statistics.median(times):.1f} ms ({size / 1024:.0f} KiB)")
    t0 = time.perf_counter()
    client.get("/_ui/alice/many/workspace").raise_for_status()
    print(f"workspace overview of {LIST_RUNS:,} runs: {(time.perf_counter() - t0) * 1000:.0f} ms")
    browser(base, cookie)


def browser(base: str, cookie: str) -> None:
    import shutil

    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        for width, height in ((1440, 900), (1440, 2600)):
            draws: list[float] = []
            phases: list[list[float]] = []
            for _ in range(3):
                context = browser.new_context(viewport={"width": width, "height": height})
                context.add_cookies([{"name": "wbserver_session", "value": cookie, "url": base}])
                page = context.new_page()
                page.goto(base + "/alice/ws")
                page.wait_for_selector("body[data-loaded='1']", timeout=120_000)
                drawn = page.evaluate("document.querySelectorAll('.panel[data-drawn]').length")
                lines = page.evaluate("Math.max(...Array.from(document.querySelectorAll("
                                      "'.panel[data-drawn]'), e => Number(e.dataset.lines)))")
                draws.append(page.evaluate("WB.drawnAt"))
                phases.append(page.evaluate("""() => {
                    const r = performance.getEntriesByType('resource');
                    const end = f => Math.max(0, ...r.filter(f).map(e => e.responseEnd));
                    return [performance.getEntriesByType('navigation')[0].responseEnd,
                            end(e => e.name.endsWith('.js')),
                            end(e => e.name.includes('/_ui/alice/ws/workspace')),
                            end(e => e.name.includes('/panels/'))];
                }"""))
                context.close()
            html, scripts, _overview, data = (statistics.median(p[i] for p in phases)
                                              for i in range(4))
            print(f"Chromium {width}x{height}: {drawn} visible panels of {lines} lines drawn "
                  f"{statistics.median(draws):.0f} ms after navigation (median of 3; page "
                  f"{html:.0f} ms, scripts {scripts:.0f} ms, "
                  f"last panel data {data:.0f} ms)")
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        context.add_cookies([{"name": "wbserver_session", "value": cookie, "url": base}])
        page = context.new_page()
        page.goto(base + "/alice/many")
        page.wait_for_selector("body[data-loaded='1']", timeout=120_000)
        stalls = page.evaluate("""() => {
            const list = document.getElementById('ws-run-list');
            const search = document.getElementById('ws-run-search');
            const out = {scroll: 0, filter: 0};
            for (let i = 0; i < 60; i++) {
                const t0 = performance.now();
                list.scrollTop = i * 450;
                list.dispatchEvent(new Event('scroll'));
                out.scroll = Math.max(out.scroll, performance.now() - t0);
            }
            for (const text of ['m0', 'm01', 'm012', 'm01', '']) {
                const t0 = performance.now();
                search.value = text;
                search.dispatchEvent(new Event('input'));
                out.filter = Math.max(out.filter, performance.now() - t0);
            }
            out.rows = list.querySelectorAll('.run-row').length;
            return out;
        }""")
        print(f"runs list of {LIST_RUNS:,} runs: longest scroll step "
              f"{stalls['scroll']:.1f} ms, longest filter keystroke {stalls['filter']:.1f} ms "
              f"({stalls['rows']} row elements exist)")
        context.close()
        browser.close()
