"""The executor's short path for plain leaf fields answers exactly what graphql-core's
standard executor answers: values, nulls, errors and their paths."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from graphql import build_schema, execute, parse

from wbserver.api.graphql.lean_executor import LeanExecutor
from wbserver.api.graphql.schema import attr

SDL = """
enum Color { RED GREEN }
type Item {
  name: String
  count: Int
  ratio: Float!
  ok: Boolean
  color: Color
  renamed: String
  shout(loud: Boolean): String
  method: String
  strict: String!
  child: Item
}
type Query { items: [Item] }
"""


@dataclass
class Item:
    name: Any
    count: Any
    ratio: Any
    ok: Any
    color: Any
    other_name: Any
    strict: Any
    child: Any = None

    def method(self) -> str:  # a callable attribute: the default resolver calls it
        return "called"


def _schema() -> Any:
    schema = build_schema(SDL)
    fields = schema.type_map["Item"].fields
    fields["renamed"].resolve = attr("other_name")
    fields["shout"].resolve = lambda obj, _info, loud=False: (obj.name or "").upper() if loud else obj.name
    return schema


ITEMS = [
    Item("a", 1, 0.5, True, "RED", "x", "s", Item("c", 2, 1.0, False, "GREEN", "y", "t")),
    Item(None, None, 2.0, None, None, None, "s"),
    Item("b", "not a number", 1.5, 1, "BLUE", 7, "s"),          # bad Int, bad enum value
    Item("d", 3, None, True, "GREEN", "z", "s"),                # null for a non-null Float
    Item("e", 4, 1.0, False, "RED", "w", None),                 # null for a non-null String
    {"name": "dict", "count": 5, "ratio": 3.0, "ok": True, "color": "RED", "strict": "s",
     "method": "plain", "renamed": "ignored", "other_name": "n/a"},
]

QUERY = """{ items { name count ratio ok color renamed shout(loud: true) method strict
                     child { name count ratio ok color renamed method strict } } }"""


@pytest.mark.parametrize("query", [QUERY, "{ items { name name count } }",
                                   "{ items { ...F } } fragment F on Item { name ratio }"])
def test_lean_executor_answers_as_the_standard_one(query: str) -> None:
    schema = _schema()
    document = parse(query)
    standard = execute(schema, document, root_value={"items": ITEMS})
    lean = execute(schema, document, root_value={"items": ITEMS}, executor_class=LeanExecutor)
    assert lean.data == standard.data
    assert [(e.message, e.path) for e in lean.errors or []] == \
        [(e.message, e.path) for e in standard.errors or []]
    assert standard.errors  # the cases above do exercise the error paths
