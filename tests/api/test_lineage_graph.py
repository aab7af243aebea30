"""The lineage graph the run and artifact pages draw (GET /_ui/…/lineage): hops up and
downstream, the node cap and its "more" markers, and nodes of unreadable projects left out
(not even their names)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from wbserver.domain.clock import utcnow
from wbserver.domain.projects import upsert_project
from wbserver.domain.sessions import start_session
from wbserver.domain.users import create_user

from .artifact_flow import log_version
from .test_artifacts_lineage import USE_PY

DATA = "/_ui/alice/proj/artifacts/dataset/data/v0/lineage"


def _use(api, run, artifact_id, project="proj"):
    api.gql(USE_PY, entityName="alice", projectName=project, runName=run,
            artifactID=artifact_id, usedAs=None)


@pytest.fixture
def chain(api, app):
    """A logs data → B uses data, logs model → C uses model; in a private project of
    alice's, run `sneaky` uses data too. proj is open: bob (no member) reads it."""
    store = app.state.services.store
    alice = store.get_user_by_name("alice")
    upsert_project(store, viewer=alice, entity="alice", name="proj", description=None,
                   visibility="open")
    upsert_project(store, viewer=alice, entity="alice", name="hidden", description=None,
                   visibility="private")
    for run, project in (("A", "proj"), ("B", "proj"), ("C", "proj"), ("sneaky", "hidden")):
        api.upsert(run, project=project, displayName=run)
    data = log_version(api, "data", {"a.txt": b"a"}, run="A")
    _use(api, "B", data["id"])
    model = log_version(api, "model", {"w.bin": b"w"}, run="B", type_name="model")
    _use(api, "C", model["id"])
    _use(api, "sneaky", data["id"], project="hidden")
    bob = create_user(store, username="bob", email="bob@example.com", is_admin=False)
    clients = {}
    for user in (alice, bob):
        client = TestClient(app)
        client.cookies.set("wbserver_session", start_session(
            store, user=user, now=utcnow(), session_hours=1).token)
        clients[user.username] = client
    return clients


def _graph(client, url, expect=200):
    response = client.get(url)
    assert response.status_code == expect, response.text
    return response.json()


def _by_label(graph):
    return {n["label"]: n for n in graph["nodes"]}


def _edges(graph):
    names = {n["id"]: n["label"] for n in graph["nodes"]}
    return {(names[a], names[b]) for a, b in graph["edges"]}


def test_hops_limits_links_and_hidden_projects(chain):
    graph = _graph(chain["alice"], DATA)
    nodes = _by_label(graph)
    assert {k: v["layer"] for k, v in nodes.items()} == {
        "data:v0": 0, "A": -1, "B": 1, "sneaky": 1, "model:v0": 2, "C": 3}
    assert nodes["data:v0"]["start"] and not nodes["B"]["start"]
    assert _edges(graph) == {("A", "data:v0"), ("data:v0", "B"), ("data:v0", "sneaky"),
                             ("B", "model:v0"), ("model:v0", "C")}
    assert nodes["B"]["url"] == "/alice/proj/runs/B"
    assert nodes["model:v0"]["url"] == "/alice/proj/artifacts/model/model/v0"
    assert nodes["model:v0"]["detail"] == "model" and nodes["sneaky"]["project"] == "alice/hidden"
    assert not graph["truncated"] and all(n["more"] == 0 for n in graph["nodes"])

    # bob reads proj but not alice/hidden: its run is not in the graph, nor its name
    response = chain["bob"].get(DATA)
    assert response.status_code == 200 and "sneaky" not in response.text
    assert "hidden" not in response.text
    assert set(_by_label(response.json())) == {"data:v0", "A", "B", "model:v0", "C"}

    # from a run: C's page sees model (1), B (2), data (3); data's other users lie beyond
    graph = _graph(chain["alice"], "/_ui/alice/proj/runs/C/lineage")
    assert {k: v["layer"] for k, v in _by_label(graph).items()} == {
        "C": 0, "model:v0": -1, "B": -2, "data:v0": -3}
    assert _by_label(graph)["data:v0"]["more"] == 1  # A, one hop past the limit
    assert graph["truncated"]

    # (one test: each setup costs 5 s on MariaDB)
    _hop_and_node_limits_mark_more(chain)
    _unreadable_start_is_not_found(chain)


def _hop_and_node_limits_mark_more(chain):
    graph = _graph(chain["alice"], DATA + "?hops=1")
    nodes = _by_label(graph)
    assert set(nodes) == {"data:v0", "A", "B", "sneaky"}
    assert nodes["B"]["more"] == 1 and nodes["A"]["more"] == 0 and graph["truncated"]
    # the hidden run counts for nobody who cannot see it
    graph = _graph(chain["bob"], DATA + "?hops=1&nodes=2")
    nodes = _by_label(graph)
    assert set(nodes) == {"data:v0", "A"} and nodes["data:v0"]["more"] == 1
    assert graph["truncated"]

    for bad in ("hops=0", "hops=7", "nodes=201", "nodes=x", "hops=-1"):
        body = _graph(chain["alice"], DATA + "?" + bad, expect=400)
        assert "must be a whole number" in body["errors"][0]["message"], bad


def _unreadable_start_is_not_found(chain):
    # bob cannot read alice/hidden: its run's graph is a 404, as the run page
    _graph(chain["bob"], "/_ui/alice/hidden/runs/sneaky/lineage", expect=404)
    _graph(chain["alice"], "/_ui/alice/proj/artifacts/dataset/nothing/v0/lineage", expect=404)
    _graph(chain["alice"], "/_ui/alice/proj/artifacts/model/data/v0/lineage", expect=404)
    assert TestClient(chain["alice"].app).get(DATA).status_code == 401
    # `latest` and the collection's aliases name versions too
    assert _by_label(_graph(chain["alice"], DATA.replace("v0", "latest")))["data:v0"]["start"]
