"""History rows written straight to JSON text, column at a time: the bytes orjson gives for
`[{key: value, ...}, ...]` with `python_values` numbers, without a Python dict per row."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import orjson

from wbserver.domain.history_codec import python_values
from wbserver.domain.json_text import strict

if TYPE_CHECKING:
    import numpy as np

    Column = tuple[np.ndarray, np.ndarray]  # (float64 values, int8 "logged as an int" flags)
else:
    from wbserver.domain.lazy_numpy import np

    Column = tuple  # the full type is the type checker's; numpy is imported on first use

_interleave: Callable[..., bytes | None] | None  # rows_json(names, columns, count[, lines])
try:
    from wbserver.domain._accel import rows_json as _interleave
except ImportError:  # built without a C compiler: the list-slice path below
    _interleave = None


def rows_json(names: list[str], columns: list[Column]) -> bytes:
    """`orjson.dumps([dict(zip(names, row)) for row in zip(*python columns)])`, byte for
    byte, except that NaN and ±Infinity come out as the strings "NaN", "Infinity" and
    "-Infinity" (json_text.strict), where orjson would write null."""
    count = len(columns[0][0]) if columns else 0
    if not names or count == 0:
        return b"[]"
    name_texts = [orjson.dumps(name) for name in names]
    texts = [_column_text(values, ints) for values, ints in columns]
    if _interleave is not None:  # the C accelerator interleaves orjson's column texts
        found = _interleave(name_texts, texts, count)
        if found is not None:
            return found
    width = 2 * len(names)
    parts: list[bytes] = [b""] * (width * count)
    for i, (name, text) in enumerate(zip(name_texts, texts, strict=True)):
        # every row but the first opens with "},{", every value but a row's first with ","
        prefix = (b"},{" if i == 0 else b",") + name + b":"
        parts[2 * i::width] = [prefix] * count
        parts[2 * i + 1::width] = _tokens(text)
    return b"[" + b"".join(parts)[2:] + b"}]"


def rows_lines(names: list[str], columns: list[Column]) -> list[str]:
    """The same rows as `rows_json`, each its own JSON object text (a history line)."""
    count = len(columns[0][0]) if columns else 0
    if not names or count == 0:
        return []
    name_texts = [orjson.dumps(name) for name in names]
    texts = [_column_text(values, ints) for values, ints in columns]
    if _interleave is not None:
        found = _interleave(name_texts, texts, count, True)
        if found is not None:
            return found.decode("utf-8").split("\n")
    prefixes = [name + b":" for name in name_texts]
    tokens = [_tokens(text) for text in texts]
    return [(b"{" + b",".join(map(bytes.__add__, prefixes, row)) + b"}").decode("utf-8")
            for row in zip(*tokens, strict=True)]


def _tokens(column_text: bytes) -> list[bytes]:
    """Each value's JSON text (numbers never hold a comma, so one split does it)."""
    return column_text[1:-1].split(b",")


def _column_text(values: np.ndarray, ints: np.ndarray) -> bytes:
    """The column as orjson writes the list of its `python_values`, NaN and ±Infinity
    spelled as strings (json_text.strict)."""
    finite = np.isfinite(values)
    if not finite.all():
        return orjson.dumps(strict(python_values(values, ints)))
    as_int = (ints != 0) & finite
    if as_int.all():
        text = orjson.dumps(values.astype(np.int64), option=orjson.OPT_SERIALIZE_NUMPY)
    elif not as_int.any():
        text = orjson.dumps(np.ascontiguousarray(values, dtype=np.float64),
                            option=orjson.OPT_SERIALIZE_NUMPY)
    else:
        text = orjson.dumps(python_values(values, ints))
    return text
