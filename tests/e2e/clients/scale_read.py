"""What wandb.Api() reads of the scale-out test's runs; ``python scale_read.py SPEC OUT``.

Spec: {"project", "runs"}. OUT: per run its state, summary, history (step, loss), files
(name, size, md5) and artifact versions (name, digest, files)."""

import json
import sys

import wandb

spec = json.load(open(sys.argv[1]))
api = wandb.Api(timeout=60)
result = {}
for run_id in spec["runs"]:
    run = api.run(f"alice/{spec['project']}/{run_id}")
    arts = []
    for art in run.logged_artifacts():
        arts.append({"name": art.name, "digest": art.digest,
                     "files": sorted(f.name for f in art.files())})
    result[run_id] = {
        "state": run.state,
        "final": run.summary.get("final"),
        "history": [[row["_step"], row["loss"]] for row in run.scan_history(keys=["loss"])],
        "files": sorted([f.name, f.size, f.md5] for f in run.files()
                        if f.name.startswith("big-")),
        "artifacts": arts,
    }
with open(sys.argv[2], "w") as out:
    json.dump(result, out, sort_keys=True)
