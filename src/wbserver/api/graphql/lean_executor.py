"""graphql-core's executor with a short path for plain leaf fields.

A page of 50 runs is ~1,200 fields, most of them scalars read straight off a `Run`. For each,
graphql-core builds a resolve-info record, calls the resolver and completes the value: about
5 µs a field. A leaf field without arguments whose resolver only reads an attribute (the
default resolver, or `schema.attr`) is answered here with the attribute and the type's
`coerce_output_value` — the same value. Anything unusual (a null for a non-null type, an
error, a callable attribute, an unserialisable value) goes the standard way, which then
produces the standard answer or error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from weakref import WeakKeyDictionary

from graphql import (
    GraphQLObjectType,
    Undefined,
    default_field_resolver,
    get_nullable_type,
    is_leaf_type,
    is_non_null_type,
)
from graphql.execution.executor import Executor

# per schema: (object type name, field name) -> (read the value, leaf type, nullable) or None
_Plan = tuple[Callable[[Any], Any], Any, bool] | None
_PLANS: WeakKeyDictionary[Any, dict[tuple[str, str], _Plan]] = WeakKeyDictionary()
_FALLBACK = object()


def _default_read(name: str) -> Callable[[Any], Any]:
    def read(source: Any) -> Any:
        value = source.get(name) if isinstance(source, Mapping) else getattr(source, name, None)
        return _FALLBACK if callable(value) else value  # default_field_resolver calls these
    return read


def _attribute_read(name: str) -> Callable[[Any], Any]:
    return lambda source: getattr(source, name)


class LeanExecutor(Executor):  # type: ignore[type-arg]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # the plans of this schema, or None when middleware or a custom default resolver
        # could see each field (then every field takes the standard path)
        self._leaf_plans = None if self.middleware_manager \
            or self.field_resolver is not default_field_resolver \
            else _PLANS.setdefault(self.schema, {})

    def _leaf_plan(self, parent_type: GraphQLObjectType, field_name: str) -> _Plan:
        plan: _Plan = None
        field_def = self.schema.get_field(parent_type, field_name)
        if field_def is not None and not field_def.args:
            inner = get_nullable_type(field_def.type)
            attribute = getattr(field_def.resolve, "reads_attribute", None)
            if is_leaf_type(inner) and (field_def.resolve is None or attribute):
                read = _attribute_read(attribute) if attribute else _default_read(field_name)
                plan = (read, inner, not is_non_null_type(field_def.type))
        return plan

    def execute_field(self, parent_type: GraphQLObjectType, source: Any,
                      field_details_list: Any, path: Any, position_context: Any) -> Any:
        plans = self._leaf_plans
        node = field_details_list[0].node
        if plans is not None and not node.arguments:
            key = (parent_type.name, node.name.value)
            plan = plans[key] if key in plans else plans.setdefault(
                key, self._leaf_plan(parent_type, key[1]))
            if plan is not None:
                read, leaf_type, nullable = plan
                try:
                    value = read(source)
                    if value is None or value is Undefined:
                        if nullable:
                            return None
                    elif value is not _FALLBACK:
                        coerced = leaf_type.coerce_output_value(value)
                        if coerced is not None and coerced is not Undefined:
                            return coerced
                except Exception:  # noqa: BLE001, S110 - the standard path raises it properly
                    pass
        return super().execute_field(parent_type, source, field_details_list, path,
                                     position_context)
