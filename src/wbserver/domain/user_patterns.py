"""Regular expressions that users write (a runs filter's `$regex`), matched by RE2.

Python's `re` backtracks: `^(a+)+$` against thirty characters takes seconds, and holds the
interpreter lock all that time, so one request froze every other one. RE2 matches in time
linear in the text, whatever the pattern; a pattern RE2 cannot compile (backreferences,
lookaround) is refused with its reason, never handed to `re`.
"""

from __future__ import annotations

import functools
from typing import Any

import re2  # type: ignore[import-untyped]  # (no stubs or py.typed marker)

from wbserver.errors import InvalidInput

MAX_PATTERN_CHARS = 1000
_MAX_PROGRAM_BYTES = 8 * 1024 * 1024  # RE2's own memory budget for one compiled pattern


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False  # a refused pattern is the caller's error, not a log line
    options.max_mem = _MAX_PROGRAM_BYTES
    return options


_OPTIONS = _options()


@functools.lru_cache(maxsize=256)
def user_pattern(text: str) -> Any:
    """The compiled pattern (its `search(text)` is None or a match), or InvalidInput."""
    if len(text) > MAX_PATTERN_CHARS:
        raise InvalidInput(f"$regex is longer than {MAX_PATTERN_CHARS} characters")
    try:
        return re2.compile(text, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise InvalidInput(f"$regex {text!r} is not supported: {reason} (patterns use RE2 "
                           "syntax: no backreferences or lookaround)") from None
