"""Runs that use and log artifacts in a chain, with the real client; run as
``python lineage_chain.py SPEC OUT``.

Spec keys:
  project  the project of every run
  runs     a list, in order, of {"name": display name, "use": ["name:alias", …],
           "log": {"name", "type", "files": {path: text}} or null,
           "files": {path: text} saved as the run's own files (folders allowed)}
OUT gets each run's id by display name; tracebacks fail the process.
"""

import json
import os
import sys

import wandb


def one(project, step):
    run = wandb.init(project=project, name=step["name"])
    for name in step.get("use", []):
        run.use_artifact(name).download(root=os.path.join(os.getcwd(), "dl-" + run.id))
    work = os.path.join(os.getcwd(), "files-" + run.id)
    for path, text in step.get("files", {}).items():
        target = os.path.join(work, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(text)
        run.save(target, base_path=work, policy="now")
    if step.get("log"):
        spec = step["log"]
        art = wandb.Artifact(spec["name"], type=spec["type"])
        for path, text in spec["files"].items():
            with art.new_file(path, mode="w", encoding="utf-8") as handle:
                handle.write(text)
        run.log_artifact(art).wait()
    run_id = run.id
    run.finish()
    return run_id


def main(spec_path, out_path):
    with open(spec_path) as handle:
        spec = json.load(handle)
    out = {step["name"]: one(spec["project"], step) for step in spec["runs"]}
    with open(out_path, "w") as handle:
        json.dump(out, handle, indent=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
