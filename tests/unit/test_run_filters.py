import json
from dataclasses import replace
from datetime import datetime

import pytest

from wbserver.domain.models import Run
from wbserver.domain.run_filters import RunView, matches, parse_filters, sort_runs
from wbserver.errors import InvalidInput

BASE = Run(
    id=1, project_id=1, entity_name="e", project_name="p", name="r1", display_name="one",
    user_id=1, username="alice", state="finished", group_name=None, job_type="train",
    notes=None, description=None, tags=["a", "b"], host="h", program=None, repo=None,
    commit_hash=None, sweep_name=None, config="{}", summary="{}", system_metrics=None,
    history_keys="{}", last_step=-1, history_line_count=0, events_line_count=0,
    log_line_count=0, exit_code=0, preempting=False, stop_requested=False,
    created_at=datetime(2026, 1, 1), updated_at=datetime(2026, 1, 1),
    heartbeat_at=datetime(2026, 1, 1), finished_at=None)


def run(i: int, **kw) -> RunView:
    config = kw.pop("config", {})
    summary = kw.pop("summary", {})
    return RunView(replace(BASE, id=i, name=f"r{i}", created_at=datetime(2026, 1, i),
                           config=json.dumps({k: {"value": v} for k, v in config.items()}),
                           summary=json.dumps(summary), **kw))


def test_config_and_summary_paths_with_and_without_value():
    view = run(1, config={"lr": 0.1, "opt": {"name": "adam"}}, summary={"loss": 0.5, "m": {"x": 2}})
    assert matches(view, {"config.lr": 0.1})
    assert matches(view, {"config.lr.value": 0.1})
    assert matches(view, {"config.opt.name": "adam"})
    assert matches(view, {"config.opt.value.name": "adam"})
    assert matches(view, {"summary_metrics.loss": {"$lt": 1, "$gte": 0.5}})
    assert matches(view, {"summary_metrics.m.x": 2})
    assert not matches(view, {"summary_metrics.loss": {"$gt": 0.5}})
    assert not matches(view, {"config.missing": 1})
    assert matches(view, {"config.missing": {"$exists": False}})


def test_tags_state_and_logic():
    view = run(1)
    assert matches(view, {"tags": "a"})
    assert matches(view, {"tags": {"$in": ["z", "b"]}})
    assert not matches(view, {"tags": {"$nin": ["a"]}})
    assert matches(view, {"$or": [{"state": "running"}, {"state": "finished"}]})
    assert not matches(view, {"$and": [{"state": "finished"}, {"display_name": "two"}]})
    assert matches(view, {"$nor": [{"state": "crashed"}]})
    assert matches(view, {"displayName": {"$regex": "^on"}})


def test_type_mismatch_never_matches_comparisons():
    view = run(1, summary={"loss": "nan-ish"})
    assert not matches(view, {"summary_metrics.loss": {"$gt": 0}})
    assert not matches(run(2, summary={"flag": True}), {"summary_metrics.flag": 1})


def test_bad_filters_are_invalid_input():
    with pytest.raises(InvalidInput):
        parse_filters("[1]")
    with pytest.raises(InvalidInput):
        parse_filters("{not json")
    with pytest.raises(InvalidInput):
        matches(run(1), {"state": {"$bogus": 1}})


def test_order_by_summary_desc_missing_last_and_created_default():
    views = [run(1, summary={"best": 0.5}), run(2), run(3, summary={"best": 0.9}),
             run(4, summary={"best": 0.1})]
    assert [v.run.id for v in sort_runs(views, "-summary_metrics.best")] == [3, 1, 4, 2]
    assert [v.run.id for v in sort_runs(views, "+summary_metrics.best")] == [4, 1, 3, 2]
    assert [v.run.id for v in sort_runs(views, "+created_at")] == [1, 2, 3, 4]
    assert [v.run.id for v in sort_runs(views, "-created_at")] == [4, 3, 2, 1]
    assert [v.run.id for v in sort_runs(views, None)] == [1, 2, 3, 4]
