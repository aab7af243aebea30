"""The system panels' columns: what a run's events lines give, and the cache that keeps them
to its byte budget, least recently used out first."""

import json

import numpy as np

from wbserver.domain.system_panel import ColumnCache


def columns(points: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return {"system.cpu": (np.zeros(points), np.zeros(points))}  # 16 bytes a point


def test_the_column_cache_keeps_to_its_byte_budget():
    cache = ColumnCache(budget=3 * 1600)
    for i in range(4):
        cache.put((i,), columns(100))
    assert cache.get((0,)) is None
    assert all(cache.get((i,)) is not None for i in (1, 2, 3))
    assert cache.get((1,)) is not None  # used last: kept when the next one comes
    cache.put((4,), columns(100))
    assert cache.get((2,)) is None and cache.get((1,)) is not None
    cache.put((1,), columns(50))  # the same key again: counted once
    cache.put((5,), columns(50))
    assert all(cache.get((i,)) is not None for i in (1, 3, 4, 5))
    cache.put((6,), columns(1000))  # over the whole budget: not kept, nothing dropped for it
    assert cache.get((6,)) is None and cache.get((5,)) is not None


def test_system_columns_keep_numbers_of_flat_and_nested_keys():
    """Numbers only (no bools, strings or bookkeeping `_` keys), flat keys as the client
    sends them and nested ones flattened, on relative time; every key or the ones asked."""
    from types import SimpleNamespace

    from wbserver.domain.chart_data import system_columns
    from wbserver.domain.models import HistoryChunk

    rows = [{"_runtime": 0.0, "_timestamp": 100.0, "_wandb": True, "system.cpu": 5,
             "system.ok": True, "system.name": "x", "": 1.5},
            {"_timestamp": 115.0, "system.cpu": 7.5, "system": {"gpu": {"0": {"temp": 40}}}}]
    data = "\n".join(json.dumps(r) for r in rows).encode()
    chunk = HistoryChunk(start_line=0, end_line=2, min_step=None, max_step=None, data=data)
    run = SimpleNamespace(id=1)
    found = system_columns(None, run, "_runtime", None, [chunk])  # type: ignore[arg-type]
    assert {k: (xs.tolist(), ys.tolist()) for k, (xs, ys) in found.items()} == {
        "system.cpu": ([0.0, 15.0], [5.0, 7.5]), "": ([0.0], [1.5]),
        "system.gpu.0.temp": ([15.0], [40.0])}
    assert found["system.cpu"][1].dtype == np.float64
    asked = system_columns(None, run, "_runtime", {"system.gpu.0.temp", "system.ok"},  # type: ignore[arg-type]
                           [chunk])
    assert list(asked) == ["system.gpu.0.temp"]
