"""Charts of long series read the ingest-time rollups and keep what the raw read keeps."""

from __future__ import annotations

import json
import math
import random

import numpy as np

from wbserver.domain.chart_data import SeriesQuery, run_series, shape_series
from wbserver.domain.history_codec import unpack_segments
from wbserver.domain.models import RunKey


def _stream(api, run: str, values: list[float], steps: list[int], per_request: int = 700):
    api.upsert(run, project="long")
    for start in range(0, len(values), per_request):
        lines = [json.dumps({"loss": v, "_step": s}) for v, s in
                 zip(values[start:start + per_request], steps[start:start + per_request],
                     strict=True)]
        api.stream(run, {"files": {"wandb-history.jsonl": {"offset": start, "content": lines}}},
                   project="long")


def test_long_series_chart_from_rollups_keeps_extremes(api, app):
    rng = random.Random(5)
    values = [rng.gauss(0, 1) for _ in range(6000)]
    values[1234] = 50.0
    values[4321] = -50.0
    values[77] = float("nan")
    _stream(api, "long", values, list(range(6000)))
    store = app.state.services.store
    run = store.get_run(RunKey("alice", "long", "long"))
    assert store.read_rollups(run.id, "loss")
    query = SeriesQuery(keys=("loss",), buckets=10)
    got = run_series(store, run, query)["loss"]
    _lines, steps, raw, _ints = unpack_segments(store.read_segments(run.id, "loss"))
    expected = shape_series(steps.astype(np.float64), raw, query)
    assert got["total"] == expected["total"] == 5999
    assert got["sampled"] and len(got["x"]) <= 40
    assert got["x"][0] == 0 and got["x"][-1] == 5999
    assert max(got["y"]) == 50.0 and min(got["y"]) == -50.0
    assert not any(math.isnan(y) for y in got["y"])
    assert got["x"] == sorted(got["x"])


def test_steps_going_back_read_every_point(api, app):
    steps = list(range(3000)) + list(range(1000, 4000))
    values = [float(i % 97) for i in range(len(steps))]
    _stream(api, "back", values, steps)
    store = app.state.services.store
    run = store.get_run(RunKey("alice", "long", "back"))
    query = SeriesQuery(keys=("loss",), buckets=10)
    _lines, raw_steps, raw, _ints = unpack_segments(store.read_segments(run.id, "loss"))
    assert run_series(store, run, query)["loss"] == shape_series(
        raw_steps.astype(np.float64), raw, query)


def test_sampled_history_answers_nan_by_name(api):
    """Strict JSON (wandb-core parses this answer with Go's encoding/json) cannot hold NaN;
    null would lose it, so it comes as W&B's own spelling, "NaN"."""
    api.upsert("nan", project="long")
    lines = ['{"loss": 1.5, "_step": 0}', '{"loss": NaN, "_step": 1}', '{"loss": 2, "_step": 2}']
    api.stream("nan", {"files": {"wandb-history.jsonl": {"offset": 0, "content": lines}}},
               project="long")
    body = api.gql("""query { project(name: "long", entityName: "alice") { run(name: "nan") {
        sampledHistory(specs: ["{\\"keys\\": [\\"_step\\", \\"loss\\"], \\"samples\\": 10}"]) } } }""")
    rows = body["data"]["project"]["run"]["sampledHistory"][0]
    assert rows == [{"_step": 0, "loss": 1.5}, {"_step": 1, "loss": "NaN"},
                    {"_step": 2, "loss": 2}]
