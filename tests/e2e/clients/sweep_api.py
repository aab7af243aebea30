"""Read a sweep back with wandb.Api(): ``python sweep_api.py SPEC OUT``.

Spec: {"sweeps": ["entity/project/sweep_id", ...]}. OUT: for each, its state, config, runs
(name, state, config, summary loss), best run id and expected run count.
"""

import json
import sys

import wandb


def read(api, path):
    sweep = api.sweep(path)
    runs = [{"name": r.name, "id": r.id, "state": r.state, "sweep": r.sweep_name,
             "config": {k: v for k, v in r.config.items() if not k.startswith("_")},
             "loss": r.summary.get("loss")} for r in sweep.runs]
    best = sweep.best_run()
    return {"state": sweep.state, "config": sweep.config, "runs": runs, "name": sweep.name,
            "best": best.id if best else None, "expected": sweep.expected_run_count,
            "url": sweep.url}


spec = json.load(open(sys.argv[1]))
api = wandb.Api(timeout=60)
json.dump({path: read(api, path) for path in spec["sweeps"]}, open(sys.argv[2], "w"))
