"""Which filters get a SQL plan, and how config and summary values are indexed."""

from wbserver.domain.run_query import (
    BOOL,
    DICT,
    LIST,
    NULL,
    NUMBER,
    OPAQUE,
    STRING,
    blocking_paths,
    indexed_values,
    plan,
)


def test_indexing_unwraps_config_and_marks_what_sql_cannot_compare():
    rows = indexed_values("config", '{"lr": {"value": 0.1, "desc": null}, "_wandb": {"value": {}},'
                          ' "opt": {"value": "adam"}, "deep": {"value": {"a": {"b": true}}},'
                          ' "xs": {"value": [1]}, "big": {"value": 9007199254740993},'
                          ' "pad": {"value": "a "}, "none": {"value": null}, "a.b": 1}')
    kinds = {(r.path, r.kind) for r in rows}
    assert ("config.lr", NUMBER) in kinds and ("config.opt", STRING) in kinds
    assert ("config.deep", DICT) in kinds and ("config.deep.a.b", BOOL) in kinds
    assert ("config.xs", LIST) in kinds and ("config.big", OPAQUE) in kinds
    assert ("config.pad", OPAQUE) in kinds and ("config.none", NULL) in kinds
    assert ("config.a.b", OPAQUE) in kinds
    assert not any(r.path.startswith("config._") for r in rows)
    assert {r.path for r in rows if r.top} == {"config.lr", "config.opt", "config.deep",
                                               "config.xs", "config.big", "config.pad",
                                               "config.none", "config.a.b"}


def test_summary_nan_and_bad_json():
    rows = indexed_values("summary", '{"loss": NaN, "acc": 1}')
    assert {(r.path, r.kind) for r in rows} == {("summary.loss", OPAQUE),
                                                ("summary.acc", NUMBER)}
    assert indexed_values("summary", "[1, 2]") == []


def test_plans_only_what_sql_evaluates_exactly():
    assert plan({"config.lr": {"$gt": 0.1}}, "-summary_metrics.loss") is not None
    assert plan({"display_name": {"$regex": "a"}}, None) is None
    assert plan({"tags": "x"}, None) is None
    assert plan({"config.lr.value": 1}, None) is None
    assert plan({"config.lr": [1, 2]}, None) is None
    assert plan({"$where": "x"}, None) is None
    assert plan({}, "+duration") is None
    assert plan({}, "-heartbeat_at") is None
    found = plan({"summary.a.b": 1, "config.x": {"$exists": True}}, "+config.y.z")
    assert found is not None
    assert found.paths == {"summary.a.b", "config.x", "config.y.z"}


def test_blocking_paths_include_prefixes():
    own, prefixes = blocking_paths(frozenset({"config.a.b.c", "summary.x"}))
    assert own == ["config.a.b.c", "summary.x"]
    assert prefixes == ["config.a", "config.a.b"]
