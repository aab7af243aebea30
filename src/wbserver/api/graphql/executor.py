"""Executing GraphQL documents: parse and validate once per distinct document, then run."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable
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

from wbserver.api.errors import status_for
from wbserver.api.graphql.lean_executor import LeanExecutor
from wbserver.api.graphql.short_documents import is_short, selected_fields
from wbserver.errors import WbError

_Parsed = tuple[DocumentNode | None, list[GraphQLError], frozenset[str] | None]
# The whole-schema dump (`__schema`) is for site admins. `__type(name:)` stays open: wandb
# clients before 0.26 probe single types with it to detect server features.
SCHEMA_DUMP_REFUSED = "schema introspection (__schema) is for site admins"


class GraphQLExecutor:
    def __init__(self, schema: GraphQLSchema, cache_size: int = 512) -> None:
        self.schema = schema
        # query text -> (document, validation errors, the fields a valid document selects)
        self._cache: OrderedDict[str, _Parsed] = OrderedDict()
        self._cache_size = cache_size
        self._lock = Lock()

    def is_short(self, query: Any, *, local_storage: bool) -> bool:
        """Whether `query` is a valid document already seen whose every field is a keyed
        lookup or write (api/graphql/short_documents.py). A document not parsed yet is not
        short: it is parsed off the event loop, on its first run."""
        if not isinstance(query, str):
            return False
        hit = self._cache.get(query)
        fields = hit[2] if hit is not None else None
        return fields is not None and is_short(fields, local_storage=local_storage)

    def _document(self, query: str) -> _Parsed:
        with self._lock:
            hit = self._cache.get(query)
            if hit is not None:
                self._cache.move_to_end(query)
                return hit
        document: DocumentNode | None = None
        try:
            document = parse(query)
            errors = validate(self.schema, document)
        except GraphQLError as exc:
            document, errors = None, [exc]
        fields = selected_fields(document) if document is not None and not errors else None
        with self._lock:
            self._cache[query] = (document, list(errors), fields)
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return document, list(errors), fields

    def run(self, query: str, variables: dict[str, Any] | None, operation_name: str | None,
            context: Any) -> tuple[int, dict[str, Any]]:
        """(HTTP status, response body)."""
        document, errors, fields = self._document(query)
        if document is None or errors:
            return 400, {"errors": [e.formatted for e in errors]}
        if fields is not None and "__schema" in fields and not context.viewer.is_admin:
            return 403, {"errors": [{"message": SCHEMA_DUMP_REFUSED}]}
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
    if original is not None:
        logging.getLogger("wbserver.graphql").error("resolver failed", exc_info=original)
        return {"message": "internal server error", "path": error.path}
    return error.formatted  # type: ignore[return-value]


def _status(errors: list[GraphQLError]) -> int:
    for error in errors:
        original = error.original_error
        if original is None:
            return 400
        return status_for(original)
    return 200
