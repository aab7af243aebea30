"""The project workspace in Chromium on runs logged by the real `wandb` client: panels for
every logged key in sections by prefix, chart data equal to the logged rows (the x axis a
metric chose with define_metric), hover over many lines, grouping with bands, a layout that
survives a reload, the runs table one tab away with `val/acc.max` as a number, and a phone
screen. No console errors, no request leaving 127.0.0.1."""

from __future__ import annotations

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
