"""What a JSON row the server keeps may hold, beyond being valid JSON.

Rows are read again by code that walks them (key flattening, the run page's summary, system
charts), so a row nested deeper than MAX_DEPTH is refused at ingest rather than breaking
those reads later. A key holding a lone surrogate (an escape like `\\ud800` that JSON allows
and UTF-8 cannot carry) is refused too: the client never sends one (its keys are protobuf
strings, valid UTF-8), and the databases cannot store it. A lone surrogate in a *value* is
kept: the client sends one when a logged string is not valid Unicode, and reads give it back
as sent.

The checks cost a walk of the parsed row, so they run only on lines that could fail them:
lines long enough to hold more than MAX_DEPTH opening brackets that do, or lines holding a
`\\ud…` escape.
"""

from __future__ import annotations

import re
from itertools import compress, repeat
from typing import Any

from wbserver.errors import InvalidInput

MAX_DEPTH = 100
_SURROGATE = re.compile("[\ud800-\udfff]")


def suspicious(lines: list[str]) -> bool:
    """Whether any of the lines could fail `check_row`, by C-speed scans without a Python
    frame per line: one holds a `\\ud…` escape (where lone surrogates hide), or one is long
    enough and holds enough brackets to nest deeper than MAX_DEPTH (each level takes an
    opening and a closing one)."""
    if not lines:
        return False
    joined = lines[0] if len(lines) == 1 else "\n".join(lines)
    if "\\ud" in joined or "\\uD" in joined:
        return True
    if len(joined) <= 2 * MAX_DEPTH:
        return False
    long = list(compress(lines, map((2 * MAX_DEPTH).__lt__, map(len, lines))))
    if not long:
        return False
    return max(map(str.count, long, repeat("{"))) + max(map(str.count, long, repeat("["))) \
        > MAX_DEPTH


def check_row(line: str, row: Any, *, where: str) -> None:
    """Refuse a parsed row nested deeper than MAX_DEPTH or with a key holding a lone
    surrogate (see the module text)."""
    if not suspicious([line]):
        return
    stack: list[tuple[Any, int]] = [(row, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InvalidInput(f"{where} nests deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            for key, inner in value.items():
                if _SURROGATE.search(key):
                    raise InvalidInput(f"{where} has a key that is not valid Unicode "
                                       "(a lone surrogate)")
                if isinstance(inner, dict | list):
                    stack.append((inner, depth + 1))
        elif isinstance(value, list):
            stack.extend((inner, depth + 1) for inner in value if isinstance(inner, dict | list))
