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
  label: String
  upper: String
  tags: [String!]
  loose: [String]
  context: String
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
    # functions of the source alone (their info parameter marked unused): the short path
    fields["label"].resolve = lambda obj, _i: f"<{_name(obj)}>"
    fields["upper"].resolve = lambda obj, _i: _name(obj).upper()  # raises for a None name
    fields["tags"].resolve = lambda obj, _i: _tags(obj)
    fields["loose"].resolve = lambda obj, _i: _tags(obj)  # nullable items: the standard path
    fields["context"].resolve = lambda obj, info: str(info.context)  # uses its info
    return schema


def _name(obj: Any) -> Any:
    return obj["name"] if isinstance(obj, dict) else obj.name


def _tags(obj: Any) -> Any:
    name = _name(obj)
    return None if name is None else [name, name * 2] if name != "b" else [name, None]


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
                     label upper tags loose context
                     child { name count ratio ok color renamed method strict label tags } } }"""


@pytest.mark.parametrize("query", [QUERY, "{ items { name name count } }",
                                   "{ items { ...F } } fragment F on Item { name ratio }"])
def test_lean_executor_answers_as_the_standard_one(query: str) -> None:
    schema = _schema()
    document = parse(query)
    standard = execute(schema, document, root_value={"items": ITEMS}, context_value="ctx")
    lean = execute(schema, document, root_value={"items": ITEMS}, context_value="ctx",
                   executor_class=LeanExecutor)
    assert lean.data == standard.data
    assert [(e.message, e.path) for e in lean.errors or []] == \
        [(e.message, e.path) for e in standard.errors or []]
    assert standard.errors  # the cases above do exercise the error paths


def test_which_fields_take_the_short_path() -> None:
    from wbserver.api.graphql.lean_executor import _PLANS

    schema = _schema()
    execute(schema, parse(QUERY), root_value={"items": ITEMS}, context_value="ctx",
            executor_class=LeanExecutor)
    plans = _PLANS[schema]
    short = {name for (type_name, name), plan in plans.items() if plan is not None}
    assert {"name", "renamed", "label", "upper", "tags"} <= short
    assert not short & {"shout", "loose", "context", "child"}


def test_awaitable_fields_beside_short_ones_answer_as_the_standard_executor() -> None:
    import asyncio

    schema = _schema()

    async def later(obj: Any, info: Any) -> str:  # uses its info: the standard path
        await asyncio.sleep(0)
        return f"{info.context}:{_name(obj)}"

    schema.type_map["Item"].fields["context"].resolve = later
    document = parse("{ items { name context label child { context name } } }")
    items = [i for i in ITEMS if not isinstance(i, dict)][:2]

    async def run(executor_class: Any) -> Any:
        result = execute(schema, document, root_value={"items": items}, context_value="ctx",
                         executor_class=executor_class)
        return await result if asyncio.iscoroutine(result) or hasattr(result, "__await__") \
            else result

    standard = asyncio.run(run(None))
    lean = asyncio.run(run(LeanExecutor))
    assert lean.data == standard.data
    assert lean.data["items"][0] == {"name": "a", "context": "ctx:a", "label": "<a>",
                                     "child": {"context": "ctx:c", "name": "c"}}
    assert list(lean.data["items"][0]) == ["name", "context", "label", "child"]  # field order
