"""The GraphQL parse cache is bounded by the size of what it holds and keeps valid
documents only (issue 19: 12 invalid 40 MB queries held 480 MB)."""

from __future__ import annotations

from wbserver.api.graphql import executor as executor_module
from wbserver.api.graphql.executor import GraphQLExecutor
from wbserver.api.graphql.resolvers import all_resolvers
from wbserver.api.graphql.schema import build

SCHEMA = build(all_resolvers())


def _viewer_with_padding(i: int, chars: int) -> str:
    """A valid document of about `chars` characters (a comment pads it)."""
    return f"query V{i} {{ viewer {{ id }} }}\n#" + "x" * chars


def test_documents_that_fail_to_parse_or_validate_are_not_kept():
    executor = GraphQLExecutor(SCHEMA)
    for i in range(20):
        document, errors = executor._document("{ viewer { id " + "x" * 10_000 + str(i))
        assert document is None and errors
        document, errors = executor._document(f"{{ viewer {{ nope{i} }} }}")
        assert document is None and errors
    assert len(executor._cache) == 0


def test_a_long_valid_document_runs_but_is_not_kept():
    executor = GraphQLExecutor(SCHEMA)
    text = _viewer_with_padding(0, executor_module.MAX_CACHED_CHARS + 10)
    document, errors = executor._document(text)
    assert document is not None and not errors
    assert len(executor._cache) == 0


def test_the_cache_holds_at_most_its_budget_of_query_text():
    executor = GraphQLExecutor(SCHEMA, cache_chars=100_000)
    for i in range(50):
        document, errors = executor._document(_viewer_with_padding(i, 20_000))
        assert document is not None and not errors
    total = sum(len(text) for text in executor._cache)
    assert total <= 100_000
    assert total == executor.cached_chars()
    assert len(executor._cache) == 4  # the newest ones


def test_a_query_past_the_size_limit_is_refused_unparsed():
    executor = GraphQLExecutor(SCHEMA)
    document, errors = executor._document("{ viewer { id } }" + " " * executor_module.MAX_QUERY_CHARS)
    assert document is None
    assert "longer than" in errors[0].message


def test_a_query_of_too_many_tokens_is_refused():
    executor = GraphQLExecutor(SCHEMA)
    document, errors = executor._document("{ " + "a " * 60_000 + "}")
    assert document is None
    assert "token" in errors[0].message.lower()
