"""A run that logged NaN and ±Infinity (a diverged loss) in Chromium: its page, its chart and
the runs table render without a console error and show NaN, ∞ and -∞ (issue #19, item 2;
the run page answered 500 before)."""

from __future__ import annotations

from e2e.harness import Client, start_server

from .test_runs_ui import PASSWORD, sign_in, wait_js


def test_a_diverged_runs_pages_show_nan_and_infinity(tmp_path, new_page):
    server = start_server(tmp_path / "srv")
    try:
        server.set_password("alice", PASSWORD)
        client = Client(server=server, root=tmp_path / "client")
        client.script("nonfinite.py", {"project": "diverge", "id": "diverged"})
        watched = new_page("nonfinite")
        page = watched.page
        sign_in(watched, server)
        page.goto(server.url + "/alice/diverge/runs/diverged")
        summary = page.inner_text("#summary-table")
        assert "NaN" in summary, summary
        assert "∞" in page.content() and "-∞" in page.content()
        # the chart draws the finite points and says how many NaN and ±Infinity it left out
        wait_js(page, "window.WB && WB.fetched && WB.fetched.loss", server)
        assert page.evaluate("WB.fetched.loss.y") == [0.5, 0.25]
        wait_js(page, "document.body.innerText.includes('4 NaN or ±∞ not drawn')", server)
        watched.shot("run")
        page.goto(server.url + "/alice/diverge?col=summary.loss&col=config.clip")
        cells = page.inner_text("#runs-table tbody")
        assert "NaN" in cells and "∞" in cells, cells
        watched.shot("table")
        watched.check_clean()
    finally:
        server.stop()
