"""The MLflow side of bench/compare.py. Runs under the benchmark environment's Python that has
`mlflow` installed (compare.py's --mlflow-python); prints one JSON object on stdout.

    python compare_mlflow.py ingest URL RUN STEPS METRICS
    python compare_mlflow.py history URL POINTS REPEAT
    python compare_mlflow.py table URL RUNS REPEAT
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time

from mlflow.entities import Metric, Param
from mlflow.tracking import MlflowClient

BATCH = 1000  # metrics per log_batch (MLflow's limit)


def _experiment(client: MlflowClient, name: str) -> str:
    found = client.get_experiment_by_name(name)
    if found is not None:
        return str(found.experiment_id)
    try:
        return str(client.create_experiment(name))
    except Exception:  # created by a concurrent process
        found = client.get_experiment_by_name(name)
        assert found is not None
        return str(found.experiment_id)


def _log(client: MlflowClient, run_id: str, points: list[Metric]) -> None:
    for start in range(0, len(points), BATCH):
        client.log_batch(run_id, metrics=points[start:start + BATCH])


def ingest(url: str, name: str, steps: int, metrics: int) -> dict[str, float]:
    """One run: steps x metrics points, as the wandb client logs them (step by step)."""
    client = MlflowClient(tracking_uri=url)
    run = client.create_run(_experiment(client, "ingest"), run_name=name)
    keys = [f"m{i}" for i in range(metrics)]
    started = time.time()
    pending: list[Metric] = []
    for step in range(steps):
        stamp = int(time.time() * 1000)
        pending.extend(Metric(k, step * 0.001 + j, stamp, step) for j, k in enumerate(keys))
        if len(pending) >= BATCH:
            _log(client, run.info.run_id, pending[:BATCH])
            pending = pending[BATCH:]
    _log(client, run.info.run_id, pending)
    client.set_terminated(run.info.run_id)
    return {"started": started, "finished": time.time()}


def history(url: str, points: int, repeat: int) -> dict[str, float]:
    client = MlflowClient(tracking_uri=url)
    run = client.create_run(_experiment(client, "history"), run_name="history")
    stamp = int(time.time() * 1000)
    _log(client, run.info.run_id, [Metric("loss", 1.0 / (i + 1), stamp + i, i)
                                   for i in range(points)])
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        got = client.get_metric_history(run.info.run_id, "loss")
        times.append((time.perf_counter() - t0) * 1000)
        assert len(got) == points, len(got)
    return {"ms": statistics.median(times), "spread": max(times) - min(times)}


def table(url: str, runs: int, repeat: int) -> dict[str, float]:
    client = MlflowClient(tracking_uri=url)
    exp = _experiment(client, "table")
    rng = random.Random(1)
    stamp = int(time.time() * 1000)
    for i in range(runs):
        run = client.create_run(exp, run_name=f"run{i:05d}")
        client.log_batch(run.info.run_id, params=[
            Param("lr", str(rng.random())), Param("batch", str(2 ** (i % 8))),
            Param("opt", ("adam", "sgd")[i % 2])], metrics=[
            Metric("loss", rng.random(), stamp, 100), Metric("acc", rng.random(), stamp, 100)])
    out = {}
    for label, limit in (("page", 50), ("all", 1000)):
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            found = client.search_runs([exp], filter_string="params.opt = 'adam'",
                                       order_by=["metrics.loss DESC"], max_results=limit)
            times.append((time.perf_counter() - t0) * 1000)
            assert len(found) == min(limit, (runs + 1) // 2), len(found)
        out[label] = statistics.median(times)
    return out


def main() -> None:
    command, url, *rest = sys.argv[1:]
    if command == "ingest":
        result = ingest(url, rest[0], int(rest[1]), int(rest[2]))
    elif command == "history":
        result = history(url, int(rest[0]), int(rest[1]))
    else:
        result = table(url, int(rest[0]), int(rest[1]))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
