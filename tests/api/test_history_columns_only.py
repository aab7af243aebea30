"""Rows of plain numbers are stored once, as per-key columns, and read back as the same rows:
same keys in the same order, same numbers (ints stay ints), through history, tails, retries
and the web UI's row reads; other requests keep their lines exactly as sent."""

from __future__ import annotations

import json
import os

import pytest

from wbserver.domain import history_columns
from wbserver.domain.history import iter_lines, sampled_lines, tail_lines
from wbserver.domain.history_lines import COLUMNS_ONLY
from wbserver.domain.models import RunKey

from .test_runs_and_stream import HISTORY, resume_status

pytestmark = pytest.mark.skipif(  # in CI the accelerator is built (test_history_columns.py)
    not history_columns.ACCELERATED and not os.environ.get("CI"),
    reason="columns-only chunks come from the C accelerator, built without a C compiler")


def _row(step: int) -> str:
    # the formats clients write: spaces, exponents, ints and int-valued floats, negatives
    return json.dumps({"_step": step, "loss": 1 / (step + 1), "acc": float(step % 3),
                       "tiny": -1e-07 * step, "count": step * 1000, "big": 2**52 + step,
                       "_runtime": step * 0.25}, separators=(", ", ": "))


def _rows(start: int, count: int) -> list[str]:
    return [_row(i) for i in range(start, start + count)]


def _stream(api, run: str, offset: int, lines: list[str]) -> None:
    api.stream(run, {"files": {"wandb-history.jsonl": {"offset": offset, "content": lines}}})


def _chunks(app, run: str):
    store = app.state.services.store
    found = store.get_run(RunKey("alice", "proj", run))
    return store, found, store.read_chunks(found.id, "history")


def _same(lines: list[str], expected: list[str]) -> None:
    assert len(lines) == len(expected)
    for line, want in zip(lines, expected, strict=True):
        got, sent = json.loads(line), json.loads(want)
        assert list(got) == list(sent)  # the keys in the order the client sent them
        assert got == sent and [type(v) for v in got.values()] == [type(v) for v in sent.values()]


def test_numeric_rows_are_stored_as_columns_and_read_back_the_same(api, app):
    api.upsert("r1")
    sent = _rows(0, 300)
    _stream(api, "r1", 0, sent[:200])
    _stream(api, "r1", 0, sent[:200])             # a retried request changes nothing
    _stream(api, "r1", 150, sent[150:300])        # an overlapping one adds only the new rows
    store, run, chunks = _chunks(app, "r1")
    assert [(c.start_line, c.end_line) for c in chunks] == [(0, 200), (200, 300)]
    assert all(c.data.startswith(COLUMNS_ONLY) for c in chunks)
    assert sum(len(c.data) for c in chunks) < 300  # the keys, not the lines

    _same(list(iter_lines(store, run)), sent)
    _same(tail_lines(store, run, "history", 10), sent[-10:])
    _same(tail_lines(store, run, "history", 250), sent[-250:])
    assert tail_lines(store, run, "history", 0) == []
    _same(sampled_lines(store, run, samples=1000, min_step=100, max_step=120), sent[100:121])

    status = resume_status(api, "r1")
    assert status["historyLineCount"] == 300
    _same(json.loads(status["historyTail"]), sent[-10:])
    spec = json.dumps({"keys": ["_step", "big"], "samples": 1000})
    body = api.gql(HISTORY, project="proj", entity="alice", name="r1", spec=spec)
    answer = body["data"]["project"]["run"]
    _same(answer["history"], sent)
    assert [row["big"] for row in answer["sampledHistory"][0]] == [2**52 + i for i in range(300)]


def test_requests_that_are_not_plain_numbers_keep_their_lines_as_sent(api, app):
    api.upsert("r2")
    odd = [
        json.dumps({"_step": 0, "loss": 0.5, "note": "text"}),                   # a string
        json.dumps({"_step": 1, "loss": float("nan")}),                          # NaN
        json.dumps({"_step": 2, "loss": 0.25, "nested": {"a": 1}}),              # nested
    ]
    sparse = [json.dumps({"_step": 3, "loss": 0.1}), json.dumps({"_step": 4, "acc": 0.9})]
    _stream(api, "r2", 0, odd)
    _stream(api, "r2", 3, sparse)
    _stream(api, "r2", 5, _rows(5, 3))
    store, run, chunks = _chunks(app, "r2")
    assert [c.data.startswith(COLUMNS_ONLY) for c in chunks] == [False, False, True]
    assert list(iter_lines(store, run))[:5] == odd + sparse  # byte for byte
    _same(list(iter_lines(store, run))[5:], _rows(5, 3))
