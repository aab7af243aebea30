"""Executing GraphQL documents: parse and validate once per distinct document, check the
operation's depth and cost (limits.py), then run.

The parse cache holds valid documents only, each at most MAX_CACHED_CHARS long, within
CACHE_CHARS of query text in all (a parsed document takes about fifty times its text's
size); a document that fails to parse or validate is parsed again if sent again. A query
longer than MAX_QUERY_CHARS, or of more than MAX_TOKENS tokens, is refused unparsed."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from threading import Lock
from typing import Any, TypeGuard

from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    execute,
    parse,
    validate,
)

from wbserver.api.graphql.lean_executor import LeanExecutor
from wbserver.api.graphql.limits import check_limits, operation_cost
from wbserver.api.graphql.short_documents import (
    SHORT_MAX_COST,
    SHORT_MAX_SELECTIONS,
    is_short,
    selected_fields,
    selection_count,
)
from wbserver.errors import WbError
from wbserver.http.errors import status_for

MAX_QUERY_CHARS = 256 * 1024
MAX_TOKENS = 50_000
MAX_CACHED_CHARS = 32 * 1024  # the client's longest document is under 2 KB
CACHE_CHARS = 1024 * 1024

# The whole-schema dump (`__schema`) is for site admins. `__type(name:)` stays open: wandb
# clients before 0.26 probe single types with it to detect server features.
SCHEMA_DUMP_REFUSED = "schema introspection (__schema) is for site admins"

# query text -> (valid document, the fields it selects; None for a document too long to be
# short work whatever it selects)
_Parsed = tuple[DocumentNode, frozenset[str] | None]


class GraphQLExecutor:
    def __init__(self, schema: GraphQLSchema | Callable[[], GraphQLSchema],
                 cache_size: int = 512, cache_chars: int = CACHE_CHARS) -> None:
        """SCHEMA, or a function that builds it: then built on first use, not at the server's
        start (building it from the SDL is about a tenth of a start)."""
        self._schema = schema if isinstance(schema, GraphQLSchema) else None
        self._build = None if isinstance(schema, GraphQLSchema) else schema
        self._cache: OrderedDict[str, _Parsed] = OrderedDict()
        self._cache_size = cache_size
        self._cache_chars = cache_chars
        self._cached_chars = 0
        self._lock = Lock()
        self._building = Lock()

    @property
    def schema(self) -> GraphQLSchema:
        if self._schema is None:
            with self._building:
                if self._schema is None:
                    assert self._build is not None
                    self._schema = self._build()
        return self._schema

    def is_short(self, query: Any, *, local_storage: bool, variables: Any = None) -> bool:
        """Whether `query` is a valid document already seen whose every field is a keyed
        lookup or write (api/graphql/short_documents.py). A document not parsed yet is not
        short: it is parsed off the event loop, on its first run."""
        if not isinstance(query, str):
            return False
        hit = self._cache.get(query)
        if hit is None or hit[1] is None or not is_short(hit[1], local_storage=local_storage):
            return False
        document = hit[0]
        values = variables if isinstance(variables, dict) else {}
        return all(operation_cost(self.schema, document, d, values)[0] <= SHORT_MAX_COST
                   for d in document.definitions if isinstance(d, OperationDefinitionNode))

    def cached_chars(self) -> int:
        """The query text the parse cache holds, in characters."""
        return self._cached_chars

    def _document(self, query: str) -> tuple[DocumentNode | None, list[GraphQLError]]:
        with self._lock:
            hit = self._cache.get(query)
            if hit is not None:
                self._cache.move_to_end(query)
                return hit[0], []
        if len(query) > MAX_QUERY_CHARS:
            return None, [GraphQLError(
                f"the query is longer than {MAX_QUERY_CHARS:,} characters")]
        try:
            document = parse(query, max_tokens=MAX_TOKENS)
            errors = validate(self.schema, document)
        except GraphQLError as exc:
            return None, [exc]
        if errors:
            return None, list(errors)
        if len(query) <= MAX_CACHED_CHARS:
            small = selection_count(document) <= SHORT_MAX_SELECTIONS
            self._remember(query, (document, selected_fields(document) if small else None))
        return document, []

    def _remember(self, query: str, parsed: _Parsed) -> None:
        with self._lock:
            if query in self._cache:
                return
            self._cache[query] = parsed
            self._cached_chars += len(query)
            while len(self._cache) > self._cache_size or self._cached_chars > self._cache_chars:
                old, _ = self._cache.popitem(last=False)
                self._cached_chars -= len(old)

    def run(self, query: str, variables: dict[str, Any] | None, operation_name: str | None,
            context: Any) -> tuple[int, dict[str, Any]]:
        """(HTTP status, response body)."""
        document, errors = self._document(query)
        if document is None or errors:
            return 400, {"errors": [e.formatted for e in errors]}
        if ("__schema" in query and not context.viewer.is_admin
                and "__schema" in selected_fields(document)):
            return 403, {"errors": [{"message": SCHEMA_DUMP_REFUSED}]}
        refused = check_limits(self.schema, document, variables or {}, operation_name)
        if refused:
            return 400, {"errors": [e.formatted for e in refused]}
        names = {op.name.value for op in document.definitions
                 if isinstance(op, OperationDefinitionNode) and op.name}
        result = execute(self.schema, document, variable_values=variables or {},
                         operation_name=operation_name if operation_name in names else None,
                         context_value=context, is_awaitable=_never_awaitable,
                         executor_class=LeanExecutor)
        assert isinstance(result, ExecutionResult), "resolvers are synchronous"
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [_format(e) for e in result.errors]
            return _status(result.errors), body
        return 200, body


def _never_awaitable(_value: Any) -> TypeGuard[Awaitable[Any]]:
    """Every resolver is synchronous (run in a worker thread), so graphql-core need not ask
    each of a page's ~1,200 values whether it is awaitable (its check costs ~1 µs each)."""
    return False


def _format(error: GraphQLError) -> dict[str, Any]:
    original = error.original_error
    if isinstance(original, WbError):
        return {"message": original.message, "path": error.path}
    if original is not None and error.path is not None:  # a resolver's own failure
        logging.getLogger("wbserver.graphql").error("resolver failed", exc_info=original)
        return {"message": "internal server error", "path": error.path}
    return error.formatted  # type: ignore[return-value]


def _status(errors: list[GraphQLError]) -> int:
    for error in errors:
        original = error.original_error
        if original is None or error.path is None:  # e.g. a variable of the wrong type
            return 400
        return status_for(original)
    return 200
