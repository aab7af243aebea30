"""The project workspace in Chromium on runs logged by the real `wandb` client: panels for
every logged key in sections by prefix, chart data equal to the logged rows (the x axis a
metric chose with define_metric), hover over many lines, grouping with bands, a layout that
survives a reload, the runs table one tab away with `val/acc.max` as a number, and a phone
screen. No console errors, no request leaving 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from e2e.harness import Client, Server, start_server

from ui.conftest import wait_until

PASSWORD = "alice password"
RUNS = [{"name": "a1", "group": "A", "job_type": "train", "config": {"opt": "adam", "lr": 1e-4},
         "scale": 1.0},
        {"name": "a2", "group": "A", "job_type": "train", "config": {"opt": "adam", "lr": 2e-4},
         "scale": 1.5},
        {"name": "b1", "group": "B", "job_type": "eval", "config": {"opt": "sgd", "lr": 1e-3},
         "scale": 2.0},
        {"name": "b2", "group": "B", "job_type": "eval", "config": {"opt": "sgd", "lr": 3e-3},
         "scale": 3.0}]


@pytest.fixture(scope="module")
def filled(tmp_path_factory) -> Iterator[tuple[Server, dict[str, dict]]]:
    server = start_server(tmp_path_factory.mktemp("srv"))
    try:
        server.set_password("alice", PASSWORD)
        client = Client(server=server, root=tmp_path_factory.mktemp("client"))
        out, _ = client.script("workspace_runs.py", {"project": "ws", "steps": 30, "runs": RUNS})
        yield server, {r["name"]: r for r in out["runs"]}
    finally:
        server.stop()


def sign_in(page, server: Server) -> None:
    page.goto(server.url + "/login")
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(server.url + "/")


def open_workspace(page, server: Server) -> None:
    page.goto(server.url + "/alice/ws")
    wait_until(page, "document.body.dataset.loaded === '1'")


def series(page, panel: str, key: str) -> dict[str, dict]:
    data = page.evaluate(f"WB.panelData[{panel!r}]")
    return {line["name"]: line for line in data["keys"][key]["runs"]}


def test_workspace_panels_layout_and_table(filled, new_page):
    server, logged = filled
    watched = new_page("desk")
    page = watched.page
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, server)
    open_workspace(page, server)
    ids = {name: run["id"] for name, run in logged.items()}

    # sections by prefix, a panel per logged key
    sections = page.eval_on_selector_all(".ws-section", "els => els.map(e => e.dataset.section)")
    assert sections[:2] == ["train", "val"] or set(sections) >= {"train", "val"}
    panels = page.eval_on_selector_all(".panel", "els => els.map(e => e.dataset.panel)")
    assert {"line:train/loss", "line:train/lr", "line:val/acc", "line:epoch"} <= set(panels)

    # the chart data is what the client logged: steps for train/, epoch for val/ (define_metric)
    loss = series(page, "line:train/loss", "train/loss")
    assert set(loss) == set(ids.values())
    for _name, run in logged.items():
        line = loss[run["id"]]
        assert line["x"] == [row["_step"] for row in run["rows"]]
        assert line["y"] == pytest.approx([row["train/loss"] for row in run["rows"]])
    wait_until(page, "WB.panelData['line:val/acc']")
    assert page.evaluate("WB.panelData['line:val/acc'].x") == "epoch"
    acc = series(page, "line:val/acc", "val/acc")
    for _name, run in logged.items():
        rows = [r for r in run["rows"] if "val/acc" in r]
        assert acc[run["id"]]["x"] == [r["epoch"] for r in rows]
        assert acc[run["id"]]["y"] == pytest.approx([r["val/acc"] for r in rows])
    assert page.locator(".panel[data-panel='line:train/loss'] canvas").count() >= 1
    assert page.evaluate("[WB.fmt(1e-4), WB.fmt(0.00025), WB.fmt(12.5)]") == \
        ["1e-4", "2.5e-4", "12.5"]

    # hover lists every line's run name and value, the nearest highlighted
    plot = page.locator(".panel[data-panel='line:train/loss'] .u-over")
    box = plot.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.6)
    hover = page.locator(".panel[data-panel='line:train/loss'] .hover-box")
    hover.wait_for(state="visible")
    text = hover.inner_text()
    assert all(run["name"] in text for run in RUNS), text
    assert hover.locator(".near").count() == 1
    watched.shot("workspace")

    # a drag asks the server for that step range alone; a double click gives the whole back
    y = box["y"] + box["height"] * 0.5
    page.mouse.move(box["x"] + box["width"] * 0.3, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, y, steps=6)
    page.mouse.up()
    zoomed = "document.querySelector(\".panel[data-panel='line:train/loss']\").dataset.zoomed"
    wait_until(page, f"{zoomed} === '1'")
    steps = {name: line["x"] for name, line in series(page, "line:train/loss", "train/loss").items()}
    assert all(0 < len(xs) < 30 and 3 <= xs[0] and xs[-1] <= 25 for xs in steps.values()), steps
    assert "zoomed" in page.inner_text(".panel[data-panel='line:train/loss'] figcaption.note")
    plot.dblclick(position={"x": box["width"] * 0.5, "y": box["height"] * 0.5})
    wait_until(page, f"{zoomed} === ''")
    assert all(len(line["x"]) == 30
               for line in series(page, "line:train/loss", "train/loss").values())

    # change the layout: smoothing, a hidden run, a collapsed section, group by, band
    page.fill("#ws-panel-search", "lr")
    wait_until(page, "document.querySelector(\".panel[data-panel='line:train/loss']\").hidden")
    assert page.is_visible(".panel[data-panel='line:train/lr']")
    page.fill("#ws-panel-search", "")
    page.locator("#ws-smoothing").evaluate(
        "el => { el.value = '0.6'; el.dispatchEvent(new Event('input')); }")
    page.uncheck(".run-row[data-run='{}'] input[type=checkbox]".format(ids["b2"]))
    wait_until(page, "!WB.panelData['line:train/loss'].keys['train/loss'].runs"
                     f".some(r => r.name === '{ids['b2']}')")
    page.click(".ws-section[data-section='val'] > summary")
    page.select_option("#ws-group", ["group"])
    wait_until(page, "WB.panelData['line:train/loss'].keys['train/loss'].groups")
    groups = page.evaluate("WB.panelData['line:train/loss'].keys['train/loss'].groups")
    assert sorted(g["label"] for g in groups) == ["A", "B"]
    assert sorted(len(g["runs"]) for g in groups) == [1, 2]  # b2 hidden
    page.select_option("#ws-band", "stddev")
    wait_until(page, "document.querySelector(\".panel[data-panel='line:train/loss'] .u-over\")")
    box = plot.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    page.mouse.move(box["x"] + box["width"] * 0.52, box["y"] + box["height"] * 0.5)
    watched.shot("grouped-hover")
    hover.wait_for(state="visible")
    assert "A (2)" in hover.inner_text()
    watched.shot("grouped")
    wait_until(page, "Number(document.body.dataset.saved || 0) >= 1 && "
                     "document.getElementById('ws-status').textContent !== ''")
    page.wait_for_timeout(700)  # the last change's save

    page.reload()
    wait_until(page, "document.body.dataset.loaded === '1'")
    layout = page.evaluate("WB.workspace.layout()")
    assert layout["smoothing"] == 0.6 and layout["band"] == "stddev"
    assert layout["groupBy"] == ["group"] and "val" in layout["collapsed"]
    assert ids["b2"] not in layout["visible"]
    assert not page.locator(".ws-section[data-section='val']").evaluate("el => el.open")
    assert not page.is_checked(".run-row[data-run='{}'] input[type=checkbox]".format(ids["b2"]))
    assert page.input_value("#ws-smoothing") == "0.6"

    # the runs table is a tab away: val/acc.max is a column of numbers and a filter
    page.click("nav.tabs a:has-text('Runs')")
    page.wait_for_url("**/alice/ws/table")
    assert page.locator("#runs-table").count() == 1, server.logs()[-3000:]
    header = page.eval_on_selector_all("#runs-table th", "els => els.map(e => e.dataset.col)")
    assert "summary.val/acc.max" in header
    cells = page.eval_on_selector_all("#runs-table td[data-col='summary.val/acc.max']",
                                      "els => els.map(e => e.textContent.trim())")
    expected = sorted(max(r["val/acc"] for r in run["rows"] if "val/acc" in r)
                      for run in logged.values())
    assert sorted(float(c) for c in cells) == pytest.approx(expected)
    page.goto(server.url + "/alice/ws?fk=summary.val/acc.max&fo=%3E&fv=0.7")
    page.wait_for_selector("#active-filters")
    assert "summary.val/acc.max > 0.7" in page.inner_text("#active-filters")
    assert page.eval_on_selector_all("#runs-table tbody tr[data-run]", "els => els.length") == \
        sum(1 for v in expected if v > 0.7)
    watched.shot("table")
    watched.check_clean()


def test_workspace_on_a_phone(filled, browser):
    server, _logged = filled
    from ui.conftest import WatchedPage

    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)
    try:
        watched = WatchedPage(context.new_page(), "test_workspace_on_a_phone")
        page = watched.page
        sign_in(page, server)
        open_workspace(page, server)
        assert page.locator(".panel[data-drawn]").count() >= 1
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 392, f"the page is {width}px wide on a 390px screen"
        panel = page.locator(".panel").first.bounding_box()
        assert panel["width"] >= 300
        watched.shot("phone")
        watched.check_clean()
    finally:
        context.close()


def test_a_live_runs_system_metrics_and_new_keys_appear_without_reload(tmp_path, new_page):
    """A run logged by the real client while the workspace is open: its system metrics (CPU,
    memory, disk, network …) are a `system` section with units, drawn from what the client
    sampled; a metric and an image it starts logging later get their panels (a new section)
    without a reload."""
    from ui.test_media_ui import pixel
    from ui.test_runs_ui import wait_js

    server = start_server(tmp_path / "srv")
    proc = None
    try:
        server.set_password("alice", PASSWORD)
        client = Client(server=server, root=tmp_path / "client")
        phase, stop = tmp_path / "phase", tmp_path / "stop"
        proc, out = client.popen("live_keys.py", {
            "init": {"project": "live", "name": "live"}, "phase_file": str(phase),
            "stop_file": str(stop), "settings": {"x_stats_sampling_interval": 0.2,
                                                 "x_file_stream_transmit_interval": 0.5}})
        watched = new_page("live")
        page = watched.page
        page.set_viewport_size({"width": 1440, "height": 900})
        page.add_init_script("window.WB = { liveMs: 700 };")
        sign_in(page, server)
        deadline = 120
        while not out.exists() and proc.poll() is None and deadline > 0:
            page.wait_for_timeout(300)
            deadline -= 0.3
        assert proc.poll() is None, proc.communicate()
        run = json.loads(out.read_text())["id"]
        page.goto(server.url + "/alice/live")
        wait_until(page, "document.body.dataset.loaded === '1'")
        page.evaluate("window.notReloaded = true")
        assert page.locator(".panel[data-panel='line:late/acc']").count() == 0

        # the system section: a panel per sampled metric, its unit in the title, the data
        # the run page's system charts read from the same events
        cpu = ".panel[data-panel='system:system.cpu']"
        wait_js(page, f"document.querySelector(\"{cpu}\")", server)
        system = page.locator(".ws-section[data-section='system']")
        assert system.get_attribute("open") is None  # collapsed until opened, as in W&B
        page.wait_for_timeout(500)
        assert page.evaluate("WB.panelData['system:system.cpu']") is None  # not drawn closed
        system.locator("summary").click()
        page.locator(cpu).scroll_into_view_if_needed()
        wait_js(page, "(WB.panelData['system:system.cpu'] || {keys: {}}).keys['system.cpu']"
                      ".runs.length === 1", server)
        assert page.locator(f"{cpu} h3").inner_text().startswith("system.cpu (%)")
        assert page.locator(f"{cpu} h3 .x").inner_text() == "runtime"
        titles = page.eval_on_selector_all(".ws-section[data-section='system'] .panel h3",
                                           "els => els.map(e => e.firstChild.textContent)")
        assert any(t.startswith("system.memory") and t.endswith("(%)") for t in titles), titles
        assert any(t.endswith("(MB)") or t.endswith("(GB)") for t in titles), titles
        sections = page.eval_on_selector_all(".ws-section", "els => els.map(e => e.dataset.section)")
        assert sections[-1] == "system", sections
        line = page.evaluate("WB.panelData['system:system.cpu'].keys['system.cpu'].runs[0]")
        assert line["name"] == run and line["y"] and all(0 <= y <= 100 * 64 for y in line["y"])
        logged = page.request.get(f"{server.url}/_ui/alice/live/runs/{run}/system"
                                  "?keys=system.cpu&x=runtime").json()["series"]["system.cpu"]
        n = len(line["x"])
        assert logged["x"][:n] == line["x"] and logged["y"][:n] == line["y"]
        assert page.locator(f"{cpu} canvas").count() >= 1
        watched.shot("system")

        # the run starts logging a new metric and an image: their panels come, no reload
        phase.write_text("go")
        acc = ".panel[data-panel='line:late/acc']"
        wait_js(page, f"document.querySelector(\"{acc}\")", server)
        assert page.locator(".ws-section[data-section='late']").count() == 1
        page.locator(acc).scroll_into_view_if_needed()
        wait_js(page, "(WB.panelData['line:late/acc'] || {keys: {}}).keys['late/acc']"
                      ".runs.length === 1", server)
        sample = ".panel[data-panel='media:late/sample']"
        wait_js(page, f"document.querySelector(\"{sample}\")", server)
        page.locator(sample).scroll_into_view_if_needed()
        wait_js(page, f"document.querySelector(\"{sample} > div\").dataset.ready === '1'", server)
        assert pixel(page, f"{sample} canvas", 1, 1) == [200, 30, 30]
        assert page.evaluate("window.notReloaded === true")
        watched.shot("new-keys")

        stop.write_text("stop")
        assert proc.wait(timeout=120) == 0, proc.communicate()
        done = json.loads(out.read_text())
        wait_js(page, "WB.workspace.info.runs[0].state === 'finished'", server)
        page.locator(acc).scroll_into_view_if_needed()
        wait_js(page, f"WB.panelData['line:late/acc'].keys['late/acc'].runs[0].x.length === "
                      f"{len(done['rows'])}", server)
        final = page.evaluate("WB.panelData['line:late/acc'].keys['late/acc'].runs[0]")
        assert final["x"] == [r["_step"] for r in done["rows"]]
        assert final["y"] == pytest.approx([r["late/acc"] for r in done["rows"]])
        watched.check_clean()
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
        server.stop()


MANY = 230  # more runs than the overview brings (workspace.DEFAULT_VISIBLE, 200)
UPSERT_RUN = """mutation U($name: String) { upsertBucket(input: {name: $name, displayName: $name,
  modelName: "many", entityName: "alice"}) { bucket { id } } }"""


def test_a_project_of_more_runs_than_the_overview_brings(tmp_path, new_page):
    """The list starts with the newest runs and the number of all; scrolling to its end
    brings the next page; a search finds an old run the page did not bring; a run the saved
    layout shows is listed (and shown) after a reload though it is not among the newest."""
    import base64

    import httpx

    server = start_server(tmp_path / "srv")
    try:
        server.set_password("alice", PASSWORD)
        auth = {"Authorization": "Basic " + base64.b64encode(
            f"api:{server.api_key}".encode()).decode()}
        with httpx.Client(base_url=server.url, headers=auth, timeout=60) as http:
            for i in range(MANY):
                name = f"run-{i:04d}"
                assert http.post("/graphql", json={"query": UPSERT_RUN, "variables": {
                    "name": name}}).status_code == 200
                assert http.post(f"/files/alice/many/{name}/file_stream", json={"files": {
                    "wandb-history.jsonl": {"offset": 0, "content": [json.dumps(
                        {"_step": 0, "loss": i / MANY})]}}}).status_code == 200
        watched = new_page("many")
        page = watched.page
        page.set_viewport_size({"width": 1440, "height": 900})
        sign_in(page, server)
        page.goto(server.url + "/alice/many")
        wait_until(page, "document.body.dataset.loaded === '1'")
        assert page.locator("#ws-run-count").inner_text() == f"200 / {MANY} shown"
        names = "Array.from(document.querySelectorAll('.run-row:not([hidden]) a'))" \
                ".map(a => a.textContent)"
        assert page.evaluate(names)[0] == f"run-{MANY - 1:04d}"
        # the end of the list: the next page comes
        page.evaluate("document.getElementById('ws-run-list').scrollTop = 1e7")
        wait_until(page, f"WB.workspace.info.runs.length === {MANY}")
        page.evaluate("document.getElementById('ws-run-list').scrollTop = 1e7")
        wait_until(page, f"{names}.includes('run-0000')")
        page.reload()
        wait_until(page, "document.body.dataset.loaded === '1'")
        # a search asks the server: an old run the first page did not bring
        page.fill("#ws-run-search", "run-0007")
        wait_until(page, f"JSON.stringify({names}) === '[\"run-0007\"]'")
        assert page.locator("#ws-run-count").inner_text() == "0 / 1 shown"
        page.locator(".run-row:not([hidden]) input[type=checkbox]").check()
        wait_until(page, "Number(document.body.dataset.saved || 0) >= 1")
        page.reload()
        wait_until(page, "document.body.dataset.loaded === '1'")
        assert "run-0007" in page.evaluate("WB.workspace.layout().visible")
        assert page.evaluate("WB.workspace.info.runs.some(r => r.name === 'run-0007')")
        watched.shot("many")
    finally:
        server.stop()
