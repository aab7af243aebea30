"""Runs searched in SQL (run_values) give exactly what the Python evaluator gives."""

from __future__ import annotations

import json
import random

import pytest

from tests.postgres import on_every_database
from wbserver.domain.run_query import plan
from wbserver.domain.run_search import count_runs, evaluated, find_runs
from wbserver.domain.run_table import RunQuery, run_table
from wbserver.metadata import run_search_rows

CONFIGS = [
    {"lr": 0.1, "opt": "adam", "batch": 32, "nested": {"depth": 2, "name": "a"}},
    {"lr": 0.01, "opt": "sgd", "batch": 64, "flag": True},
    {"lr": 0.1, "opt": "Adam", "batch": 32.0, "flag": False, "nested": {"depth": 3}},
    {"lr": None, "opt": "adam ", "batch": "32"},
    {"opt": "ädam", "batch": 1, "nested": {"depth": 2.0}},
    {"lr": 1, "opt": "sgd", "batch": 2**60},
    {"lr": 0.5, "opt": ["adam", "sgd"], "batch": 8},
]
SUMMARIES = [
    {"loss": 0.3, "acc": 0.9, "best": {"epoch": 3}},
    {"loss": 0.1, "acc": 0.8},
    {"loss": "nan-ish", "acc": 0.7},
    {"loss": 0.3, "acc": None},
    {"acc": 0.95, "loss": True},
    {"loss": float("nan")},
    {"loss": 0.2, "hist": {"_type": "histogram", "values": [1, 2]}},
]
FILTERS = [
    {}, {"config.opt": "adam"}, {"config.opt": "Adam"}, {"config.lr": 0.1},
    {"config.batch": 32}, {"config.batch": {"$gt": 16}}, {"config.batch": {"$lte": "4"}},
    {"config.flag": True}, {"config.flag": 1}, {"config.lr": None},
    {"config.lr": {"$exists": False}}, {"config.nested.depth": 2},
    {"config.nested.name": {"$in": ["a", "b"]}}, {"config.opt": {"$nin": ["sgd"]}},
    {"config.opt": {"$ne": "sgd"}}, {"config.lr": {"$not": {"$gt": 0.05}}},
    {"$or": [{"config.opt": "sgd"}, {"summary_metrics.acc": {"$gte": 0.9}}]},
    {"$and": [{"state": "running"}, {"config.batch": {"$lt": 100}}]},
    {"$nor": [{"config.opt": "adam"}]}, {"summary_metrics.best.epoch": 3},
    {"display_name": "run-3"}, {"state": {"$in": ["running", "finished"]}},
    {"config.opt": {"$gt": "adam"}}, {"summary_metrics.loss": {"$lt": 0.25}},
    {"config.batch": {"$in": 5}}, {"config.batch": {"$nin": 5}},
    {"username": "alice"}, {"$or": [{"username": "bob"}, {"config.opt": "sgd"}]},
]
ORDERS = [None, "+created_at", "-created_at", "-summary_metrics.loss", "+summary_metrics.acc",
          "-config.lr", "+config.opt", "-config.opt", "+display_name", "-name",
          "+config.nested.depth", "-config.missing", "+summary_metrics.best", "-username"]


@pytest.fixture
def project(api, app):
    rng = random.Random(3)
    for i in range(28):
        config = {k: {"value": v, "desc": None} for k, v in CONFIGS[i % len(CONFIGS)].items()}
        summary = SUMMARIES[(i * 3) % len(SUMMARIES)]
        api.upsert(f"r{i:02d}", project="search", config=json.dumps(config),
                   summaryMetrics=json.dumps(summary),
                   displayName=f"run-{rng.randint(0, 5)}" if i % 5 else None)
    store = app.state.services.store
    return store, store.get_project("alice", "search")


def test_sql_search_matches_the_evaluator(project):
    store, proj = project
    planned_somewhere = 0
    for filters in FILTERS:
        for order in ORDERS:
            expected = [v.run.name for v in evaluated(store, proj, filters, order)]
            page = find_runs(store, proj, filters=filters, order=order, offset=0, limit=100)
            assert [r.name for r in page.runs] == expected, (filters, order)
            assert page.count() == len(expected)
            assert count_runs(store, proj, filters) == len(expected)
            offset = find_runs(store, proj, filters=filters, order=order, offset=3, limit=4)
            assert [r.name for r in offset.runs] == expected[3:7], (filters, order)
            assert offset.has_next == (len(expected) > 7)
            if plan(filters, order) is not None and \
                    store.search_runs(proj.id, plan(filters, order), offset=0, limit=1) is not None:
                planned_somewhere += 1
    assert planned_somewhere > 50  # most of these run in SQL


def test_values_follow_summary_changes_from_file_stream(api, app):
    api.upsert("live", project="search", config=json.dumps({"opt": {"value": "adam"}}))
    store = app.state.services.store
    proj = store.get_project("alice", "search")
    find = {"summary_metrics.loss": {"$lt": 0.5}}
    assert find_runs(store, proj, filters=find, order=None, offset=0, limit=10).runs == []
    api.stream("live", {"files": {"wandb-summary.json": {"offset": 0, "content": [
        json.dumps({"loss": 0.25})]}}}, project="search")
    found = find_runs(store, proj, filters=find, order=None, offset=0, limit=10)
    assert [r.name for r in found.runs] == ["live"]
    api.upsert("live", project="search", config=json.dumps({"opt": {"value": "sgd"}}))
    assert count_runs(store, proj, {"config.opt": "sgd"}) == 1
    assert count_runs(store, proj, {"config.opt": "adam"}) == 0


def test_runs_table_in_sql_matches_the_evaluated_table(project):
    store, proj = project
    table = run_table(store, proj, RunQuery(sort="summary.loss", descending=True))
    assert table.total == table.project_total == 28
    assert "opt" in table.config_keys and "nested" in table.config_keys
    assert "loss" in table.summary_keys and "best" not in table.summary_keys
    expected = [v.run.name for v in evaluated(store, proj, {}, "-summary_metrics.loss")]
    assert [r["name"] for r in table.rows] == expected


def test_graphql_runs_page_and_total(api):
    for i in range(5):
        api.upsert(f"g{i}", project="gql", config=json.dumps({"i": {"value": i}}),
                   summaryMetrics=json.dumps({"acc": i / 10}))
    body = api.gql("""query { project(name: "gql", entityName: "alice") {
        runCount(filters: "{\\"config.i\\": {\\"$gte\\": 1}}")
        runs(filters: "{\\"config.i\\": {\\"$gte\\": 1}}", order: "-summary_metrics.acc",
             first: 2) { totalCount edges { node { name } cursor }
                         pageInfo { hasNextPage endCursor } } } }""")
    project = body["data"]["project"]
    assert project["runCount"] == 4
    runs = project["runs"]
    assert runs["totalCount"] == 4
    assert [e["node"]["name"] for e in runs["edges"]] == ["g4", "g3"]
    assert runs["pageInfo"] == {"hasNextPage": True, "endCursor": "1"}


def test_pages_among_numbers_are_read_in_index_order(api, app, monkeypatch):
    """A page that lies among the runs with a number at the order's path is read from the
    index in order (`_top_numbers`; on MariaDB in two steps); it must equal the evaluator's page, ties, bools mixed
    with numbers, filters and offsets included."""
    values = [0.5, 0.5, 1, True, False, 2.5, -1, 0.5, 3, 0, "x", None, 1.0, 2.5, 7, 0.5]
    for i, value in enumerate(values * 2):
        summary = {"score": value} if value is not None else {}
        config = {"opt": {"value": ("adam", "sgd")[i % 3 == 0]}}
        api.upsert(f"n{i:02d}", project="nums", summaryMetrics=json.dumps(summary),
                   config=json.dumps(config))
    store = app.state.services.store
    proj = store.get_project("alice", "nums")
    used = []
    original = type(store)._top_numbers

    def spy(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        used.append(result is not None)
        return result

    monkeypatch.setattr(type(store), "_top_numbers", spy)
    for window in ((16, 256), (0, 3), (1, 0)):  # the index window: roomy, then bounding
        monkeypatch.setattr(run_search_rows, "TOP_WINDOW_PER_ROW", window[0])
        monkeypatch.setattr(run_search_rows, "TOP_WINDOW_EXTRA", window[1])
        for filters in ({}, {"config.opt": "adam"}, {"summary_metrics.score": {"$gte": 0.5}}):
            for order in ("-summary_metrics.score", "+summary_metrics.score"):
                expected = [v.run.name for v in evaluated(store, proj, filters, order)]
                for offset, limit in ((0, 5), (3, 7), (10, 4), (0, 40)):
                    page = find_runs(store, proj, filters=filters, order=order, offset=offset,
                                     limit=limit)
                    assert [r.name for r in page.runs] == expected[offset:offset + limit], \
                        (filters, order, offset, limit, window)
    assert any(used) and not all(used)  # both the index path and the general plan ran


def test_column_keys_of_a_big_project_are_kept_a_while(api, app, monkeypatch):
    """The runs table's column list: fresh for small projects, kept for a time-to-live for
    projects of many runs (reading it scans every value of the project)."""
    store = app.state.services.store
    api.upsert("k0", project="keys", config=json.dumps({"a": {"value": 1}}))
    proj = store.get_project("alice", "keys")
    assert store.project_value_keys(proj.id)[0] == ["a"]
    api.upsert("k1", project="keys", config=json.dumps({"b": {"value": 1}}))
    assert store.project_value_keys(proj.id)[0] == ["a", "b"]  # small project: fresh

    now = [1000.0]
    monkeypatch.setattr(run_search_rows, "_clock", lambda: now[0])
    monkeypatch.setattr(run_search_rows, "VALUE_KEYS_CACHED_FROM_RUNS", 2)
    assert store.project_value_keys(proj.id)[0] == ["a", "b"]
    api.upsert("k2", project="keys", config=json.dumps({"c": {"value": 1}}))
    assert store.project_value_keys(proj.id)[0] == ["a", "b"]  # kept
    now[0] += 0.5
    assert store.project_value_keys(proj.id)[0] == ["a", "b"]
    now[0] += 1.0  # past the shortest time-to-live (1 s)
    assert store.project_value_keys(proj.id)[0] == ["a", "b", "c"]


@on_every_database()
def test_text_compares_byte_wise_whatever_the_database_collation(api, app):
    """Names and texts order and compare as Python compares strings: on MySQL through binary
    collations, on PostgreSQL in the "C" collation (the tests' databases sort by ICU's en-US
    rules, `_x adam Adam ädam`, as many hosts' databases do)."""
    names = ["Adam", "adam", "ädam", "adam ", "_x", "b", "B", "Zed"]
    for i, name in enumerate(names):
        api.upsert(f"t{i}", project="bytes", displayName=name,
                   config=json.dumps({"opt": {"value": name}}))
    store = app.state.services.store
    proj = store.get_project("alice", "bytes")
    cases = [({}, "+display_name"), ({}, "-display_name"), ({}, "+config.opt"),
             ({}, "-config.opt"), ({"display_name": {"$gt": "B"}}, "+display_name"),
             ({"display_name": {"$lte": "adam"}}, "-display_name"),
             ({"config.opt": {"$gte": "_"}}, "+config.opt"),
             ({"config.opt": {"$lt": "a"}}, "-config.opt")]
    for filters, order in cases:
        expected = [v.run.name for v in evaluated(store, proj, filters, order)]
        found = find_runs(store, proj, filters=filters, order=order, offset=0, limit=100)
        assert [r.name for r in found.runs] == expected, (filters, order)
    by_name = [v.run.display_name for v in evaluated(store, proj, {}, "+display_name")]
    assert by_name == sorted(names)


@on_every_database()
def test_a_complex_value_at_the_order_path_still_leaves_the_page_to_the_evaluator(api, app):
    """The exactness check answered by the first window statement (MySQL/MariaDB,
    PostgreSQL) or alone: numbers at the order's path in most runs, a dict in one, so the
    page and the count come from the Python evaluator, equal to it."""
    for i in range(12):
        loss = {"min": 0.1} if i == 7 else i * 0.5
        api.upsert(f"c{i:02d}", project="cx", summaryMetrics=json.dumps({"loss": loss}),
                   config=json.dumps({"opt": {"value": ("adam", "sgd")[i % 2]}}))
    store = app.state.services.store
    proj = store.get_project("alice", "cx")
    for filters in ({}, {"config.opt": "adam"}, {"summary_metrics.loss": {"$gt": 1}}):
        for order in ("-summary_metrics.loss", "+summary_metrics.loss"):
            planned = plan(filters, order)
            assert planned is not None
            assert store.search_runs(proj.id, planned, offset=0, limit=3) is None
            assert store.count_runs(proj.id, plan(filters, None)) is None \
                or "summary_metrics.loss" not in str(filters)
            expected = [v.run.name for v in evaluated(store, proj, filters, order)]
            page = find_runs(store, proj, filters=filters, order=order, offset=0, limit=3)
            assert [r.name for r in page.runs] == expected[:3], (filters, order)
            assert page.count() == len(expected)
