"""A history chunk's lines: as the client sent them, or written again from the per-key
columns when only those were stored.

A request whose rows all hold the same keys with finite plain numbers (what a training loop
logs, read by the C accelerator) is stored once, as per-key columns (history_segments); its
chunk keeps only a marker and the keys, in the order the request first names them. Reading
it writes each row again from the columns: the same keys (in that order, which JSON does not
give a meaning to; wandb-core itself varies it from row to row) and the same values (ints as
ints, floats in their shortest form, which reads back as the same number). Other requests
keep their lines exactly as sent.
"""

from __future__ import annotations

import orjson

from wbserver.domain.history_codec import unpack_points
from wbserver.domain.history_json import rows_lines
from wbserver.domain.models import HistoryChunk
from wbserver.ports import MetadataStore

COLUMNS_ONLY = b"\x00wbserver-columns\x00"  # no line of JSON text starts with a NUL byte


def columns_only(keys: list[str]) -> bytes:
    """The chunk data of a request stored as columns only."""
    return COLUMNS_ONLY + orjson.dumps(keys)


def chunk_lines(store: MetadataStore, run_id: int, chunk: HistoryChunk) -> list[str]:
    data = chunk.data
    if not data.startswith(COLUMNS_ONLY):
        return data.decode("utf-8").split("\n")
    keys: list[str] = orjson.loads(data[len(COLUMNS_ONLY):])
    count = chunk.end_line - chunk.start_line
    found = {s.key: s for s in store.read_segments_at(run_id, keys, chunk.start_line)}
    columns = []
    for key in keys:
        segment = found.get(key)
        if segment is None or segment.point_count != count:
            raise RuntimeError(f"run {run_id}: history lines {chunk.start_line} to "
                               f"{chunk.end_line - 1} lack their column {key!r}")
        _lines, _steps, values, ints = unpack_points(segment.data, count, chunk.start_line)
        columns.append((values, ints))
    return rows_lines(keys, columns)
