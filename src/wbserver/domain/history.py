"""Reading a run's history: whole rows, sampled rows, per-key sampled series, key stats."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import orjson

from wbserver.domain.history_codec import parse_line, python_values, row_step, unpack_segments
from wbserver.domain.history_json import Column, rows_json
from wbserver.domain.history_lines import chunk_lines
from wbserver.domain.json_text import strict
from wbserver.domain.models import Run
from wbserver.domain.sampling import even_indices, shape_indices
from wbserver.ports import MetadataStore

if TYPE_CHECKING:
    import numpy as np
else:
    from wbserver.domain.lazy_numpy import np

X_KEYS = ("_step", "_runtime", "_timestamp")


def history_keys(run: Run) -> dict[str, Any]:
    keys: dict[str, dict[str, int]] = orjson.loads(run.history_keys or "{}")
    return {
        "keys": {k: {"typeCounts": [{"type": t, "count": n} for t, n in kinds.items()]}
                 for k, kinds in keys.items()},
        "lastStep": run.last_step,
    }


def iter_lines(store: MetadataStore, run: Run, stream: str = "history", *,
               min_step: int | None = None, max_step: int | None = None) -> Iterator[str]:
    for chunk in store.read_chunks(run.id, stream, min_step=min_step, max_step=max_step):
        yield from chunk_lines(store, run.id, chunk)


def iter_rows(store: MetadataStore, run: Run, *, min_step: int | None = None,
              max_step: int | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
    """(line, row) pairs in line order, limited to rows with min_step <= step <= max_step,
    a row's step as every step-range read takes it (`history_codec.row_step`)."""
    for chunk in store.read_chunks(run.id, "history", min_step=min_step, max_step=max_step):
        for number, line in enumerate(chunk_lines(store, run.id, chunk), chunk.start_line):
            row = parse_line(line, where="stored history line")
            if min_step is None and max_step is None:
                yield line, row
                continue
            step = row_step(row, number)
            if (min_step is None or step >= min_step) and (max_step is None or step <= max_step):
                yield line, row


def sampled_lines(store: MetadataStore, run: Run, *, samples: int, stream: str = "history",
                  min_step: int | None = None, max_step: int | None = None) -> list[str]:
    """At most `samples` whole rows, exact as logged: first and last always, and for each
    numeric key the rows holding its overall min and max."""
    if stream == "history" and (min_step is not None or max_step is not None):
        lines = [line for line, _row in iter_rows(store, run, min_step=min_step,
                                                  max_step=max_step)]
    else:
        lines = list(iter_lines(store, run, stream))
    if samples <= 0 or len(lines) <= samples:
        return lines
    chosen = set(even_indices(len(lines), samples).tolist())
    if stream == "history" and min_step is None and max_step is None:
        extremes = _extreme_lines(store, run)
        budget = samples - len(extremes)
        if budget >= 2:
            chosen = set(even_indices(len(lines), budget).tolist()) | extremes
    return [lines[i] for i in sorted(i for i in chosen if i < len(lines))][:samples]


def _extreme_lines(store: MetadataStore, run: Run) -> set[int]:
    keys = orjson.loads(run.history_keys or "{}")
    found: set[int] = set()
    for key in keys:
        if key in X_KEYS:
            continue
        lines, _steps, values, _ints = unpack_segments(store.read_segments(run.id, key))
        finite = ~np.isnan(values)
        if finite.any():
            found.add(int(lines[finite][np.argmin(values[finite])]))
            found.add(int(lines[finite][np.argmax(values[finite])]))
    return found


def sampled_history(store: MetadataStore, run: Run, spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows holding every requested key, projected onto those keys, sampled to keep shape.
    NaN and ±Infinity are spelled as strings (json_text.strict): strict JSON carries them."""
    keys, samples, min_step, max_step = _spec(spec)
    if not keys:
        return []
    if _all_numeric(run, keys):
        names, columns = _sampled_columns(store, run, keys, samples, min_step, max_step)
        python = [strict(python_values(values, ints)) for values, ints in columns]
        return [dict(zip(names, values, strict=True)) for values in zip(*python, strict=True)]
    return strict(_sampled_from_rows(store, run, keys, samples, min_step, max_step))  # type: ignore[no-any-return]


def sampled_history_json(store: MetadataStore, run: Run, spec: dict[str, Any]) -> bytes | None:
    """`sampled_history` already encoded as a JSON array (NaN and ±Infinity as strings), when every
    key is numeric; None otherwise (then use `sampled_history`)."""
    keys, samples, min_step, max_step = _spec(spec)
    if not keys or not _all_numeric(run, keys):
        return None
    return rows_json(*_sampled_columns(store, run, keys, samples, min_step, max_step))


def _spec(spec: dict[str, Any]) -> tuple[list[str], int, Any, Any]:
    keys = list(dict.fromkeys(str(k) for k in spec.get("keys") or []))
    return keys, int(spec.get("samples") or 500), spec.get("minStep"), spec.get("maxStep")


def _all_numeric(run: Run, keys: list[str]) -> bool:
    known = orjson.loads(run.history_keys or "{}")
    return all(_is_numeric_key(known.get(k)) for k in keys)


def _is_numeric_key(kinds: dict[str, int] | None) -> bool:
    return kinds is not None and set(kinds) == {"number"}


def _sampled_columns(store: MetadataStore, run: Run, keys: list[str], samples: int,
                     min_step: Any, max_step: Any) -> tuple[list[str], list[Column]]:
    """(keys, one (values, int flags) pair per key) over the lines holding every key."""
    segments = store.read_segments_of_keys(run.id, keys)  # one query for every key
    columns = {k: unpack_segments(segments[k]) for k in keys}
    lines = _common_lines([col_lines for col_lines, _s, _v, _i in columns.values()])
    # steps of the common lines, from the first key's column
    first_lines, first_steps, _v, _i = next(iter(columns.values()))
    steps = _at(first_steps, first_lines, lines)
    if min_step is not None or max_step is not None:
        mask = np.ones(len(lines), dtype=bool)
        if min_step is not None:
            mask &= steps >= int(min_step)
        if max_step is not None:
            mask &= steps <= int(max_step)
        lines = lines[mask]
    picked_values = {key: (_at(values, col_lines, lines), _at(ints, col_lines, lines))
                     for key, (col_lines, _s, values, ints) in columns.items()}
    shape_key = next((k for k in keys if k not in X_KEYS), keys[0])
    chosen = shape_indices(picked_values[shape_key][0], samples)
    if len(chosen) == len(lines):  # shape_indices keeps everything as arange(len)
        return list(picked_values), list(picked_values.values())
    return list(picked_values), [(v[chosen], n[chosen]) for v, n in picked_values.values()]


def _common_lines(columns: list[np.ndarray]) -> np.ndarray:
    """The line numbers present in every column (each sorted and unique)."""
    lines = columns[0]
    for col_lines in columns[1:]:
        if not np.array_equal(lines, col_lines):
            lines = np.intersect1d(lines, col_lines, assume_unique=True)
    return lines


def _at(column: np.ndarray, col_lines: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """column's entries at `lines` (a subset of the sorted `col_lines`)."""
    if len(lines) == len(col_lines):  # a subset of the same size is the whole column
        return column
    return column[np.searchsorted(col_lines, lines)]


def _sampled_from_rows(store: MetadataStore, run: Run, keys: list[str], samples: int,
                       min_step: Any, max_step: Any) -> list[dict[str, Any]]:
    rows = []
    for _line, row in iter_rows(store, run, min_step=min_step, max_step=max_step):
        if all(k in row for k in keys):
            rows.append({k: row[k] for k in keys})
    if len(rows) <= samples:
        return rows
    return [rows[i] for i in even_indices(len(rows), samples).tolist()]


def live_data(store: MetadataStore, run: Run, keys: list[str]) -> list[dict[str, Any]]:
    """parquetHistory.liveData: every row, projected onto `keys` (rows lacking them skipped)."""
    return sampled_history(store, run, {"keys": keys, "samples": 2**62})


def tail_lines(store: MetadataStore, run: Run, stream: str, count: int = 10) -> list[str]:
    lines: list[str] = []
    for chunk in store.read_tail_chunks(run.id, stream, count):
        lines += chunk_lines(store, run.id, chunk)
    return lines[-count:] if count else []
