"""GraphQL fuzzing (issue 19), in-process on SQLite and MariaDB, in bounded time: documents
generated from the schema (hypothesis-graphql), random runs filters, client operations
with variables of random types, random ids. Never a 5xx; and a batch of rejected requests
leaves the database exactly as it was (a hash of every table before and after)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from graphql import OperationDefinitionNode, parse
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis_graphql import from_schema, nodes
from sqlalchemy import select
from starlette.testclient import TestClient

from wbserver.app import create_app
from wbserver.config.runtime import SettingsSource
from wbserver.domain.users import create_api_key, create_user
from wbserver.metadata.tables import metadata

from .conftest import MARIADB, UPSERT, Api

OPERATIONS = Path(__file__).resolve().parents[1] / "data" / "client_operations.graphql"
FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module", params=["sqlite", "mariadb"])
def fuzz_api(request, tmp_path_factory) -> Iterator[Api]:
    """One app per database for the whole module (a MariaDB database per example would
    take minutes)."""
    environ: dict[str, str] = {}
    admin = None
    if request.param == "mariadb":
        import pymysql

        name = "wbfuzz_" + secrets.token_hex(6)
        admin = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="")
        with admin.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")
        environ = {"MYSQL": f"{MARIADB}/{name}"}
    data = tmp_path_factory.mktemp("fuzz") / "data"
    app = create_app(SettingsSource(environ=environ, overrides={"data_dir": str(data)}))
    store = app.state.services.store
    try:
        create_user(store, username="alice", email="alice@example.com", is_admin=False)
        key = create_api_key(store, username="alice")
        with TestClient(app, raise_server_exceptions=False) as client:
            api = Api(client, key)
            for i in range(4):
                config = {"lr": {"value": 0.1 * i}, "opt": {"value": ["adam", "sgd"][i % 2]},
                          "name": {"value": "a" * (10 + i)}}
                api.upsert(f"r{i}", config=json.dumps(config), tags=["t", f"t{i}"],
                           summaryMetrics=json.dumps({"loss": 1 / (i + 1)}))
            api.schema = app.state.graphql.schema  # type: ignore[attr-defined]
            api.store = store  # type: ignore[attr-defined]
            yield api
    finally:
        store.close()
        if admin is not None:
            with admin.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS {name}")
            admin.close()


def post(api: Api, query: str, variables: Any = None) -> Any:
    return api.client.post("/graphql", json={"query": query, "variables": variables},
                           headers=api.headers())


def database_hash(api: Api) -> str:
    digest = hashlib.sha256()
    with api.store.engine.connect() as conn:  # type: ignore[attr-defined]
        for table in metadata.sorted_tables:
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            digest.update(table.name.encode())
            for row in rows:
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


# --- documents from the schema -----------------------------------------------------------

SCALARS = {
    "JSONString": st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5),
                                  max_size=3).map(lambda v: nodes.String(json.dumps(v))),
    "JSON": st.integers().map(nodes.Int),
    "DateTime": st.datetimes().map(lambda d: nodes.String(d.isoformat())),
    "Duration": st.integers(-(2**70), 2**70).map(nodes.Int),
    "Int64": st.integers(-(2**70), 2**70).map(nodes.Int),
}


def test_documents_generated_from_the_schema_never_get_a_5xx(fuzz_api):
    schema = fuzz_api.schema

    @FUZZ
    @given(document=from_schema(schema, custom_scalars=SCALARS, allow_x00=False))
    def check(document: str) -> None:
        response = post(fuzz_api, document)
        assert response.status_code < 500, (document, response.text[:500])

    check()


# --- runs filters ------------------------------------------------------------------------

FIELDS = ["name", "state", "tags", "display_name", "config.lr", "config.opt", "config.name",
          "summary_metrics.loss", "config.missing.deep", "createdAt", "duration", "$bogus"]
OPERATORS = ["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists", "$regex",
             "$not", "$options", "$where"]
SCALAR_VALUES = (st.none() | st.booleans() | st.integers(-(2**70), 2**70)
                 | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8)
                 | st.sampled_from(["^(a+)+$", "(a)\\1", "(?=x)", "[", "a{1000}{1000}", "t"]))


def filter_trees() -> st.SearchStrategy[Any]:
    conditions = st.recursive(
        SCALAR_VALUES,
        lambda inner: st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(OPERATORS), inner, max_size=3),
        max_leaves=8)
    return st.recursive(
        st.dictionaries(st.sampled_from(FIELDS), conditions, max_size=3),
        lambda inner: st.dictionaries(st.sampled_from(["$and", "$or", "$nor", "$not"]),
                                      st.lists(inner, max_size=3) | inner, max_size=2),
        max_leaves=6)


RUNS = """query Runs($filters: JSONString, $order: String) {
  project(name: "proj", entityName: "alice") {
    runCount(filters: $filters)
    runs(filters: $filters, order: $order, first: 10) { edges { node { name } } } } }"""


def test_random_filters_never_get_a_5xx(fuzz_api):
    @FUZZ
    @given(filters=filter_trees() | SCALAR_VALUES | st.text(max_size=20),
           order=st.none() | st.sampled_from(["-config.lr", "+name", "summary_metrics.loss", "x"]))
    def check(filters: Any, order: str | None) -> None:
        text = filters if isinstance(filters, str) else json.dumps(filters)
        response = post(fuzz_api, RUNS, {"filters": text, "order": order})
        assert response.status_code in (200, 400), (text, response.text[:500])
        if response.status_code == 400:
            assert response.json()["errors"][0]["message"]

    check()


# --- the client's own operations with variables of random types --------------------------

def client_operations() -> list[tuple[str, list[str]]]:
    documents, current = [], None
    for line in OPERATIONS.read_text(encoding="utf-8").splitlines(keepends=True):
        if line.startswith("#"):
            if line.startswith("# example variables:"):
                current = []
                documents.append(current)
            continue
        if current is not None:
            current.append(line)
    out = []
    for lines in documents:
        text = "".join(lines)
        operation = next(d for d in parse(text).definitions
                         if isinstance(d, OperationDefinitionNode))
        out.append((text, [v.variable.name.value for v in operation.variable_definitions or ()]))
    return out


CLIENT_OPERATIONS = client_operations()
JSON_VALUES = st.recursive(SCALAR_VALUES, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                           max_leaves=6)


def random_ids() -> st.SearchStrategy[str]:
    kinds = st.sampled_from(["Run", "Artifact", "ArtifactManifest", "ApiKey", "Project", "x"])
    numbers = st.integers(-(2**80), 2**80).map(str) | st.text(max_size=6)
    encoded = st.builds(lambda k, n: base64.b64encode(f"{k}:{n}".encode()).decode(),
                        kinds, numbers)
    return encoded | st.text(max_size=12) | st.binary(max_size=9).map(
        lambda b: base64.b64encode(b).decode())


@st.composite
def operation_with_variables(draw: Any) -> tuple[str, dict[str, Any]]:
    text, names = draw(st.sampled_from(CLIENT_OPERATIONS))
    values = {}
    for name in names:
        if draw(st.booleans()):
            values[name] = draw(random_ids() if "id" in name.lower() else JSON_VALUES)
    return text, values


def test_client_operations_with_random_variables_never_get_a_5xx(fuzz_api):
    @FUZZ
    @given(case=operation_with_variables())
    def check(case: tuple[str, dict[str, Any]]) -> None:
        text, variables = case
        response = post(fuzz_api, text, variables)
        assert response.status_code < 500, (text[:80], variables, response.text[:500])

    check()


# --- rejected requests change nothing ----------------------------------------------------

REJECTED = [
    ("mutation($id: ID!) { stopRun(input: {id: $id}) { success } }", "id"),
    ("mutation($id: ID!) { deleteArtifact(input: {artifactID: $id}) { artifact { id } } }",
     "id"),
    ("mutation($id: ID!) { commitArtifact(input: {artifactID: $id}) { artifact { id } } }",
     "id"),
    ("mutation($id: ID!) { deleteApiKey(input: {id: $id}) { success } }", "id"),
]


@st.composite
def rejected_request(draw: Any) -> tuple[str, dict[str, Any]]:
    kind = draw(st.sampled_from(["id", "upsert", "filter"]))
    if kind == "id":
        document, name = draw(st.sampled_from(REJECTED))
        number = draw(st.sampled_from([2**63, 2**70, -1, 0]) | st.integers(2**63, 2**90))
        kind_name = draw(st.sampled_from(["Run", "Artifact", "ApiKey"]))
        value = draw(st.just(base64.b64encode(f"{kind_name}:{number}".encode()).decode())
                     | st.text(min_size=1, max_size=8).map(lambda t: "!" + t))
        return document, {name: value}
    if kind == "upsert":
        bad = draw(st.sampled_from([
            {"id": base64.b64encode(f"Run:{2**70}".encode()).decode()},
            {"config": "[1, 2]"}, {"summaryMetrics": "7"}, {"name": {"x": 1}},
            {"tags": {"a": 1}}]))
        return UPSERT, {"name": "r1", "project": "proj", "entity": "alice", **bad}
    tree = draw(st.sampled_from([
        {"name": {"$in": list(range(10_001))}}, {"name": {"$regex": "(a)\\1"}},
        {"name": {"$where": "1"}}, {"$and": {"name": "r1"}}]))
    return RUNS, {"filters": json.dumps(tree)}


def test_rejected_requests_leave_the_database_unchanged(fuzz_api):
    before = database_hash(fuzz_api)

    @FUZZ
    @given(case=rejected_request())
    def check(case: tuple[str, dict[str, Any]]) -> None:
        document, variables = case
        response = post(fuzz_api, document, variables)
        assert 400 <= response.status_code < 500, (variables, response.text[:500])

    check()
    assert database_hash(fuzz_api) == before
