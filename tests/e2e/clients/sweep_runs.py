"""Runs of a sweep logged by the real client one after another in one process (as agents
would start them), for the sweep analysis charts; run as ``python sweep_runs.py SPEC OUT``.

Spec: {"project", "sweep", "runs": [{"config": {...}, "loss": final val/loss or null}]}.
Each run logs `val/loss` over three steps ending at its `loss` (none at all when null).
OUT gets each run's id, config and final loss."""

import json
import os
import sys


def main(spec_path, out_path):
    with open(spec_path) as f:
        spec = json.load(f)
    # what `wandb agent` sets for its runs (under a sweep, init's project= is not used)
    os.environ["WANDB_SWEEP_ID"] = spec["sweep"]
    os.environ["WANDB_PROJECT"] = spec["project"]
    import wandb

    out = {"runs": []}
    for conf in spec["runs"]:
        run = wandb.init(project=spec["project"], config=conf["config"])
        if conf["loss"] is not None:
            for step in range(3):
                run.log({"val/loss": conf["loss"] + (2 - step) * 0.5})
        out["runs"].append({"id": run.id, "config": conf["config"], "loss": conf["loss"]})
        run.finish()
    with open(out_path, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
