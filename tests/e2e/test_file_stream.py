"""file_stream at the HTTP level: replays and overlaps never duplicate or lose
lines, and bad requests are refused without harming what was accepted."""

from __future__ import annotations

import gzip
import json
from typing import Any

import httpx
import pytest

from .harness import Server, basic_auth, graphql, resume_status

PROJECT = "fs-proj"

UPSERT_BUCKET = """
mutation UpsertBucket ($id: String, $name: String, $project: String, $entity: String,
    $groupName: String, $description: String, $displayName: String, $notes: String,
    $commit: String, $config: JSONString, $host: String, $debug: Boolean, $program: String,
    $repo: String, $jobType: String, $state: String, $sweep: String, $tags: [String!],
    $summaryMetrics: JSONString) {
  upsertBucket(input: {id:$id, name:$name, groupName:$groupName, modelName:$project,
      entityName:$entity, description:$description, displayName:$displayName, notes:$notes,
      config:$config, commit:$commit, host:$host, debug:$debug, jobProgram:$program,
      jobRepo:$repo, jobType:$jobType, state:$state, sweep:$sweep, tags:$tags,
      summaryMetrics:$summaryMetrics}) {
    bucket { id name displayName description config sweepName
             project { id name entity { id name } } historyLineCount }
    inserted
  }
}
"""

RUN_FULL_HISTORY = """
query RunFullHistory($project: String!, $entity: String!, $name: String!, $samples: Int) {
  project(name: $project, entityName: $entity) { run(name: $name) { history(samples: $samples) } }
}
"""


def history_line(step: int) -> str:
    row = {
        "_step": step,
        "loss": 1 / (step + 1),
        "nested": {"a": step, "b": {"c": 2 * step}},
        "_runtime": 0.5 * step,
        "_timestamp": 1_790_000_000.25 + step,
    }
    return json.dumps(row)


def log_line(n: int, text: str | None = None) -> str:
    return f"2026-11-29T16:28:{n:02d}.449426 {text or f'console line {n}'}"


def history_body(first: int, last: int) -> dict[str, Any]:
    lines = [history_line(i) for i in range(first, last + 1)]
    return {"wandb-history.jsonl": {"offset": first, "content": lines}}


@pytest.fixture
def fs(server: Server, request: pytest.FixtureRequest) -> dict[str, Any]:
    """A fresh run, created with UpsertBucket as wandb-core does, for one test."""
    run = "fs" + request.node.name.removeprefix("test_").replace("_", "")[:40]
    data = graphql(
        server,
        UPSERT_BUCKET,
        {
            "name": run,
            "project": PROJECT,
            "entity": "alice",
            "displayName": "raw-fs",
            "config": json.dumps({"lr": {"value": 0.1}}),
            "tags": ["raw"],
        },
    )
    bucket = data["upsertBucket"]["bucket"]
    assert bucket["name"] == run and bucket["id"], bucket
    assert bucket["project"]["name"] == PROJECT and bucket["project"]["entity"]["name"] == "alice"
    return {
        "run": run,
        "url": f"{server.url}/files/alice/{PROJECT}/{run}/file_stream",
        "auth": basic_auth(server.api_key),
    }


def post(
    fs: dict[str, Any],
    body: Any,
    *,
    raw: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    content = raw if raw is not None else json.dumps(body).encode()
    return httpx.post(
        fs["url"],
        content=content,
        timeout=30,
        headers={"Content-Type": "application/json", **fs["auth"], **(headers or {})},
    )


def assert_ok(resp: httpx.Response) -> None:
    assert 200 <= resp.status_code < 300, f"{resp.status_code}: {resp.text[:1000]}"
    assert isinstance(resp.json(), dict), resp.text


def assert_json_error(resp: httpx.Response, status: int | None = None) -> None:
    if status is None:
        assert 400 <= resp.status_code < 500, f"{resp.status_code}: {resp.text[:1000]}"
    else:
        assert resp.status_code == status, f"{resp.status_code}: {resp.text[:1000]}"
    try:
        body = resp.json()
    except ValueError:
        raise AssertionError(f"error answer is not JSON: {resp.text[:1000]!r}") from None
    assert isinstance(body, dict), body
    messages = [body.get("error"), body.get("message"), body.get("detail")]
    messages += [e.get("message") for e in body.get("errors") or [] if isinstance(e, dict)]
    assert any(isinstance(m, str) and m for m in messages), f"no error message in {body}"


def status(server: Server, fs: dict[str, Any]) -> dict[str, Any]:
    return resume_status(server, "alice", PROJECT, fs["run"])


def history(server: Server, fs: dict[str, Any]) -> list[dict[str, Any]]:
    run = graphql(
        server,
        RUN_FULL_HISTORY,
        {"project": PROJECT, "entity": "alice", "name": fs["run"], "samples": 1000},
    )
    return [json.loads(line) for line in run["project"]["run"]["history"]]


def assert_history(server: Server, fs: dict[str, Any], count: int) -> None:
    bucket = status(server, fs)
    assert bucket["historyLineCount"] == count, bucket
    rows = history(server, fs)
    assert [r["_step"] for r in rows] == list(range(count))
    assert rows == [json.loads(history_line(i)) for i in range(count)]


def test_replayed_and_overlapping_posts_do_not_duplicate(server: Server, fs: dict) -> None:
    first = {
        "files": {
            **history_body(0, 9),
            "output.log": {"offset": 0, "content": [log_line(i) for i in range(4)]},
        }
    }
    assert_ok(post(fs, first))
    assert_ok(post(fs, first))  # a retried request
    overlap = {
        "files": {
            **history_body(5, 14),
            "output.log": {
                "offset": 2,
                "content": [log_line(2), log_line(3, "progress 100%"), log_line(4), log_line(5)],
            },
            "wandb-summary.json": {
                "offset": 0,
                "content": [json.dumps({"loss": 1 / 15, "_step": 14})],
            },
        }
    }
    assert_ok(post(fs, overlap))
    assert_ok(post(fs, {}))  # a heartbeat changes nothing

    assert_history(server, fs, 15)
    bucket = status(server, fs)
    assert bucket["logLineCount"] == 6, bucket
    summary = json.loads(bucket["summaryMetrics"])
    assert summary["loss"] == 1 / 15 and summary["_step"] == 14, summary
    tail = [json.loads(line) for line in json.loads(bucket["historyTail"])]
    assert tail and tail[-1]["_step"] == 14, bucket["historyTail"]


def test_gzipped_body_is_accepted(server: Server, fs: dict) -> None:
    assert_ok(post(fs, {"files": history_body(0, 2)}))
    body = json.dumps({"files": history_body(3, 4)}).encode()
    assert_ok(post(fs, None, raw=gzip.compress(body), headers={"Content-Encoding": "gzip"}))
    assert_history(server, fs, 5)


def test_bad_requests_are_refused_and_change_nothing(server: Server, fs: dict) -> None:
    accepted = {
        "files": {
            **history_body(0, 9),
            "output.log": {"offset": 0, "content": [log_line(0), log_line(1)]},
        }
    }
    assert_ok(post(fs, accepted))
    before = status(server, fs)
    count = 10
    assert before["historyLineCount"] == count and before["logLineCount"] == 2, before

    assert_json_error(post(fs, None, raw=b"{this is not json"))
    assert_json_error(
        post(
            fs,
            {"files": {"wandb-history.jsonl": {"offset": count, "content": history_line(count)}}},
        )
    )
    assert_json_error(post(fs, ["not", "an", "object"]))

    unknown = dict(fs, url=f"{server.url}/files/alice/{PROJECT}/nosuchrun/file_stream")
    assert_json_error(post(unknown, {"files": history_body(0, 1)}), status=404)

    no_auth = httpx.post(fs["url"], json={"files": history_body(count, count)}, timeout=30)
    assert no_auth.status_code == 401, f"{no_auth.status_code}: {no_auth.text[:500]}"
    bad_key = dict(fs, auth=basic_auth("local-" + "x" * 40))
    assert post(bad_key, {"files": history_body(count, count)}).status_code == 401

    after = status(server, fs)
    assert after["logLineCount"] == before["logLineCount"]
    assert after["summaryMetrics"] == before["summaryMetrics"]
    assert_history(server, fs, count)
