"""Depth and cost limits on a GraphQL operation, checked after validation and before any
resolver runs, so a small document cannot ask for a huge answer (`a1: runs(first: 1000)
{...} a2: runs(first: 1000) {...}` ...).

The cost estimates the number of values in the answer: each selected field counts 1 (a
JSON or JSONString value, often a whole config or summary, counts JSON_WEIGHT), and what a
list holds counts once per element it may hold: the page its `first`/`last` argument asks
for (capped as the resolvers cap it), `samples` for sampled history, the length of a list
argument (`names`, `specs`), else DEFAULT_LIST. A connection's page applies to its `edges`.
Aliases select a field again, so each alias counts again. Every operation the `wandb`
client sends costs a small fraction of MAX_COST (tests/unit/test_graphql_limits.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
    value_from_ast_untyped,
)

MAX_DEPTH = 20
MAX_COST = 300_000
JSON_WEIGHT = 10
DEFAULT_LIST = 100  # elements assumed in a list whose size no argument tells
DEFAULT_SAMPLES = 500  # history(samples) when none is given (run_history.DEFAULT_SAMPLES)
MAX_PAGE = 10_000  # no resolver returns a longer page (MAX_PAGE in projects.py, run_files.py)
PAGE_ARGUMENTS = ("first", "last")
_JSON_TYPES = frozenset({"JSON", "JSONString"})


@dataclass
class _Walk:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: Mapping[str, Any]
    defaults: dict[str, Any]
    # a fragment's (cost, depth) per page handed to it: a fragment spread twice in a
    # fragment spread twice... is walked once, not 2**n times
    memo: dict[tuple[str, int | None], tuple[int, int]] = field(default_factory=dict)


def check_limits(schema: GraphQLSchema, document: DocumentNode, variables: Mapping[str, Any],
                 operation_name: str | None) -> list[GraphQLError]:
    """Errors for the operation(s) that would run, or [] when all fit the limits."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    named = [o for o in operations if o.name and o.name.value == operation_name]
    errors = []
    for operation in named or operations:
        cost, depth = operation_cost(schema, document, operation, variables)
        if depth > MAX_DEPTH:
            errors.append(GraphQLError(
                f"the query nests {depth} fields deep; at most {MAX_DEPTH} are allowed",
                operation))
        elif cost > MAX_COST:
            errors.append(GraphQLError(
                f"the query may return about {cost:,} values; at most {MAX_COST:,} are "
                "allowed: ask for smaller pages (first/perPage) or fewer fields and aliases",
                operation))
    return errors


def operation_cost(schema: GraphQLSchema, document: DocumentNode,
                   operation: OperationDefinitionNode,
                   variables: Mapping[str, Any]) -> tuple[int, int]:
    """(cost, depth) of one operation of a validated document."""
    root = _root_type(schema, operation.operation)
    if root is None:
        return 0, 0
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    defaults = {d.variable.name.value: value_from_ast_untyped(d.default_value)
                for d in operation.variable_definitions or () if d.default_value}
    walk = _Walk(schema, fragments, variables, defaults)
    return _selection_cost(walk, operation.selection_set, root, None)


def _root_type(schema: GraphQLSchema, kind: OperationType) -> GraphQLObjectType | None:
    if kind == OperationType.QUERY:
        return schema.query_type
    if kind == OperationType.MUTATION:
        return schema.mutation_type
    return schema.subscription_type


def _selection_cost(walk: _Walk, selections: SelectionSetNode, parent: GraphQLNamedType,
                    page: int | None) -> tuple[int, int]:
    """(cost, depth) of a selection set on `parent`; `page` is the page size its field's
    arguments asked for, which a list field directly inside it holds."""
    cost, depth = 0, 0
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            found = _field_cost(walk, selection, parent, page)
        elif isinstance(selection, InlineFragmentNode):
            on = walk.schema.get_type(selection.type_condition.name.value) \
                if selection.type_condition else parent
            found = _selection_cost(walk, selection.selection_set, on or parent, page)
        elif isinstance(selection, FragmentSpreadNode):
            found = _fragment_cost(walk, selection.name.value, page)
        else:  # pragma: no cover - graphql-core has no other selection kind
            continue
        cost += found[0]
        depth = max(depth, found[1])
    return cost, depth


def _fragment_cost(walk: _Walk, name: str, page: int | None) -> tuple[int, int]:
    key = (name, page)
    if key not in walk.memo:
        fragment = walk.fragments.get(name)
        if fragment is None:  # validation refuses unknown fragments before this runs
            return 0, 0
        walk.memo[key] = (0, 0)  # a cycle (refused by validation too) ends here
        on = walk.schema.get_type(fragment.type_condition.name.value)
        walk.memo[key] = _selection_cost(walk, fragment.selection_set, on, page) \
            if on is not None else (0, 0)
    return walk.memo[key]


def _field_cost(walk: _Walk, node: FieldNode, parent: GraphQLNamedType,
                page: int | None) -> tuple[int, int]:
    name = node.name.value
    if name.startswith("__"):
        return _introspection_cost(walk, node)
    fields = getattr(parent, "fields", None) or {}
    definition = fields.get(name)
    if definition is None:  # validation refuses unknown fields before this runs
        return 1, 1
    kind: GraphQLOutputType = definition.type
    if isinstance(kind, GraphQLNonNull):
        kind = kind.of_type
    is_list = isinstance(kind, GraphQLList)
    weight = JSON_WEIGHT if get_named_type(kind).name in _JSON_TYPES else 1
    own_page = _own_size(walk, node)
    if node.selection_set is None:  # a leaf: a scalar or a list of scalars
        return weight * ((own_page or 1) if is_list else 1), 1
    if is_list:
        elements = own_page or page or DEFAULT_LIST
        inner, depth = _selection_cost(walk, node.selection_set, get_named_type(kind), None)
        return weight + elements * inner, depth + 1
    inner, depth = _selection_cost(walk, node.selection_set, get_named_type(kind), own_page)
    return weight + inner, depth + 1


def _own_size(walk: _Walk, node: FieldNode) -> int | None:
    """The number of elements a field's arguments ask for, if they tell."""
    arguments = {a.name.value: a.value for a in node.arguments or ()}
    for name in PAGE_ARGUMENTS:
        if name in arguments:
            value = _value(walk, arguments[name])
            return _clamp(value) if isinstance(value, int) else DEFAULT_LIST
    if "samples" in arguments:
        value = _value(walk, arguments["samples"])
        return _clamp(value) if isinstance(value, int) and value > 0 else DEFAULT_SAMPLES
    lengths = [0]
    for value_node in arguments.values():  # a list argument, or a list in an input object
        value = _value(walk, value_node)
        for item in [value, *(value.values() if isinstance(value, dict) else ())]:
            if isinstance(item, list):
                lengths.append(len(item))
    return max(1, min(max(lengths), MAX_PAGE)) if max(lengths) else None


def _value(walk: _Walk, node: ValueNode) -> Any:
    if isinstance(node, VariableNode):
        name = node.name.value
        return walk.variables.get(name, walk.defaults.get(name))
    if isinstance(node, IntValueNode):
        return int(node.value) if len(node.value) < 20 else MAX_PAGE
    if isinstance(node, ListValueNode | ObjectValueNode):
        return value_from_ast_untyped(node, {**walk.defaults, **walk.variables})
    return None


def _clamp(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        return DEFAULT_LIST
    return max(1, min(value, MAX_PAGE))


def _introspection_cost(walk: _Walk, node: FieldNode) -> tuple[int, int]:
    """__schema and __type: every field selected inside counted once per named type of the
    schema, a bound on how many of each the answer holds whatever the nesting."""
    if node.selection_set is None:  # __typename
        return 1, 1
    fields, depth = _count_fields(walk, node.selection_set, set())
    return 1 + fields * len(walk.schema.type_map), depth + 1


def _count_fields(walk: _Walk, selections: SelectionSetNode,
                  seen: set[str]) -> tuple[int, int]:
    count, depth = 0, 0
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            inner = _count_fields(walk, selection.selection_set, seen) \
                if selection.selection_set else (0, 0)
            count += 1 + inner[0]
            depth = max(depth, inner[1] + 1)
        elif isinstance(selection, InlineFragmentNode):
            inner = _count_fields(walk, selection.selection_set, seen)
            count += inner[0]
            depth = max(depth, inner[1])
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            fragment = walk.fragments.get(selection.name.value)
            if fragment is not None:
                seen.add(selection.name.value)
                inner = _count_fields(walk, fragment.selection_set, seen)
                count += inner[0]
                depth = max(depth, inner[1])
    return count, depth
