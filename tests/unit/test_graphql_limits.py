"""Depth and cost limits (api/graphql/limits.py): every operation the real client sends
passes; a small document asking for a huge answer is refused before it runs."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from graphql import GraphQLList, GraphQLNonNull, OperationDefinitionNode, parse, validate

from wbserver.api.graphql.limits import MAX_COST, MAX_DEPTH, check_limits, operation_cost
from wbserver.api.graphql.resolvers import all_resolvers
from wbserver.api.graphql.schema import build

SCHEMA = build(all_resolvers())
# the documents `wandb` 0.31 sends, recorded from the real client (a copy of the protocol
# notes' operations.graphql), each after a "# example variables:" line
OPERATIONS = Path(__file__).resolve().parents[1] / "data" / "client_operations.graphql"


def client_operations() -> list[tuple[str, str, dict]]:
    found: list[dict] = []
    for line in OPERATIONS.read_text(encoding="utf-8").splitlines(keepends=True):
        if line.startswith("#"):
            if line.startswith("# example variables:"):
                variables = json.loads(line.split(":", 1)[1]) or {}
                found.append({"text": "", "variables": variables})
            continue
        if found:
            found[-1]["text"] += line
    out = []
    for entry in found:
        document = parse(entry["text"])
        name = next(d.name.value for d in document.definitions
                    if isinstance(d, OperationDefinitionNode) and d.name)
        out.append((name, entry["text"], entry["variables"]))
    return out


CLIENT_OPERATIONS = client_operations()


def _largest_pages(text: str) -> dict:
    """Every Int variable of the operation at 10,000 (the largest page any resolver gives)."""
    document = parse(text)
    variables = {}
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            for var in definition.variable_definitions or ():
                kind = var.type.type if hasattr(var.type, "type") else var.type
                if getattr(kind, "name", None) and kind.name.value == "Int":
                    variables[var.variable.name.value] = 10_000
    return variables


def test_the_recorded_operations_are_all_there():
    assert len(CLIENT_OPERATIONS) >= 25
    names = {name for name, _t, _v in CLIENT_OPERATIONS}
    assert {"UpsertBucket", "Runs", "GetArtifactMembershipFileUrls", "RunFiles"} <= names


@pytest.mark.parametrize("name,text,variables", CLIENT_OPERATIONS,
                         ids=[f"{i}-{n}" for i, (n, _t, _v) in enumerate(CLIENT_OPERATIONS)])
def test_every_client_operation_passes_the_limits(name, text, variables):
    document = parse(text)
    assert validate(SCHEMA, document) == []
    for values in (variables, {}, {**variables, **_largest_pages(text)}):
        assert check_limits(SCHEMA, document, values, name) == [], values
        operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
        cost, depth = operation_cost(SCHEMA, document, operation, values)
        assert cost <= MAX_COST // 1.4 and depth <= MAX_DEPTH - 5, (cost, depth)


RUN_FIELDS = "id name displayName config summaryMetrics systemMetrics tags state createdAt"


def test_aliases_of_a_costly_field_each_count():
    one = f"r0: runs(first: 1000) {{ edges {{ node {{ {RUN_FIELDS} }} }} }}"
    single = parse(f'{{ project(name: "p", entityName: "e") {{ {one} }} }}')
    assert check_limits(SCHEMA, single, {}, None) == []
    many = " ".join(one.replace("r0:", f"r{i}:") for i in range(20))
    document = parse(f'{{ project(name: "p", entityName: "e") {{ {many} }} }}')
    assert validate(SCHEMA, document) == []
    assert len(document.loc.source.body) < 4000
    errors = check_limits(SCHEMA, document, {}, None)
    assert errors and "at most" in errors[0].message and "values" in errors[0].message


def test_page_sizes_come_from_variables_and_their_defaults():
    text = """query Q($n: Int = 10) { project(name: "p") {
        a: runs(first: $n) { edges { node { id config } } } } }"""
    document = parse(text)
    operation = document.definitions[0]
    small = operation_cost(SCHEMA, document, operation, {})[0]
    large = operation_cost(SCHEMA, document, operation, {"n": 1000})[0]
    assert large > 50 * small


def test_nested_lists_multiply():
    text = """{ project(name: "p") { runs(first: 100) { edges { node {
        files(first: 1000) { edges { node { name url md5 } } } } } } } }"""
    document = parse(text)
    cost, _depth = operation_cost(SCHEMA, document, document.definitions[0], {})
    assert cost >= 100 * 1000 * 3
    assert check_limits(SCHEMA, document, {}, None)


def test_too_deep_is_refused():
    inner = "id"
    for _ in range(15):
        inner = f'run(name: "r") {{ project {{ {inner} }} }}'
    document = parse(f'{{ project(name: "p") {{ {inner} }} }}')
    assert validate(SCHEMA, document) == []
    errors = check_limits(SCHEMA, document, {}, None)
    assert errors and "deep" in errors[0].message


def test_fragments_spread_many_times_are_counted_without_walking_each_time():
    fragments = ["fragment F0 on Run { id config }"]
    for i in range(1, 40):
        fragments.append(f"fragment F{i} on Run {{ a: project {{ id }} ...F{i - 1} "
                         f"b: project {{ id }} ...F{i - 1} }}")
    text = '{ project(name: "p") { run(name: "r") { ...F39 } } }\n' + "\n".join(fragments)
    document = parse(text)
    started = time.perf_counter()
    errors = check_limits(SCHEMA, document, {}, None)
    assert time.perf_counter() - started < 1.0
    assert errors  # 2**39 configs


def test_a_full_introspection_query_passes_but_many_aliases_of_it_do_not():
    from graphql import get_introspection_query

    text = get_introspection_query()
    document = parse(text)
    assert check_limits(SCHEMA, document, {}, None) == []
    query_part = text[:text.index("fragment")]
    rest = text[text.index("fragment"):]
    schema_selection = query_part[query_part.index("__schema"):query_part.rindex("}")]
    many = "query M { " + " ".join(f"s{i}: {schema_selection}" for i in range(200)) + " }\n"
    document = parse(many + rest)
    assert check_limits(SCHEMA, document, {}, None)


def test_list_types_are_what_the_estimate_assumes():
    """The estimate reads `edges` as the page of its connection: keep connections shaped so."""
    for name, gql_type in SCHEMA.type_map.items():
        if name.endswith("Connection") and hasattr(gql_type, "fields"):
            edges = gql_type.fields["edges"].type
            assert isinstance(edges, GraphQLNonNull) and isinstance(edges.of_type, GraphQLList)
