"""A run that keeps logging until told to stop; run as ``python slow_log.py SPEC OUT``.

Spec keys: init (kwargs for wandb.init), stop_file (finish once this file exists),
interval (seconds between rows, default 0.2), max_rows (default 3000).
Each row is {"loss": 1 / (i + 1)} and a console line "row i". OUT gets the run's id."""

import json
import os
import sys
import time

import wandb


def main(spec_path, out_path):
    with open(spec_path) as f:
        spec = json.load(f)
    run = wandb.init(**spec["init"])
    with open(out_path, "w") as f:
        json.dump({"id": run.id, "entity": run.entity, "project": run.project}, f)
    i = 0
    while not os.path.exists(spec["stop_file"]) and i < spec.get("max_rows", 3000):
        run.log({"loss": 1 / (i + 1)})
        print(f"row {i}", flush=True)
        i += 1
        time.sleep(spec.get("interval", 0.2))
    run.finish()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
