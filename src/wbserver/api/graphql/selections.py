"""Looking ahead into a field's selection: what a resolver may read in the same lookup."""

from __future__ import annotations

from graphql import FieldNode, StringValueNode, VariableNode

from wbserver.api.graphql.resolve_info import GraphQLResolveInfo


def selected_run_name(info: GraphQLResolveInfo) -> str | None:
    """The name of the first `run(name: ...)` selected directly under this field (a literal
    or a variable holding a string), or None. Fragments are not looked into: their runs are
    read the ordinary way."""
    for node in info.field_nodes:
        for selection in node.selection_set.selections if node.selection_set else ():
            if not isinstance(selection, FieldNode) or selection.name.value != "run":
                continue
            for argument in selection.arguments or ():
                if argument.name.value != "name":
                    continue
                value = argument.value
                if isinstance(value, StringValueNode):
                    return value.value
                if isinstance(value, VariableNode):
                    held = info.variable_values.coerced.get(value.name.value)
                    return held if isinstance(held, str) else None
    return None
