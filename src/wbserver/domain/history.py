"""Reading a run's history: whole rows, sampled rows, per-key sampled series, key stats."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import orjson

from wbserver.domain.history_codec import parse_line, python_values, unpack_segments
from wbserver.domain.models import Run
from wbserver.domain.sampling import even_indices, shape_indices
from wbserver.ports import MetadataStore

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
        yield from chunk.data.decode("utf-8").split("\n")


def iter_rows(store: MetadataStore, run: Run, *, min_step: int | None = None,
              max_step: int | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
    """(line, row) pairs in line order, limited to rows with min_step <= _step <= max_step."""
    for line in iter_lines(store, run, min_step=min_step, max_step=max_step):
        row = parse_line(line, where="stored history line")
        step = row.get("_step")
        if min_step is not None and (not isinstance(step, int | float) or step < min_step):
            continue
        if max_step is not None and (not isinstance(step, int | float) or step > max_step):
            continue
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
    """Rows holding every requested key, projected onto those keys, sampled to keep shape."""
    keys = list(dict.fromkeys(str(k) for k in spec.get("keys") or []))
    samples = int(spec.get("samples") or 500)
    min_step = spec.get("minStep")
    max_step = spec.get("maxStep")
    if not keys:
        return []
    known = orjson.loads(run.history_keys or "{}")
    if all(_is_numeric_key(known.get(k)) for k in keys):
        return _sampled_from_columns(store, run, keys, samples, min_step, max_step)
    return _sampled_from_rows(store, run, keys, samples, min_step, max_step)


def _is_numeric_key(kinds: dict[str, int] | None) -> bool:
    return bool(kinds) and set(kinds) == {"number"}


def _sampled_from_columns(store: MetadataStore, run: Run, keys: list[str], samples: int,
                          min_step: Any, max_step: Any) -> list[dict[str, Any]]:
    columns = {k: unpack_segments(store.read_segments(run.id, k)) for k in keys}
    lines = None
    for col_lines, _s, _v, _i in columns.values():
        lines = col_lines if lines is None else np.intersect1d(lines, col_lines, assume_unique=True)
    assert lines is not None
    # steps of the common lines, from the first key's column
    first_lines, first_steps, _v, _i = next(iter(columns.values()))
    steps = first_steps[np.searchsorted(first_lines, lines)]
    mask = np.ones(len(lines), dtype=bool)
    if min_step is not None:
        mask &= steps >= int(min_step)
    if max_step is not None:
        mask &= steps <= int(max_step)
    lines = lines[mask]
    picked_values = {}
    for key, (col_lines, _s, values, ints) in columns.items():
        pos = np.searchsorted(col_lines, lines)
        picked_values[key] = (values[pos], ints[pos])
    shape_key = next((k for k in keys if k not in X_KEYS), keys[0])
    chosen = shape_indices(picked_values[shape_key][0], samples)
    names = list(picked_values)
    columns = [python_values(v[chosen], n[chosen]) for v, n in picked_values.values()]
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


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
    return _sampled_from_rows(store, run, keys, samples=2**62, min_step=None, max_step=None) \
        if not all(_is_numeric_key(orjson.loads(run.history_keys or "{}").get(k)) for k in keys) \
        else _sampled_from_columns(store, run, keys, 2**62, None, None)


def tail_lines(store: MetadataStore, run: Run, stream: str, count: int = 10) -> list[str]:
    return store.read_tail_lines(run.id, stream, count)
