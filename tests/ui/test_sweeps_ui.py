"""The sweep pages in Chromium (issue 25): the project's Sweeps tab, a sweep's runs and best
run, and its Pause and Resume buttons; no console error, nothing leaving 127.0.0.1."""

from __future__ import annotations

import json

from e2e.harness import graphql, start_server

from ui.test_runs_ui import PASSWORD, sign_in

CONFIG = """method: grid
name: ui search
metric: {name: acc, goal: maximize}
parameters:
  lr: {values: [0.1, 0.01, 0.001]}
"""


def test_sweep_page_lists_runs_best_run_and_pauses(tmp_path, new_page):
    server = start_server(tmp_path / "srv")
    try:
        server.set_password("alice", PASSWORD)
        sweep = graphql(server, 'mutation { upsertSweep(input: {entityName: "alice", '
                        'projectName: "ui-sweep", config: ' + json.dumps(CONFIG) + '}) { '
                        "sweep { name } } }")["upsertSweep"]["sweep"]["name"]
        agent = graphql(server, 'mutation { createAgent(input: {host: "h", entityName: '
                        f'"alice", projectName: "ui-sweep", sweep: "{sweep}"}}) {{ agent {{ id '
                        "} } }")["createAgent"]["agent"]["id"]
        for acc in (0.7, 0.95):
            beat = graphql(server, f'mutation {{ agentHeartbeat(input: {{id: "{agent}", '
                           'runState: "{}"}) { commands } }')
            run = json.loads(beat["agentHeartbeat"]["commands"])[0]["run_id"]
            graphql(server, 'mutation U($n: String, $s: JSONString) { upsertBucket(input: {'
                    'entityName: "alice", modelName: "ui-sweep", name: $n, summaryMetrics: '
                    "$s}) { bucket { id } } }", {"n": run, "s": json.dumps({"acc": acc})})

        watched = new_page("sweep")
        page = watched.page
        sign_in(watched, server)
        page.goto(server.url + "/alice/ui-sweep")
        page.click("nav.tabs a:text-is('Sweeps')")
        page.click("#sweeps a:text-is('ui search')")
        page.wait_for_selector("#sweep-run-table")
        assert page.inner_text("#sweep-state") == "running"
        assert page.locator("#sweep-run-table tbody tr").count() == 2
        assert "acc = 0.95" in page.inner_text("#best-run")
        assert page.locator("#sweep-run-table tr.best").count() == 1
        watched.shot("sweep")
        page.click("#sweep-controls button[value='pause']")
        page.wait_for_selector("#sweep-controls button[value='resume']")
        assert page.inner_text("#sweep-state") == "paused"
        page.click("#sweep-controls button[value='resume']")
        page.wait_for_selector("#sweep-controls button[value='pause']")
        assert page.inner_text("#sweep-state") == "running"
        watched.check_clean()
    finally:
        server.stop()
