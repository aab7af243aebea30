"""Several wandb runs for the project workspace, one after another in one process; run as
``python workspace_runs.py SPEC OUT``.

Spec: {"project": ..., "steps": n, "runs": [{"name", "group", "job_type", "config",
"scale"}]}. Each run defines `epoch` as the x axis of `val/*` and keeps `val/acc`'s max in
its summary, logs `train/loss` and `train/lr` (tiny: 1e-4 and less) every step and `val/acc`
with `epoch` every fifth step. OUT gets each run's id and the exact rows it logged."""

import json
import sys

import wandb


def main(spec_path, out_path):
    with open(spec_path) as f:
        spec = json.load(f)
    out = {"runs": []}
    for conf in spec["runs"]:
        run = wandb.init(project=spec["project"], name=conf["name"], group=conf.get("group"),
                         job_type=conf.get("job_type"), config=conf.get("config", {}))
        run.define_metric("epoch")
        run.define_metric("val/*", step_metric="epoch")
        run.define_metric("val/acc", step_metric="epoch", summary="max")
        rows = []
        scale = conf.get("scale", 1.0)
        for step in range(spec["steps"]):
            row = {"train/loss": scale / (step + 1), "train/lr": 1e-4 / (step + 1)}
            if step % 5 == 4:
                row["epoch"] = step // 5
                row["val/acc"] = round(scale * (step % 7) / 10, 4)
            run.log(row, step=step)
            rows.append({"_step": step, **row})
        out["runs"].append({"id": run.id, "name": conf["name"], "rows": rows})
        run.finish()
    with open(out_path, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
