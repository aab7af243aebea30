"""Cursors of a project's runs connection. Opaque to the client, which hands the last edge's
back as `after`:

* ordered by creation (the client's default), a keyset: base64 of
  `runs1:<position>:<created second>:<run id>`. The next page starts just past that run in the
  (project_id, created_second) index, however many runs lie before it, and runs created or
  deleted before it do not shift the page (an offset would repeat or skip runs);
* in any other order, the run's position as digits (what every cursor was before keysets).

A position-only cursor is accepted in any order (a client mid-iteration across the upgrade
goes on from its offset); a keyset cursor under another order is read as its position."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from wbserver.api.graphql.ids import MAX_CURSOR, MAX_ID, page_start
from wbserver.domain.run_search import CREATED_SECOND, CreatedKey

_PREFIX = "runs1:"


@dataclass(frozen=True)
class RunCursor:
    start: int  # the position the page begins at (0: the first run)
    after: CreatedKey | None = None  # the (created second, id) the page follows, if keyed


def encode(position: int, key: CreatedKey | None) -> str:
    if key is None:
        return str(position)
    text = f"{_PREFIX}{position}:{key[0]}:{key[1]}"
    return base64.urlsafe_b64encode(text.encode()).decode()


def decode(after: str | None) -> RunCursor:
    """The page a cursor asks for; anything unreadable is the first page (as before)."""
    if not after or after.isdigit():
        return RunCursor(page_start(after))
    try:
        text = base64.urlsafe_b64decode(after.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        return RunCursor(0)
    if not text.startswith(_PREFIX):
        return RunCursor(0)
    position, _, rest = text[len(_PREFIX):].partition(":")
    second, _, run_id = rest.rpartition(":")
    if not (_number(position, MAX_CURSOR) and _number(run_id, MAX_ID) and _second(second)):
        return RunCursor(0)
    return RunCursor(int(position) + 1, (second, int(run_id)))


def _number(text: str, most: int) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 19 and int(text) <= most


def _second(text: str) -> bool:
    """'YYYY-MM-DD HH:MM:SS', a real time (compared as text or parsed by the database)."""
    try:
        return len(text) == 19 and datetime.strptime(text, CREATED_SECOND) is not None
    except ValueError:
        return False
