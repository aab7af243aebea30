"""One run of the scale-out test (tests/e2e/test_scale_out.py); ``python scale_run.py SPEC OUT``.

History rows (paced, so that a server killed mid-way meets them in flight), a file of
``save_mb`` MB saved with wandb.save, an artifact, one alert; then, right after finish(), the
saved file downloaded through wandb.Api (it must be visible at once). Writes the MD5s to OUT.

Spec: {"project", "run", "steps", "pause", "save_mb"}
"""

import hashlib
import json
import os
import random
import sys
import time

import wandb

spec = json.load(open(sys.argv[1]))
out_path = sys.argv[2]
project, run_id = spec["project"], spec["run"]

run = wandb.init(project=project, id=run_id, name=run_id)
for step in range(spec["steps"]):
    run.log({"loss": 1.0 / (step + 1), "index": step}, step=step)
    if step % 10 == 9:
        time.sleep(spec["pause"])
    if step == spec["steps"] // 2:
        big = f"big-{run_id}.bin"
        data = random.Random(run_id).randbytes(spec["save_mb"] * 1024 * 1024)
        with open(big, "wb") as handle:
            handle.write(data)
        run.save(big, policy="now")
        art = wandb.Artifact(f"data-{run_id}", type="dataset")
        with open(f"table-{run_id}.txt", "w") as handle:
            handle.write(f"rows of {run_id}\n" * 100)
        art.add_file(f"table-{run_id}.txt", name="table.txt")
        run.log_artifact(art)
        run.alert(title=f"alert of {run_id}", text="scale-out")
run.summary["final"] = run_id
run.finish()

api = wandb.Api(timeout=60)
downloaded = api.run(f"alice/{project}/{run_id}").file(big).download(
    root=os.path.join(os.getcwd(), "downloaded"), replace=True)
downloaded.close()
with open(os.path.join(os.getcwd(), "downloaded", big), "rb") as handle:
    got = hashlib.md5(handle.read()).hexdigest()
with open(out_path, "w") as out:
    json.dump({"md5": hashlib.md5(data).hexdigest(), "downloaded_md5": got}, out)
