"""A live run whose logged keys change while it runs; run as ``python live_keys.py SPEC OUT``.

Spec keys: init (kwargs for wandb.init), settings (wandb.Settings kwargs: the tests sample
system metrics and send file_stream often), phase_file (once it exists, each row also logs
`late/acc`, and the first such row a `late/sample` image), stop_file (finish once it exists),
interval (seconds between rows, default 0.2), max_rows (default 3000).
Each row logs `train/loss` = 1 / (i + 1). OUT gets the run's id at once, and at the end the
rows that carried `late/acc` ({"_step", "late/acc"}) in OUT.rows."""

import json
import os
import sys
import time

import numpy as np
import wandb


def main(spec_path, out_path):
    with open(spec_path) as f:
        spec = json.load(f)
    run = wandb.init(**spec["init"], settings=wandb.Settings(**spec.get("settings", {})))
    out = {"id": run.id, "entity": run.entity, "project": run.project}
    with open(out_path, "w") as f:
        json.dump(out, f)
    rows, image = [], None
    i = 0
    while not os.path.exists(spec["stop_file"]) and i < spec.get("max_rows", 3000):
        row = {"train/loss": 1 / (i + 1)}
        if os.path.exists(spec["phase_file"]):
            row["late/acc"] = i / 100
            rows.append({"_step": i, "late/acc": row["late/acc"]})
            if image is None:
                image = [200, 30, 30]
                row["late/sample"] = wandb.Image(np.full((12, 16, 3), image, dtype=np.uint8),
                                                 caption="late")
        run.log(row, step=i)
        i += 1
        time.sleep(spec.get("interval", 0.2))
    run.finish()
    with open(out_path, "w") as f:
        json.dump({**out, "rows": rows, "image": image}, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
