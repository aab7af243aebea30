"""Sweep analysis in Chromium (issues 22 and 25) on a sweep whose runs the real `wandb`
client logged: the sweep page's parallel coordinates, parameter importance and scatter drawn
from the logged values (lr drives val/loss), the same charts as workspace panels, and the
compare page's config diff. No console errors, nothing leaving 127.0.0.1; screenshots."""

from __future__ import annotations

import json
import random

from e2e.harness import Client, graphql, start_server

from ui.conftest import wait_until
from ui.test_runs_ui import PASSWORD, sign_in

CONFIG = """method: random
name: lr search
metric: {name: val/loss, goal: minimize}
parameters:
  lr: {min: 0.0001, max: 0.1, distribution: log_uniform_values}
  batch: {values: [16, 32, 64]}
  opt: {values: [adam, sgd]}
"""


def spec(sweep: str) -> dict:
    rnd = random.Random(11)
    runs = []
    for i in range(8):
        lr = 10 ** (-4 + 3 * i / 7)
        runs.append({"config": {"lr": lr, "batch": rnd.choice([16, 32, 64]),
                                "opt": ["adam", "sgd"][i % 2], "seed": 3},
                     "loss": round(1 + 2 * (i / 7) + rnd.uniform(-0.03, 0.03), 4)})
    runs.append({"config": {"lr": 0.05, "batch": 16, "opt": "sgd", "seed": 3}, "loss": None})
    return {"project": "sw", "sweep": sweep, "runs": runs}


def test_sweep_analysis_charts(tmp_path, new_page):
    server = start_server(tmp_path / "srv")
    try:
        server.set_password("alice", PASSWORD)
        sweep = graphql(server, 'mutation { upsertSweep(input: {entityName: "alice", '
                        'projectName: "sw", config: ' + json.dumps(CONFIG) + '}) { '
                        "sweep { name } } }")["upsertSweep"]["sweep"]["name"]
        client = Client(server=server, root=tmp_path / "client")
        out, _ = client.script("sweep_runs.py", spec(sweep))
        logged = {r["id"]: r for r in out["runs"]}
        scored = {k: r for k, r in logged.items() if r["loss"] is not None}

        watched = new_page("sweep")
        page = watched.page
        sign_in(watched, server)
        page.goto(f"{server.url}/alice/sw/sweeps/{sweep}")
        wait_until(page, "document.body.dataset.analysed === '1'")
        data = page.evaluate("WB.sweepAnalysis")
        assert data["metric"] == "val/loss" and data["scored"] == 8 and data["missing"] == 1, data
        assert {r["name"]: r["metric"] for r in data["runs"]} == {
            k: r["loss"] for k, r in logged.items()}
        # parallel coordinates: an axis per varying key and the metric, a line per run
        axes = page.locator("#sweep-parallel .pc-axis").evaluate_all(
            "els => els.map(e => e.dataset.key)")
        assert set(axes) == {"lr", "batch", "opt", "val/loss"} and axes[-1] == "val/loss"
        lines = page.locator("#sweep-parallel polyline")
        assert lines.count() == 9
        assert page.locator("#sweep-parallel polyline[stroke-dasharray]").count() == 1
        # importance: lr first (val/loss rises with log lr: Spearman near 1), as computed
        rows = page.locator("#sweep-importance tbody tr")
        assert rows.first.get_attribute("data-key") == "lr"
        lr = data["params"][0]
        assert lr["key"] == "lr" and lr["importance"] > 0.5 and lr["spearman"] > 0.95
        shown = [float(rows.first.locator(".imp-value").nth(i).inner_text()) for i in (0, 1)]
        assert shown == [round(lr["importance"], 3), round(lr["correlation"], 3)]
        assert "seed" in page.inner_text("#sweep-importance")  # same in every run
        # scatter: a dot per scored run at its logged lr and val/loss
        dots = page.locator("#sweep-scatter circle").evaluate_all(
            "els => els.map(e => [e.dataset.run, Number(e.dataset.y), e.dataset.x])")
        assert {d[0]: d[1] for d in dots} == {k: r["loss"] for k, r in scored.items()}
        page.select_option("#sweep-scatter .scatter-key", "opt")
        xs = page.locator("#sweep-scatter circle").evaluate_all("els => els.map(e => [e.dataset.run, e.dataset.x])")
        assert {run: x for run, x in xs} == {k: r["config"]["opt"] for k, r in scored.items()}
        watched.shot("analysis")
        page.locator("#sweep-charts").screenshot(path=str(watched_path(watched, "charts")))

        # in Spanish: the page's and the script's texts
        page.context.add_cookies([{"name": "lang", "value": "es", "url": server.url}])
        page.reload()
        wait_until(page, "document.body.dataset.analysed === '1'")
        assert "Importancia de los parámetros" in page.inner_text("#sweep-charts")
        assert page.locator("#sweep-importance th").all_inner_texts() == [
            "Parámetro", "Importancia", "Correlación"]
        page.context.add_cookies([{"name": "lang", "value": "en", "url": server.url}])

        # the same charts as workspace panels over the shown runs
        page.goto(f"{server.url}/alice/sw")
        wait_until(page, "document.body.dataset.loaded === '1'")
        page.click(".ws-add summary")
        for kind in ("importance", "parallel", "scatter"):
            page.select_option("#ws-add-kind", kind)
            page.select_option("#ws-add-keys", "val/loss")
            page.click("#ws-add-form button[type=submit]")
        for kind in ("importance", "parallel", "scatter"):
            wait_until(page, f"document.querySelector(\"figure[data-kind='{kind}']\").dataset.drawn")
        panel = page.locator("figure[data-kind='importance'] tbody tr").first
        assert panel.get_attribute("data-key") == "lr"
        assert page.locator("figure[data-kind='parallel'] polyline").count() == 9
        assert page.locator("figure[data-kind='scatter'] circle").count() == 8
        page.locator("figure[data-kind='parallel']").scroll_into_view_if_needed()
        watched.shot("workspace")

        # compare: only the config keys that differ, highlighted
        names = sorted(scored)[:3]
        page.goto(f"{server.url}/alice/sw/compare?" + "&".join(f"runs={n}" for n in names))
        keys = page.locator("#config-diff tbody tr").evaluate_all(
            "els => els.map(e => e.dataset.key)")
        assert "lr" in keys and "seed" not in keys
        assert page.locator("#config-diff td.differs").count() >= 2
        page.locator("#config-diff-card").screenshot(path=str(watched_path(watched, "config-diff")))
        watched.check_clean()
    finally:
        server.stop()


def watched_path(watched, label: str):
    from ui.conftest import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{watched.name}-{label}.png"
