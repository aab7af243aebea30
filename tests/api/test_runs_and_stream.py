import gzip
import json

import orjson

RESUME = """query RunResumeStatus($project: String, $entity: String, $name: String!) {
  model(name: $project, entityName: $entity) { id name entity { id name }
    bucket(name: $name, missingOk: true) { id name summaryMetrics displayName logLineCount
      historyLineCount eventsLineCount historyTail eventsTail config tags notes
      wandbConfig(keys: ["t"]) } } }"""

HISTORY = """query H($project: String!, $entity: String!, $name: String!, $spec: JSONString!) {
  project(name: $project, entityName: $entity) { run(name: $name) {
    historyKeys sampledHistory(specs: [$spec]) history(samples: 100000)
    parquetHistory(liveKeys: ["_step"]) { parquetUrls liveData } } } }"""


def hist(start, count):
    return [json.dumps({"_step": i, "loss": 1 / (i + 1), "n": {"a": i}}) for i in range(start, start + count)]


def resume_status(api, name):
    return api.gql(RESUME, project="proj", entity="alice", name=name)["data"]["model"]["bucket"]


def test_upsert_creates_then_updates_and_merges_config(api):
    first = api.upsert("r1", config=json.dumps({"lr": {"value": 0.1}}), tags=["a"],
                       displayName="my run")
    assert first["inserted"] is True
    bucket = first["bucket"]
    assert bucket["name"] == "r1" and bucket["displayName"] == "my run"
    assert bucket["project"]["name"] == "proj" and bucket["project"]["entity"]["name"] == "alice"
    second = api.upsert("r1", config=json.dumps({"_wandb": {"value": {"t": {"1": 2}}}}))
    assert second["inserted"] is False and second["bucket"]["id"] == bucket["id"]
    config = json.loads(second["bucket"]["config"])
    assert config == {"lr": {"value": 0.1}, "_wandb": {"value": {"t": {"1": 2}}}}


def test_resume_status_for_missing_project_and_run(api):
    body = api.gql(RESUME, project="nope", entity="alice", name="x")
    assert body["data"]["model"] is None
    api.upsert("r1")
    body = api.gql(RESUME, project="proj", entity="alice", name="missing")
    assert body["data"]["model"]["bucket"] is None


def test_replayed_and_overlapping_stream_requests_store_each_line_once(api):
    api.upsert("r1", config=json.dumps({"_wandb": {"value": {"t": {"1": 2}}}}))
    body = {"files": {"wandb-history.jsonl": {"offset": 0, "content": hist(0, 10)},
                      "output.log": {"offset": 0, "content": ["a", "b"]}}}
    assert api.stream("r1", body) == {"exitcode": None, "limits": {}}
    api.stream("r1", body)
    api.stream("r1", {"files": {"wandb-history.jsonl": {"offset": 5, "content": hist(5, 10)},
                                "output.log": {"offset": 1, "content": ["b2", "c"]}}})
    status = resume_status(api, "r1")
    assert status["historyLineCount"] == 15 and status["logLineCount"] == 3
    tail = json.loads(status["historyTail"])
    assert [json.loads(line)["_step"] for line in tail][-1] == 14
    assert json.loads(status["wandbConfig"]) == {"t": {"1": 2}}
    spec = json.dumps({"keys": ["_step", "loss"], "samples": 1000})
    run = api.gql(HISTORY, project="proj", entity="alice", name="r1", spec=spec)["data"]["project"]["run"]
    steps = [row["_step"] for row in run["sampledHistory"][0]]
    assert steps == list(range(15))
    assert [json.loads(line)["_step"] for line in run["history"]] == list(range(15))
    assert run["parquetHistory"] == {"parquetUrls": [], "liveData": [{"_step": i} for i in range(15)]}
    assert run["historyKeys"]["lastStep"] == 14
    assert run["historyKeys"]["keys"]["n.a"] == {"typeCounts": [{"type": "number", "count": 15}]}
    assert isinstance(run["sampledHistory"][0][3]["_step"], int)


def test_bad_stream_input_is_refused_and_changes_nothing(api):
    api.upsert("r1")
    api.stream("r1", {"files": {"wandb-history.jsonl": {"offset": 0, "content": hist(0, 3)}}})
    bad_bodies = [
        [1, 2],
        {"files": []},
        {"files": {"wandb-history.jsonl": {"offset": 3, "content": "not a list"}}},
        {"files": {"wandb-history.jsonl": {"offset": -1, "content": []}}},
        {"files": {"wandb-history.jsonl": {"offset": 3, "content": [hist(3, 1)[0], "{broken"]}}},
        {"files": {"wandb-history.jsonl": {"offset": 3, "content": ["[1]"]}},
         "exitcode": "zero"},
        {"files": {"wandb-summary.json": {"offset": 0, "content": ["nope"]}}},
    ]
    for bad in bad_bodies:
        message = api.stream("r1", bad, expect=400)["errors"][0]["message"]
        assert message
    response = api.client.post("/files/alice/proj/r1/file_stream", content=b"{oops",
                               headers=api.headers())
    assert response.status_code == 400
    assert api.stream("nope", {}, expect=404)["errors"][0]["message"].endswith("not found")
    status = resume_status(api, "r1")
    assert status["historyLineCount"] == 3


def test_gzip_bodies_summary_replace_and_completion(api):
    api.upsert("r1")
    body = {"files": {"wandb-summary.json": {"offset": 0, "content": [json.dumps({"a": 1})]}}}
    response = api.client.post("/files/alice/proj/r1/file_stream",
                               content=gzip.compress(orjson.dumps(body)),
                               headers={**api.headers(), "Content-Encoding": "gzip",
                                        "Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    api.stream("r1", {"files": {"wandb-summary.json": {"offset": 0, "content": [json.dumps({"b": 2})]}},
                      "complete": True, "exitcode": 1})
    status = resume_status(api, "r1")
    assert json.loads(status["summaryMetrics"]) == {"b": 2}
    runs = api.gql('{ project(name: "proj", entityName: "alice") { runs { edges { node { state } } } } }')
    assert runs["data"]["project"]["runs"]["edges"][0]["node"]["state"] == "failed"


def test_oversized_body_gets_413(api, app):
    api.upsert("r1")
    limit = app.state.services.settings.max_request_bytes
    response = api.client.post("/files/alice/proj/r1/file_stream", headers=api.headers(),
                               content=b" " * (limit + 1))
    assert response.status_code == 413
    assert "limit" in response.json()["errors"][0]["message"]


def test_sampled_history_keeps_extremes_of_a_long_series(api):
    api.upsert("r1")
    lines = []
    for i in range(20_000):
        value = 1000.0 if i == 12_345 else (-5.0 if i == 7 else float(i % 10))
        lines.append(json.dumps({"_step": i, "v": value}))
    for start in range(0, len(lines), 5000):
        api.stream("r1", {"files": {"wandb-history.jsonl": {"offset": start, "content": lines[start:start + 5000]}}})
    spec = json.dumps({"keys": ["_step", "v"], "samples": 500})
    run = api.gql(HISTORY, project="proj", entity="alice", name="r1", spec=spec)["data"]["project"]["run"]
    rows = run["sampledHistory"][0]
    assert len(rows) <= 500
    steps = [r["_step"] for r in rows]
    assert steps[0] == 0 and steps[-1] == 19_999 and 12_345 in steps and 7 in steps
    assert len(run["history"]) == 20_000


ALERT = """mutation A($title: String!, $wait: Duration) { notifyScriptableRunAlert(input: {
  entityName: "alice", projectName: "proj", runName: "r1", title: $title, text: "body",
  severity: WARN, waitDuration: $wait}) { success } }"""


def test_alerts_are_stored_and_repeats_within_the_wait_are_suppressed(api, app):
    api.upsert("r1")
    for title in ("loss spiked", "loss spiked", "other"):
        assert api.gql(ALERT, title=title, wait=60_000)["data"]["notifyScriptableRunAlert"] == {"success": True}
    from wbserver.domain.models import RunKey

    store = app.state.services.store
    alerts = store.list_alerts(store.get_run(RunKey("alice", "proj", "r1")).id)
    assert [(a["title"], a["severity"], a["suppressed"]) for a in alerts] == [
        ("loss spiked", "WARN", False), ("loss spiked", "WARN", True), ("other", "WARN", False)]
    body = api.gql(ALERT, expect=400, title=" ", wait=0)
    assert "title" in body["errors"][0]["message"]


def test_public_update_by_id_replaces_config_and_keeps_state(api):
    bucket = api.upsert("r1", config=json.dumps({"a": {"value": 1}, "b": {"value": 2}}))["bucket"]
    api.stream("r1", {"complete": True, "exitcode": 0})
    updated = api.gql(UPSERT_BY_ID, id=bucket["id"], config=json.dumps({"a": {"value": 3}}),
                      tags=["t"], summary=json.dumps({"s": 1}))["data"]["upsertBucket"]["bucket"]
    assert json.loads(updated["config"]) == {"a": {"value": 3}}
    assert updated["state"] == "finished" and updated["tags"] == ["t"]
    assert json.loads(updated["summaryMetrics"]) == {"s": 1}


UPSERT_BY_ID = """mutation U($id: String!, $config: JSONString!, $tags: [String!], $summary: JSONString) {
  upsertBucket(input: {id: $id, config: $config, tags: $tags, summaryMetrics: $summary}) {
    bucket { config state tags summaryMetrics } } }"""


def test_projects_of_an_entity_are_listed_with_cursors(api):
    for project in ("p1", "p2", "p3"):
        api.upsert("r", project=project)
    query = """query P($cursor: String) { models(entityName: "alice", after: $cursor, first: 2) {
      pageInfo { endCursor hasNextPage } edges { node { __typename name entityName } } } }"""
    first = api.gql(query)["data"]["models"]
    assert len(first["edges"]) == 2 and first["pageInfo"]["hasNextPage"] is True
    second = api.gql(query, cursor=first["pageInfo"]["endCursor"])["data"]["models"]
    names = [e["node"]["name"] for e in first["edges"] + second["edges"]]
    assert sorted(names) == ["p1", "p2", "p3"] and second["pageInfo"]["hasNextPage"] is False
    assert first["edges"][0]["node"]["__typename"] == "Project"


def test_sampled_history_json_equals_the_dict_rows(api, app):
    """sampledHistory's rows come JSON-encoded from the columns; they must read back exactly
    as the dict rows the domain builds: ints as ints, NaN and Infinity as null, keys that
    some rows lack, step ranges, sampling, and specs whose keys are not all numbers."""
    from wbserver.domain.history import sampled_history
    from wbserver.domain.models import RunKey

    api.upsert("r1")
    lines = []
    for i in range(3000):
        row = {"_step": i, "loss": [1 / (i + 1), i, float("nan"), float("inf"), 2**40][i % 5]}
        if i % 7:
            row["acc"] = i % 3 if i % 2 else i * 0.25
        if i % 11 == 0:
            row["text"] = f"t{i}"
        lines.append(json.dumps(row))
    api.stream("r1", {"files": {"wandb-history.jsonl": {"offset": 0, "content": lines}}})
    store = app.state.services.store
    run = store.get_run(RunKey("alice", "proj", "r1"))
    specs = [{"keys": ["_step", "loss"], "samples": 10000},
             {"keys": ["_step", "loss", "acc"], "samples": 10000},
             {"keys": ["acc", "loss"], "samples": 300},
             {"keys": ["_step", "acc"], "samples": 10000, "minStep": 100, "maxStep": 2500},
             {"keys": ["loss", "loss", "_step"], "samples": 7, "minStep": 10},
             {"keys": ["_step", "text"], "samples": 50},
             {"keys": ["missing"]}, {"keys": []}]
    query = """query H($specs: [JSONString!]!) { project(name: "proj", entityName: "alice") {
      run(name: "r1") { sampledHistory(specs: $specs) } } }"""
    response = api.client.post("/graphql", headers=api.headers(), json={
        "query": query, "variables": {"specs": [json.dumps(s) for s in specs]}})
    assert response.status_code == 200, response.text
    got = response.json()["data"]["project"]["run"]["sampledHistory"]
    expected = orjson.loads(orjson.dumps([sampled_history(store, run, s) for s in specs]))
    assert got == expected
    assert [len(rows) for rows in got[:3]] == [3000, 2571, 300]
    # NaN and Infinity as strings: wandb-core reads this answer with Go's strict JSON
    assert got[0][2] == {"_step": 2, "loss": "NaN"} and got[0][4]["loss"] == 2**40
    assert got[0][3] == {"_step": 3, "loss": "Infinity"}
    assert isinstance(got[0][1]["loss"], int) and isinstance(got[0][0]["loss"], float)


def test_history_keys_differing_only_in_case_stay_apart(api):
    """`loss` and `Loss` are two metrics on MySQL/MariaDB too (binary collation, 0010)."""
    api.upsert("r1")
    lines = [json.dumps({"_step": i, "loss": i * 1.5, "Loss": -i * 1.0, "lóss": 7.0})
             for i in range(300)]
    api.stream("r1", {"files": {"wandb-history.jsonl": {"offset": 0, "content": lines}}})
    for key, value in (("loss", lambda i: i * 1.5), ("Loss", lambda i: -i * 1.0),
                       ("lóss", lambda i: 7.0)):
        spec = json.dumps({"keys": ["_step", key], "samples": 1000})
        run = api.gql(HISTORY, project="proj", entity="alice", name="r1",
                      spec=spec)["data"]["project"]["run"]
        rows = run["sampledHistory"][0]
        assert [r["_step"] for r in rows] == list(range(300)), key
        assert [r[key] for r in rows] == [value(i) for i in range(300)], key
