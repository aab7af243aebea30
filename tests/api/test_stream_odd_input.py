"""Odd but possible input on the ingest side (issue #19, items 2, 6 and 7): NaN and ±Infinity
in summaries and configs, offsets past the stored lines or past 32 bits, rows nested too
deeply or holding lone surrogates, negative and fractional steps, and console pages asked
from absurd lines. Each is kept faithfully or refused with a 4xx; never a 500."""

from __future__ import annotations

import json
import math

from .test_web_ui import sign_in

H = "wandb-history.jsonl"
PAGE = "/alice/proj/runs/{}"
UI = "/_ui/alice/proj/runs/{}"
SCAN = """query H($min: Int64!, $max: Int64!) { project(name: "proj", entityName: "alice") {
  run(name: "r1") { history(minStep: $min, maxStep: $max, samples: 1000) historyKeys } } }"""
FULL = """query { project(name: "proj", entityName: "alice") { run(name: "r1") {
  history(samples: 1000) summaryMetrics config } } }"""


def post(api, body, run="r1"):
    return api.client.post(f"/files/alice/proj/{run}/file_stream", headers=api.headers(),
                           json=body)


def test_nan_and_infinity_in_summary_and_config_show_on_every_page(api):
    sign_in(api)
    api.upsert("r1", config=json.dumps({"lr": {"value": float("nan")},
                                        "clip": {"value": float("-inf")}}))
    summary = '{"loss": NaN, "best": Infinity, "worst": -Infinity, "acc": 0.5}'
    api.stream("r1", {"files": {"wandb-summary.json": {"offset": 0, "content": [summary]},
                                H: {"offset": 0, "content": [
                                    '{"_step": 0, "loss": 1.5}', '{"_step": 1, "loss": NaN}',
                                    '{"_step": 2, "loss": Infinity}']}}})
    page = api.client.get(PAGE.format("r1"))
    assert page.status_code == 200, page.text
    for shown in ("NaN", "∞", "-∞"):
        assert f"<td>{shown}</td>" in page.text
    status = api.client.get(UI.format("r1") + "/status")
    assert status.status_code == 200, status.text
    assert status.json()["summary"] == {"loss": "NaN", "best": "∞", "worst": "-∞", "acc": "0.5"}
    table = api.client.get("/_ui/alice/proj/runs?col=summary.loss&col=config.lr")
    assert table.status_code == 200, table.text
    assert table.json()["rows"][0]["cells"] == {"summary.loss": "NaN", "config.lr": "NaN"}
    assert api.client.get("/alice/proj").status_code == 200
    assert api.client.get("/alice/proj/compare?runs=r1").status_code == 200
    series = api.client.get(UI.format("r1") + "/series?keys=loss")
    assert series.status_code == 200 and series.json()["series"]["loss"]["y"] == [1.5]
    assert series.json()["series"]["loss"]["notFinite"] == 2  # the chart says so
    # the client reads back what it sent, NaN and ±Infinity included
    run = api.gql(FULL)["data"]["project"]["run"]
    assert run["summaryMetrics"] == summary
    config = json.loads(run["config"])
    assert math.isnan(config["lr"]["value"]) and config["clip"]["value"] == -math.inf
    rows = [json.loads(line) for line in run["history"]]
    assert math.isnan(rows[1]["loss"]) and rows[2]["loss"] == math.inf


def test_console_page_start_must_be_a_32_bit_line_number(api):
    sign_in(api)
    api.upsert("r1")
    api.stream("r1", {"files": {"output.log": {"offset": 0, "content": ["a", "b"]}}})
    for start in ("100000000000000000000000", "-5", "abc", "1e3", "²", "2147483648"):
        response = api.client.get(UI.format("r1") + f"/logs?start={start}")
        assert response.status_code == 400, (start, response.text)
        assert "start must be a line number" in response.json()["error"]
    assert api.client.get(UI.format("r1") + "/logs?start=2147483647").json()["lines"] == []
    assert [x["text"] for x in api.client.get(UI.format("r1") + "/logs?start=1").json()[
        "lines"]] == ["b"]


def test_offsets_past_32_bits_are_refused(api):
    api.upsert("r1")
    for name in (H, "wandb-events.jsonl", "output.log"):
        for offset in (2**63, 2**64 - 1, 2**31):
            response = post(api, {"files": {name: {"offset": offset, "content": ['{"a": 1}']}}})
            assert response.status_code == 400, (name, offset, response.text)
            assert "goes past line" in response.json()["error"]


def test_a_gap_in_history_or_events_is_refused_and_later_lines_fill_it(api):
    api.upsert("r1")
    lines = [json.dumps({"_step": i, "loss": i / 10}) for i in range(10)]
    api.stream("r1", {"files": {H: {"offset": 0, "content": lines[:3]}}})
    gap = post(api, {"files": {H: {"offset": 5, "content": lines[5:]},
                               "wandb-summary.json": {"offset": 0, "content": ['{"x": 1}']}}})
    assert gap.status_code == 409, gap.text
    assert "offset 5 is past the 3 lines stored" in gap.json()["error"]
    events = post(api, {"files": {"wandb-events.jsonl": {"offset": 2, "content": ['{"a": 1}']}}})
    assert events.status_code == 409, events.text
    # nothing of the refused requests was kept; the lines that fill the gap are stored
    api.stream("r1", {"files": {H: {"offset": 3, "content": lines[3:5]}}})
    api.stream("r1", {"files": {H: {"offset": 5, "content": lines[5:]}}})
    run = api.gql(FULL)["data"]["project"]["run"]
    assert [json.loads(x) for x in run["history"]] == [json.loads(x) for x in lines]
    assert run["summaryMetrics"] in (None, "{}")


def test_rows_nested_too_deeply_are_refused(api):
    api.upsert("r1")
    for depth in (5000, 1000, 101):
        deep = '{"a":' * depth + "1" + "}" * depth
        for name, where in ((H, "line 0"), ("wandb-summary.json", "content"),
                            ("wandb-events.jsonl", "line 0")):
            response = post(api, {"files": {name: {"offset": 0, "content": [deep]}}})
            assert response.status_code == 400, (depth, name, response.text)
            assert f"{where} nests deeper than 100 levels" in response.json()["error"]
    ok = '{"a":' * 99 + "1" + "}" * 99
    api.stream("r1", {"files": {H: {"offset": 0, "content": [ok]}}})


def test_lone_surrogates_are_kept_in_values_and_refused_in_keys(api):
    sign_in(api)
    api.upsert("r1")
    line = '{"_step": 0, "text": "\\ud800", "loss": 1}'
    summary = '{"text": "a\\udfffb"}'
    api.stream("r1", {"files": {H: {"offset": 0, "content": [line]},
                                "wandb-summary.json": {"offset": 0, "content": [summary]}}})
    run = api.gql(FULL)["data"]["project"]["run"]
    assert run["history"] == [line] and run["summaryMetrics"] == summary
    assert json.loads(run["history"][0])["text"] == "\ud800"
    page = api.client.get(PAGE.format("r1"))
    assert page.status_code == 200 and "a\ufffdb" in page.text
    assert api.client.get(UI.format("r1") + "/status").json()["summary"] == {"text": "a\ufffdb"}
    spec = json.dumps({"keys": ["_step", "text"]})
    sampled = api.gql("""query H($s: JSONString!) { project(name: "proj", entityName: "alice") {
        run(name: "r1") { sampledHistory(specs: [$s]) } } }""", s=spec)
    assert sampled["data"]["project"]["run"]["sampledHistory"] == [[{"_step": 0,
                                                                      "text": "\ud800"}]]
    for name in (H, "wandb-summary.json", "wandb-events.jsonl"):
        response = post(api, {"files": {name: {"offset": 1 if name == H else 0,
                                               "content": ['{"\\ud800": 1}']}}})
        assert response.status_code == 400, (name, response.text)
        assert "not valid Unicode" in response.json()["error"]


def _scan(api, last_step):
    """What wandb-core's scan_history reads: pages of [min, max) up to lastStep + 1."""
    rows = []
    for low in range(0, last_step + 1, 2):
        page = api.gql(SCAN, min=low, max=low + 2)["data"]["project"]["run"]["history"]
        rows += [json.loads(line) for line in page]
    return rows


def test_fractional_and_missing_steps_read_the_same_by_scan_and_history(api):
    api.upsert("r1")
    lines = ['{"_step": 0.5, "a": 1}', '{"_step": 1.5, "a": 2}', '{"a": 3}',
             '{"_step": "x", "a": 4}', '{"_step": 4.5, "a": 5}']
    api.stream("r1", {"files": {H: {"offset": 0, "content": lines}}})
    run = api.gql(FULL)["data"]["project"]["run"]
    everything = [json.loads(line) for line in run["history"]]
    last_step = json.loads(json.dumps(api.gql(SCAN, min=0, max=1)["data"]["project"]["run"][
        "historyKeys"]))["lastStep"]
    assert last_step == 4
    assert _scan(api, last_step) == everything


def test_negative_steps_are_refused(api):
    api.upsert("r1")
    for step in (-1, -2.5, -(2**62)):
        response = post(api, {"files": {H: {"offset": 0, "content": [
            '{"_step": 0, "a": 1}', json.dumps({"_step": step, "a": 2})]}}})
        assert response.status_code == 400, (step, response.text)
        assert "is negative" in response.json()["error"]
    assert api.gql(FULL)["data"]["project"]["run"]["history"] == []


def test_a_retry_whose_new_tail_lacks_a_key_of_its_stored_head_is_stored(api):
    """Found by the file_stream fuzz: the accelerated columns of the new tail held a key no
    tail row has (only the already stored head), and the empty segment made a 500."""
    api.upsert("r1")
    head, tail = '{"_step": 0, "a": 1.5}', '{"b": 2}'
    api.stream("r1", {"files": {H: {"offset": 0, "content": [head]}}})
    api.stream("r1", {"files": {H: {"offset": 0, "content": [head, tail]}}})
    run = api.gql(FULL)["data"]["project"]["run"]
    assert [json.loads(x) for x in run["history"]] == [json.loads(head), json.loads(tail)]
