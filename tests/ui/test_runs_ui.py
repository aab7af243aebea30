"""The project, run, compare and artifact pages in Chromium, on a server filled by the real
`wandb` client: no console errors, no request leaving 127.0.0.1, the runs table sorts and
filters, charts show the logged series, compare overlays runs, a live run's chart grows."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from e2e.harness import Client, Server, start_server, wait_for
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from ui.conftest import wait_until

PASSWORD = "alice password"


@pytest.fixture(scope="module")
def filled(tmp_path_factory) -> Iterator[tuple[Server, dict[str, dict]]]:
    """A server with three runs (two finished, one failed) and an artifact."""
    server = start_server(tmp_path_factory.mktemp("srv"))
    try:
        server.set_password("alice", PASSWORD)
        client = Client(server=server, root=tmp_path_factory.mktemp("client"))
        runs = {}
        for name, lr, opt, tags, extra in (
                ("alpha", 0.1, "adam", ["baseline"], {"console": True, "save": {
                    "name": "notes.txt", "content": "hello file"}}),
                ("beta", 0.01, "sgd", ["exp"], {"loss_scale": 2.0}),
                ("gamma", 0.05, "adam", ["exp"], {"fail": "boom"})):
            spec = {"init": {"project": "ui", "name": name, "config": {"lr": lr, "opt": opt},
                             "tags": tags, "notes": f"{name} notes"},
                    "steps": 40, **extra}
            runs[name], _ = client.script("log_run.py", spec, check=name != "gamma")
        client.script("artifacts.py", {"action": "log", "init": {"project": "ui-data"},
                                       "name": "corpus", "files": {"a.txt": "alpha text"},
                                       "aliases": ["best"], "metadata": {"rows": 3}})
        yield server, runs
    finally:
        server.stop()


def sign_in(watched, server: Server) -> None:
    page = watched.page
    page.goto(server.url + "/login")
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(server.url + "/")


def wait_js(page, expression: str, server: Server) -> None:
    """Wait for EXPRESSION to hold in the page; on a timeout say what the page and the
    server said."""
    try:
        wait_until(page, expression)
    except PlaywrightTimeout:
        status = page.inner_text("#log-status") if page.locator("#log-status").count() else ""
        raise AssertionError(f"waited in vain for {expression}; page status {status!r}\n"
                             f"----- server output -----\n{server.logs()}") from None


def table_names(page) -> list[str]:
    return page.eval_on_selector_all("#runs-table tbody tr .name a",
                                     "els => els.map(e => e.textContent.trim())")


def test_pages_table_charts_compare_and_artifacts(filled, new_page):
    server, runs = filled
    watched = new_page("desk")
    page = watched.page
    sign_in(watched, server)
    recent = page.inner_text("#recent-runs")
    assert all(name in recent for name in ("alpha", "beta", "gamma"))
    watched.shot("home")

    # runs table: sort by clicking headers, filter by state, config value and name
    page.click("#projects a:text-is('ui')")
    page.wait_for_selector("#ws-sections")  # the workspace first; the table is a tab
    page.click("nav.tabs a:has-text('Runs')")
    page.wait_for_selector("#runs-table")
    assert table_names(page) == ["gamma", "beta", "alpha"]  # newest first
    page.click("#runs-table th[data-col='config.lr'] a")
    assert table_names(page) == ["beta", "gamma", "alpha"]
    assert page.get_attribute("#runs-table th[data-col='config.lr']", "aria-sort") == "ascending"
    page.click("#runs-table th[data-col='config.lr'] a")
    assert table_names(page) == ["alpha", "gamma", "beta"]
    states = dict(zip(table_names(page), page.eval_on_selector_all(
        "#runs-table td[data-col='state']", "els => els.map(e => e.textContent.trim())"),
        strict=True))
    assert states == {"alpha": "finished", "beta": "finished", "gamma": "failed"}
    watched.shot("project")
    page.check("input[name='state'][value='failed']")
    page.click("#run-filters button[type='submit']")
    assert table_names(page) == ["gamma"]
    page.click("text=Clear")
    page.select_option("select[name='fk']", "config.opt")
    page.fill("input[name='fv']", "adam")
    page.click("#run-filters button[type='submit']")
    assert sorted(table_names(page)) == ["alpha", "gamma"]
    page.click("text=Clear")
    page.focus("#run-search")  # the keyboard alone: type and press Enter
    page.keyboard.type("bet")
    page.keyboard.press("Enter")
    page.wait_for_url("**q=bet**")
    assert table_names(page) == ["beta"]
    page.click("text=Clear")

    # run page: the loss chart holds exactly what the client logged
    page.click("#runs-table a:has-text('alpha')")
    page.wait_for_selector("body[data-loaded='1']")
    fetched = page.evaluate("WB.fetched")
    logged = runs["alpha"]["rows"]
    assert fetched["loss"]["x"] == list(range(len(logged)))
    assert fetched["loss"]["y"] == pytest.approx([row["loss"] for row in logged])
    assert fetched["nested.b.c"]["y"][-1] == logged[-1]["nested"]["b"]["c"]
    assert page.locator(".chart[data-key='loss'] canvas").count() == 1
    assert page.locator("#log li", has_text="hello from stdout").count() == 1
    assert page.locator("#log li.stderr", has_text="warning from stderr").count() == 1
    page.fill("#log-search", "stderr")
    wait_until(page, "document.querySelectorAll('#log li').length === 1")
    assert "notes.txt" in page.inner_text("#files-table")
    assert "alpha notes" in page.inner_text("#overview")
    watched.shot("run")
    page.select_option("#x-axis", "runtime")
    wait_until(page, "WB.fetched.loss.axis === 'runtime'")
    assert page.evaluate("WB.fetched.loss.x.length") == len(logged)
    page.check("#log-scale")
    page.fill("#smoothing", "0.6")
    page.dispatch_event("#smoothing", "input")
    watched.shot("run-smoothed")

    # compare: select two runs in the table
    page.goto(server.url + "/alice/ui?sort=name&desc=0")
    page.check(f"input[name='runs'][value='{runs['alpha']['id']}']")
    page.check(f"input[name='runs'][value='{runs['beta']['id']}']")
    page.click("#compare-button")
    page.wait_for_selector("body[data-loaded='1']")
    overlay = page.evaluate("WB.fetched.loss.runs")
    assert [line["display_name"] for line in overlay] == ["alpha", "beta"]
    assert overlay[1]["y"] == pytest.approx([row["loss"] for row in runs["beta"]["rows"]])
    assert overlay[0]["colour"] != overlay[1]["colour"]
    watched.shot("compare")
    page.select_option("#group-by", "opt")
    page.click("#group-form button")
    page.wait_for_selector("body[data-loaded='1']")
    groups = page.evaluate("WB.fetched.loss.groups")
    assert [g["label"] for g in groups] == ["adam", "sgd"]
    watched.shot("compare-grouped")

    # artifacts by type and collection, then the version with its lineage
    page.goto(server.url + "/alice/ui-data/artifacts")
    page.click("a:has-text('corpus')")
    page.click("a:has-text('v0')")
    assert "best" in page.inner_text("#aliases")
    wait_js(page, "document.getElementById('files-table').dataset.ready === '1'", server)
    assert "a.txt" in page.inner_text("#files-table")
    assert not page.is_visible("#confirm-delete")  # behind its confirmation step
    page.click("#delete-version summary")
    assert page.is_visible("#confirm-delete") and page.is_visible("input[name=delete_aliases]")
    watched.shot("artifact")
    watched.check_clean()


def test_pages_on_a_phone(filled, new_page):
    server, runs = filled
    watched = new_page("phone")
    page = watched.page
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(watched, server)
    page.goto(server.url + "/alice/ui/table")
    watched.shot("project")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    page.goto(server.url + f"/alice/ui/runs/{runs['beta']['id']}")
    page.wait_for_selector("body[data-loaded='1']")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    watched.shot("run")
    watched.check_clean()


def test_a_live_runs_chart_and_log_grow_without_reload(tmp_path, new_page):
    server = start_server(tmp_path / "srv")
    proc = None
    try:
        server.set_password("alice", PASSWORD)
        client = Client(server=server, root=tmp_path / "client")
        stop = tmp_path / "stop"
        proc, out = client.popen("slow_log.py", {"init": {"project": "live", "name": "live"},
                                                 "stop_file": str(stop)})
        watched = new_page("live")
        page = watched.page
        sign_in(watched, server)
        # the client writes OUT once wandb.init() has returned: the run exists then
        wait_for(lambda: out.exists() or proc.poll() is not None, timeout=120, interval=0.3,
                 what="the live client to start")
        assert proc.poll() is None, proc.communicate()
        page.goto(server.url + "/alice/live/table")
        assert page.inner_text("#runs-table td[data-col='state']") == "running"
        page.click("#runs-table .name a")
        wait_js(page, "window.WB && WB.fetched && WB.fetched.loss", server)
        first = page.evaluate("WB.fetched.loss.total")
        lines = page.locator("#log li").count()
        wait_js(page, f"WB.fetched.loss.total >= {first + 10}", server)
        wait_js(page, f"document.querySelectorAll('#log li').length > {lines}", server)
        watched.shot("growing")
        stop.write_text("stop")
        assert proc.wait(timeout=120) == 0, proc.communicate()
        wait_js(page, "document.querySelector('#run-state.state-finished')", server)
        final = page.evaluate("WB.fetched.loss")
        assert final["y"] == pytest.approx([1 / (i + 1) for i in range(final["total"])])
        watched.shot("finished")
        watched.check_clean()
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
        server.stop()
