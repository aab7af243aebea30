"""graphql-core's executor with a short path for plain leaf fields.

A page of 50 runs is ~1,200 fields, most of them scalars read straight off a `Run`. For each,
graphql-core builds a path and a resolve-info record, calls the resolver and completes the
value: about 5 µs a field. Here each object's selection set is worked out once (which of its
fields take the short path), and the short fields are answered in one loop. A leaf field (or
a list of leaves) without arguments is answered with the
type's `coerce_output_value` — the same value — when its resolver only reads an attribute
(the default resolver, or `schema.attr`) or is a function of the source alone (its second
parameter, the resolve info, is named `_...`: it is called with None). Anything unusual (a
null for a non-null type, an error, a callable attribute, an unserialisable value) goes the
standard way, which then produces the standard answer or error.
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
    is_list_type,
    is_non_null_type,
)
from graphql.execution.executor import Executor
from graphql.pyutils import Path

# per schema: (object type name, field name) -> (read the value, coerce it, nullable) or None
_Plan = tuple[Callable[[Any], Any], Callable[[Any], Any], bool] | None
_PLANS: WeakKeyDictionary[Any, dict[tuple[str, str], _Plan]] = WeakKeyDictionary()
_FALLBACK = object()


def _default_read(name: str) -> Callable[[Any], Any]:
    def read(source: Any) -> Any:
        value = source.get(name) if isinstance(source, Mapping) else getattr(source, name, None)
        return _FALLBACK if callable(value) else value  # default_field_resolver calls these
    return read


def _attribute_read(name: str) -> Callable[[Any], Any]:
    return lambda source: getattr(source, name)


def _source_read(resolve: Callable[..., Any]) -> Callable[[Any], Any] | None:
    """For a resolver whose resolve-info parameter is marked unused (`_i`, `_info`)."""
    code = getattr(resolve, "__code__", None)
    if code is None or code.co_argcount != 2 or not code.co_varnames[1].startswith("_"):
        return None
    return lambda source: resolve(source, None)


def _leaf_coercion(leaf_type: Any) -> Callable[[Any], Any]:
    def coerce(value: Any) -> Any:
        coerced = leaf_type.coerce_output_value(value)
        return _FALLBACK if coerced is None or coerced is Undefined else coerced
    return coerce


def _list_coercion(item_type: Any) -> Callable[[Any], Any]:
    """A list of non-null leaves (a null item, or anything but a list, goes the standard way)."""
    coerce_item = item_type.coerce_output_value

    def coerce(value: Any) -> Any:
        if not isinstance(value, list | tuple):
            return _FALLBACK
        out = [coerce_item(item) for item in value]
        return _FALLBACK if None in out or Undefined in out else out
    return coerce


class LeanExecutor(Executor):  # type: ignore[type-arg]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # the plans of this schema, or None when middleware or a custom default resolver
        # could see each field (then every field takes the standard path)
        self._leaf_plans = None if self.middleware_manager \
            or self.field_resolver is not default_field_resolver \
            else _PLANS.setdefault(self.schema, {})
        self._field_lists: dict[int, tuple[Any, list[tuple[str, Any, _Plan]]]] = {}

    def _leaf_plan(self, parent_type: GraphQLObjectType, field_name: str) -> _Plan:
        field_def = self.schema.get_field(parent_type, field_name)
        if field_def is None or field_def.args:
            return None
        inner = get_nullable_type(field_def.type)
        if is_leaf_type(inner):
            coerce = _leaf_coercion(inner)
        elif is_list_type(inner) and is_non_null_type(inner.of_type) \
                and is_leaf_type(inner.of_type.of_type):
            coerce = _list_coercion(inner.of_type.of_type)
        else:
            return None
        resolve = field_def.resolve
        attribute = getattr(resolve, "reads_attribute", None)
        if resolve is None:
            read: Callable[[Any], Any] | None = _default_read(field_name)
        else:
            read = _attribute_read(attribute) if attribute else _source_read(resolve)
        return None if read is None else (read, coerce, not is_non_null_type(field_def.type))

    def _fields(self, parent_type: GraphQLObjectType, grouped_field_set: Any
                ) -> list[tuple[str, Any, _Plan]]:
        """(response name, field details, leaf plan or None) for each field of the set;
        worked out once per set (graphql-core reuses the set for every item of a list)."""
        found = self._field_lists.get(id(grouped_field_set))
        if found is not None and found[0] is grouped_field_set:
            return found[1]
        plans = self._leaf_plans
        assert plans is not None
        fields = []
        for response_name, field_details_list in grouped_field_set.items():
            node = field_details_list[0].node
            plan = None
            if not node.arguments:
                key = (parent_type.name, node.name.value)
                plan = plans[key] if key in plans else plans.setdefault(
                    key, self._leaf_plan(parent_type, key[1]))
            fields.append((response_name, field_details_list, plan))
        # the set is kept alive with its entry, so its id is not reused while this runs
        self._field_lists[id(grouped_field_set)] = (grouped_field_set, fields)
        return fields

    def execute_fields(self, parent_type: GraphQLObjectType, source_value: Any, path: Any,
                       grouped_field_set: Any, position_context: Any) -> Any:
        if self._leaf_plans is None:
            return super().execute_fields(parent_type, source_value, path, grouped_field_set,
                                          position_context)
        results: dict[str, Any] = {}
        pending: list[str] = []
        for response_name, field_details_list, plan in self._fields(parent_type,
                                                                    grouped_field_set):
            if plan is not None:
                read, coerce, nullable = plan
                try:
                    value = read(source_value)
                    if value is None or value is Undefined:
                        if nullable:
                            results[response_name] = None
                            continue
                    elif value is not _FALLBACK:
                        coerced = coerce(value)
                        if coerced is not _FALLBACK:
                            results[response_name] = coerced
                            continue
                except Exception:  # noqa: BLE001, S110 - the standard path raises it properly
                    pass
            result = self.execute_field(parent_type, source_value, field_details_list,
                                        Path(path, response_name, parent_type.name),
                                        position_context)
            if result is not Undefined:
                results[response_name] = result
                if self.is_awaitable(result):
                    pending.append(response_name)
        if not pending:
            return results

        async def settled() -> dict[str, Any]:  # this server's resolvers are all synchronous
            for name in pending:
                results[name] = await results[name]
            return results
        return settled()
