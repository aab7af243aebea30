"""Load schema.graphql, give its custom scalars their codecs, attach the resolvers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    build_schema,
    default_field_resolver,
)

from wbserver.api.graphql.access import ROOT_RULES, Rule, guarded
from wbserver.domain.clock import iso

SCHEMA_DIR = Path(__file__).parent  # schema.graphql, then topic files that `extend` its types
Resolver = Callable[..., Any]


def _json_string_out(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY).decode()


def _json_string_in(value: Any) -> str:
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def _datetime_out(value: Any) -> str | None:
    return iso(value) if isinstance(value, datetime) else value


def _passthrough(value: Any) -> Any:
    return value


def _int64_in(value: Any) -> int:
    """A signed 64-bit integer (as a number, or as a string of digits): what the databases
    hold; anything else is the caller's error (graphql-core reports it as a bad variable)."""
    if isinstance(value, str) and value.lstrip("-").isascii() and value.lstrip("-").isdigit() \
            and len(value) <= 20:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not -2**63 <= value < 2**63:
        raise ValueError(f"Int64 cannot represent {str(value)[:50]}")
    return value


def _duration_in(value: Any) -> int | float:
    """Milliseconds: a finite number from 0 to 2**53."""
    if isinstance(value, bool) or not isinstance(value, int | float) or \
            not 0 <= value <= 2**53:  # NaN fails this too
        raise ValueError(f"Duration cannot represent {str(value)[:50]}")
    return value


_SCALARS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "JSONString": (_json_string_out, _json_string_in),
    "JSON": (_passthrough, _passthrough),
    "DateTime": (_datetime_out, _passthrough),
    "Duration": (_passthrough, _duration_in),
    "Int64": (_passthrough, _int64_in),
}


def build(resolvers: dict[str, dict[str, Resolver]],
          root_rules: dict[str, dict[str, Rule]] | None = None) -> GraphQLSchema:
    """The schema with `resolvers` attached and every Query and Mutation field guarded by its
    access rule (api/graphql/access.py; `root_rules` replaces that table in tests). A root
    field without a rule is refused here, so it can never be served unguarded."""
    rules = ROOT_RULES if root_rules is None else root_rules
    files = [SCHEMA_DIR / "schema.graphql"] + sorted(
        p for p in SCHEMA_DIR.glob("*.graphql") if p.name != "schema.graphql")
    schema = build_schema("\n".join(p.read_text(encoding="utf-8") for p in files))
    for name, (serialize, parse_value) in _SCALARS.items():
        scalar = schema.type_map[name]
        assert isinstance(scalar, GraphQLScalarType)
        # graphql-core 3.3 calls the coerce_* names (serialize/parse_value were 3.2's)
        scalar.parse_literal = _literal(parse_value)  # type: ignore[method-assign]
        scalar.coerce_output_value = serialize
        scalar.coerce_input_value = parse_value
    for type_name, fields in resolvers.items():
        gql_type = schema.type_map[type_name]
        if isinstance(gql_type, GraphQLInterfaceType | GraphQLUnionType):
            # An abstract type takes one entry: "__resolve_type"(value, info, type) -> name.
            gql_type.resolve_type = fields["__resolve_type"]
            continue
        assert isinstance(gql_type, GraphQLObjectType), type_name
        for field_name, resolver in fields.items():
            if field_name not in gql_type.fields:
                raise KeyError(f"{type_name}.{field_name} is not in schema.graphql")
            gql_type.fields[field_name].resolve = resolver
    for root in (schema.query_type, schema.mutation_type):
        assert root is not None
        unruled = sorted(set(root.fields) - set(rules.get(root.name, {})))
        if unruled:
            raise KeyError(f"{root.name} fields without an access rule "
                           f"(api/graphql/access.py): {', '.join(unruled)}")
        for field_name, field in root.fields.items():
            field.resolve = guarded(rules[root.name][field_name],
                                    field.resolve or default_field_resolver)
    return schema


def _literal(parse_value: Callable[[Any], Any]) -> Callable[..., Any]:
    """A scalar's reading of a literal in the document: its JSON value, checked as a
    variable's value would be."""
    from graphql import value_from_ast_untyped

    def parse_literal(node: Any, variables: dict[str, Any] | None = None) -> Any:
        return parse_value(value_from_ast_untyped(node, variables))
    return parse_literal


def attr(name: str) -> Resolver:
    """A resolver reading one attribute under another name (displayName -> display_name).
    `reads_attribute` lets the executor read it without building the resolve info."""
    def resolve(obj: Any, _info: Any, **_kw: Any) -> Any:
        return getattr(obj, name)

    resolve.reads_attribute = name  # type: ignore[attr-defined]
    return resolve


def renames(mapping: dict[str, str]) -> dict[str, Resolver]:
    return {field: attr(attribute) for field, attribute in mapping.items()}
