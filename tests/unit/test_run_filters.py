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


def test_a_backtracking_regex_runs_in_linear_time():
    """`^(a+)+$` backtracks for 2**n steps in Python's `re` (30 characters: seconds); RE2
    answers 100,000 characters in milliseconds."""
    import time

    for length in (25, 100_000):
        view = run(1, config={"x": "a" * length + "!"})
        started = time.perf_counter()
        assert not matches(view, {"config.x": {"$regex": "^(a+)+$"}})
        assert time.perf_counter() - started < 0.5, length
    assert matches(run(2, config={"x": "aaa"}), {"config.x": {"$regex": "^(a+)+$"}})


def test_patterns_re2_cannot_run_are_refused_with_the_reason():
    for pattern in ("(a)\\1", "(?=a)", "(?<!a)b"):
        with pytest.raises(InvalidInput, match="RE2"):
            matches(run(1), {"name": {"$regex": pattern}})


def test_filters_too_large_or_too_deep_are_refused_before_any_run_is_read():
    from wbserver.domain.run_filters import check_filter

    with pytest.raises(InvalidInput, match="more than 10000 values"):
        check_filter({"name": {"$in": list(range(10_001))}})
    deep: dict = {"name": "r1"}
    for _ in range(40):
        deep = {"$and": [deep]}
    with pytest.raises(InvalidInput, match="deeper than"):
        check_filter(deep)
    with pytest.raises(InvalidInput, match="deeper than"):
        parse_filters('{"$and": [' * 5000 + "{}" + "]}" * 5000)
    with pytest.raises(InvalidInput, match="unsupported filter operator"):
        check_filter({"state": {"$bogus": 1}})  # refused even when no run is evaluated


def test_in_over_strings_is_a_set_and_means_what_equality_means():
    names = [f"r{i}" for i in range(5000)]
    assert matches(run(7), {"name": {"$in": names}})
    assert not matches(run(7, display_name="x"), {"display_name": {"$in": names}})
    assert matches(run(1), {"tags": {"$in": ["q", "b"]}})  # a list value: any element
    assert not matches(run(1), {"tags": {"$nin": ["q", "b"]}})
    assert not matches(run(1, summary={"n": 1}), {"summary_metrics.n": {"$in": ["1"]}})
    assert matches(run(1, summary={"n": 1}), {"summary_metrics.n": {"$in": [1.0, "1"]}})
    assert not matches(run(1, summary={"n": True}), {"summary_metrics.n": {"$in": [1]}})


def test_the_runs_tables_search_and_contains_filters_run_under_re2():
    """The web UI's search box and `~` conditions become `(?i)` + re.escape(text)."""
    from wbserver.domain.run_table import Condition, RunQuery, mongo_filter

    text = "Mix.of (all)+ [kinds] {1} ^$ | ? * \\ # ~ & - é\t"
    view = run(1, display_name=f"prefix {text.upper()} suffix", config={"note": f"x{text}y"})
    assert matches(view, mongo_filter(RunQuery(search=text)))
    assert not matches(view, mongo_filter(RunQuery(search=text + "!")))
    contains = mongo_filter(RunQuery(conditions=(Condition("config.note", "~", text),)))
    assert matches(view, contains)
