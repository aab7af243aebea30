"""Which GraphQL documents run on the event loop on SQLite: the client's run-start and run-end
calls, never one that selects a field that lists or scans."""

from __future__ import annotations

import pytest
from graphql import parse

from wbserver.api.graphql.executor import GraphQLExecutor
from wbserver.api.graphql.resolvers import all_resolvers
from wbserver.api.graphql.schema import build
from wbserver.api.graphql.short_documents import SHORT_FIELDS, is_short, selected_fields

# the documents as wandb 0.31 sends them (trimmed of variables they do not use here)
UPSERT_BUCKET = """mutation UpsertBucket($name: String, $project: String, $entity: String,
  $config: JSONString, $summaryMetrics: JSONString) {
  upsertBucket(input: {name: $name, modelName: $project, entityName: $entity, config: $config,
    summaryMetrics: $summaryMetrics}) {
    bucket { id name displayName description config sweepName
             project { id name entity { id name } } historyLineCount }
    inserted
  }
}"""
CREATE_RUN_FILES = """mutation CreateRunFiles($entity: String!, $project: String!, $run: String!,
  $files: [String!]!) {
  createRunFiles(input: {entityName: $entity, projectName: $project, runName: $run,
    files: $files}) { runID uploadHeaders files { name uploadUrl } }
}"""
SERVER_FEATURES = "query ServerFeaturesQuery { serverInfo { features { name isEnabled } } }"
ORGANIZATION = """query OrganizationCoreWeaveOrganizationID($entityName: String!) {
  entity(name: $entityName) { organization { coreWeaveOrganizationId } } }"""


@pytest.mark.parametrize("query", [UPSERT_BUCKET, SERVER_FEATURES, ORGANIZATION])
def test_the_clients_run_calls_are_short(query):
    assert is_short(selected_fields(parse(query)), local_storage=True)
    assert is_short(selected_fields(parse(query)), local_storage=False)


def test_signing_upload_urls_is_short_only_on_the_local_disk():
    fields = selected_fields(parse(CREATE_RUN_FILES))
    assert is_short(fields, local_storage=True)
    assert not is_short(fields, local_storage=False)  # a bucket's SDK may reach the network


@pytest.mark.parametrize("query", [
    # a scan nested under short fields
    """{ project(name: "p", entityName: "e") { id runs { edges { node { id } } } } }""",
    # the same, hidden in a fragment and in an inline fragment
    """query { project(name: "p") { ...F } } fragment F on Project { runs { edges { cursor } } }""",
    """query { viewer { ... on User { teams { edges { node { name } } } } } }""",
    # a history read under the run UpsertBucket returns
    """mutation { upsertBucket(input: {name: "r"}) { bucket { id sampledHistory(specs: []) } } }""",
])
def test_a_document_that_lists_or_scans_is_not_short(query):
    fields = selected_fields(parse(query))
    assert not fields <= SHORT_FIELDS
    assert not is_short(fields, local_storage=True)


def test_the_executor_knows_a_document_only_once_it_parsed_it():
    executor = GraphQLExecutor(build(all_resolvers()), cache_size=2)
    assert not executor.is_short(SERVER_FEATURES, local_storage=True)  # parsed off the loop first
    executor._document(SERVER_FEATURES)
    assert executor.is_short(SERVER_FEATURES, local_storage=True)
    executor._document("{ serverInfo { nope } }")  # invalid: never short
    assert not executor.is_short("{ serverInfo { nope } }", local_storage=True)
    executor._document(UPSERT_BUCKET)
    executor._document(ORGANIZATION)  # evicts the oldest documents from the cache of 2
    assert not executor.is_short(SERVER_FEATURES, local_storage=True)
    assert executor.is_short(ORGANIZATION, local_storage=True)
    assert not executor.is_short(None, local_storage=True)


def test_many_short_fields_or_a_long_variable_list_are_not_short_work():
    """Short work runs on the event loop on SQLite: its size must be bounded, not only its
    kind (a thousand aliases of upsertBucket are a thousand writes on the loop)."""
    executor = GraphQLExecutor(build(all_resolvers()))
    aliases = " ".join(f'u{i}: upsertBucket(input: {{name: "r{i}"}}) {{ inserted }}'
                       for i in range(300))
    many = f"mutation Many {{ {aliases} }}"
    executor._document(many)
    assert not executor.is_short(many, local_storage=True)
    executor._document(CREATE_RUN_FILES)
    few = {"entity": "e", "project": "p", "run": "r", "files": [f"f{i}" for i in range(7)]}
    assert executor.is_short(CREATE_RUN_FILES, local_storage=True, variables=few)
    lots = {**few, "files": [f"f{i}" for i in range(100_000)]}
    assert not executor.is_short(CREATE_RUN_FILES, local_storage=True, variables=lots)
    executor._document(UPSERT_BUCKET)
    assert executor.is_short(UPSERT_BUCKET, local_storage=True, variables={"name": "r"})
