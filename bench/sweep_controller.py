"""Sweep controller benchmark: time to schedule one run (an agent's heartbeat asking for its
next run) by method and by the number of runs the sweep has already, and time of one
background pass (Hyperband over a sweep whose runs log history). In process, on SQLite.
Figures, not pass/fail.

    .venv/bin/python bench/sweep_controller.py --runs 10 50 --history 200
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import warnings

import yaml

from wbserver.app import create_app
from wbserver.config.runtime import SettingsSource
from wbserver.domain.sweep_controller import controller_step, schedule_next
from wbserver.domain.sweeps import upsert_sweep
from wbserver.domain.users import create_user

SPACE = {"x": {"distribution": "uniform", "min": -2.0, "max": 2.0},
         "y": {"distribution": "log_uniform_values", "min": 1e-4, "max": 1.0},
         "opt": {"values": ["adam", "sgd", "rmsprop"]}}


def _finish_all(store, sweep) -> None:
    for run in store.sweep_runs(sweep.project_id, sweep.name):
        if run.state == "pending":
            params = json.loads(run.config)
            loss = (params["x"]["value"] - 1.1) ** 2 + params.get("y", {}).get("value", 0)
            store.update_run(run.id, lambda _r, loss=loss: {
                "state": "finished", "summary": json.dumps({"loss": loss})})


def bench_schedule(store, user, method: str, prior: int, samples: int) -> list[float]:
    config = {"method": method, "metric": {"name": "loss", "goal": "minimize"},
              "parameters": SPACE if method != "grid" else {
                  "x": {"values": list(range(prior + samples + 1))}}}
    sweep, _ = upsert_sweep(store, viewer=user, entity=user.username, project="bench",
                            sweep_id=None, config=yaml.safe_dump(config), description=None,
                            display_name=None, state=None, controller=None)
    for _ in range(prior):
        schedule_next(store, sweep_id=sweep.id, user_id=user.id)
    _finish_all(store, sweep)
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        assert schedule_next(store, sweep_id=sweep.id, user_id=user.id) is not None
        times.append(time.perf_counter() - started)
        _finish_all(store, sweep)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--samples", type=int, default=5)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(SettingsSource(environ={}, overrides={"data_dir": tmp}))
        store = app.state.services.store
        user = create_user(store, username="bench", email="b@example.com", is_admin=False)
        print("schedule one run (ms, median of samples) by method and runs already there")
        for method in ("grid", "random", "bayes"):
            for prior in args.runs:
                times = bench_schedule(store, user, method, prior, args.samples)
                print(f"  {method:6} {prior:5} runs: {statistics.median(times) * 1000:8.1f} ms")
        started = time.perf_counter()
        report = controller_step(store)
        print(f"background pass over {report.sweeps} running sweeps: "
              f"{(time.perf_counter() - started) * 1000:.1f} ms")
        store.close()


if __name__ == "__main__":
    main()
