"""Read runs back with the public API; run as ``python api_read.py SPEC OUT``.

Spec keys:
  run        "entity/project/run_id": read that run (see SECTIONS)
  sections   which run sections to read (default: all of SECTIONS)
  download   run file names to download into download_dir
  download_dir
  project    "entity/project": read api.project() and api.projects(entity)
  queries    [{"filters": {...}, "order": "...", "per_page": n}]: the run ids
             api.runs(project, ...) returns
  missing_run  "entity/project/run_id" of a run that does not exist

OUT gets one entry per section: {"value": ...} or {"error": traceback}, so
one failing read does not hide the others.
"""

import json
import os
import sys
import traceback

import wandb


def attrs(run):
    return {
        "id": run.id,
        "name": run.name,
        "state": run.state,
        "group": run.group,
        "job_type": run.job_type,
        "tags": list(run.tags),
        "notes": run.notes,
        "entity": run.entity,
        "project": run.project,
    }


def files(run, per_page=50):
    return [{"name": f.name, "size": f.size} for f in run.files(per_page=per_page)]


def download(run, names, target):
    done = {}
    for name in names:
        f = run.file(name)
        f.download(root=target, replace=True)
        done[name] = os.path.join(target, name)
    return done


SECTIONS = {
    "attrs": attrs,
    "config": lambda run: dict(run.config),
    "summary": lambda run: dict(run.summary_metrics),
    "history": lambda run: run.history(pandas=False),
    "scan": lambda run: list(run.scan_history()),
    "scan_loss": lambda run: list(run.scan_history(keys=["loss"])),
    "sampled_loss": lambda run: run.history(keys=["loss"], samples=50, pandas=False),
    "sampled_all": lambda run: run.history(samples=50, pandas=False),
    "scan_paged": lambda run: list(run.scan_history(page_size=64)),
    "files": files,
    "files_paged": lambda run: files(run, per_page=2),
}


def project_info(api, path):
    entity, name = path.split("/")
    project = api.project(name, entity=entity)
    return {
        "name": project.name,
        "entity": project.entity,
        "id": project.id,
        "listed": [p.name for p in api.projects(entity)],
    }


def query_runs(project, queries):
    # A fresh Api per query: Api.runs() caches its results by path, filters and order.
    return [
        [
            r.id
            for r in wandb.Api(timeout=60).runs(
                project, filters=q.get("filters"), order=q["order"], per_page=q.get("per_page", 50)
            )
        ]
        for q in queries
    ]


def attempt(fn, *args):
    try:
        return {"value": fn(*args)}
    except Exception:
        return {"error": traceback.format_exc()}


def main(spec_path, out_path):
    with open(spec_path) as f:
        spec = json.load(f)
    api = wandb.Api(timeout=60)
    out = {}
    if spec.get("run"):
        loaded = attempt(api.run, spec["run"])
        out["load"] = {"error": loaded["error"]} if "error" in loaded else {"value": True}
        if "value" in loaded:
            run = loaded["value"]
            for name in spec.get("sections", list(SECTIONS)):
                out[name] = attempt(SECTIONS[name], run)
            if spec.get("download"):
                out["download"] = attempt(download, run, spec["download"], spec["download_dir"])
    if spec.get("project"):
        out["project"] = attempt(project_info, api, spec["project"])
    if spec.get("queries"):
        out["queries"] = attempt(query_runs, spec["project"], spec["queries"])
    if spec.get("missing_run"):
        out["missing_run"] = attempt(lambda path: api.run(path).state, spec["missing_run"])
    with open(out_path, "w") as f:
        json.dump(out, f, indent=1, default=repr)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
