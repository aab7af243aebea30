"""A wandb run driven by a JSON spec; run as ``python log_run.py SPEC OUT``.

It logs deterministic rows and writes what it logged (the exact rows, the
expected summary, console lines, the run's ids and directories) to OUT, so a
test can compare that with what the server gives back.

Spec keys (all optional except ``init``):
  init          kwargs for wandb.init (project, id, name, group, job_type, tags,
                notes, config, resume, mode, ...)
  settings      kwargs for wandb.Settings
  start, steps  rows logged have index g = start .. start+steps-1
  loss_scale    loss = loss_scale / (g + 1)             (default 1.0)
  hist_every    log a histogram when g % hist_every == 0 (default 0: never)
  best          set summary["best"] several times, finally to this value
  config_update dict passed to run.config.update() after the loop
  console       print stdout/stderr lines and a carriage-return progress bar
  save          {"name": ..., "content": ...} (or a list of them): write the file and
                wandb.save() it
  html          log wandb.Html(html) under the key "report" (the client saves it as
                media/html/report_<step>_<hash>.html)
  alert         {"title": ..., "text": ..., "repeat": n}: wandb.alert() (n times)
  fail          raise RuntimeError(fail) instead of finishing
  ready_sleep   print READY and sleep this many seconds instead of finishing
"""

import json
import os
import sys
import time

import wandb

STDOUT_LINES = ["hello from stdout", "stdout after the loop"]
STDERR_LINES = ["warning from stderr"]
PROGRESS = ["progress 10%", "progress 50%", "progress 100%"]


def histogram(g):
    values = [g % 7, 1, 2, 3]
    bins = [0.0, 0.25, 0.5, 0.75, 1.0]
    return wandb.Histogram(np_histogram=(values, bins)), {
        "_type": "histogram",
        "values": values,
        "bins": bins,
    }


def make_row(g, spec):
    """The row passed to run.log() and its JSON form as the server should store it."""
    row = {
        "loss": spec.get("loss_scale", 1.0) / (g + 1),
        "acc": g / 1000,
        "nested": {"a": g, "b": {"c": 2 * g}},
    }
    expected = json.loads(json.dumps(row))
    every = spec.get("hist_every", 0)
    if every and g % every == 0:
        row["hist"], expected["hist"] = histogram(g)
    return row, expected


def write(out_path, out):
    with open(out_path, "w") as f:
        json.dump(out, f, indent=1)


def main(spec_path, out_path):
    with open(spec_path) as f:
        spec = json.load(f)
    settings = wandb.Settings(**spec.get("settings", {}))
    run = wandb.init(settings=settings, **spec["init"])

    out = {
        "id": run.id,
        "entity": run.entity,
        "project": run.project,
        "run_dir": os.path.dirname(run.dir),
        "rows": [],
        "summary": {},
        "stdout": [],
        "stderr": [],
        "progress_final": None,
    }

    if spec.get("console"):
        print(STDOUT_LINES[0])
        print(STDERR_LINES[0], file=sys.stderr, flush=True)
        out["stdout"].append(STDOUT_LINES[0])
        out["stderr"] += STDERR_LINES

    start, steps = spec.get("start", 0), spec.get("steps", 0)
    best = spec.get("best")
    for k in range(steps):
        g = start + k
        row, expected = make_row(g, spec)
        run.log(row)
        out["rows"].append(expected)
        out["summary"].update(expected)
        if best is not None and k % 20 == 0:
            run.summary["best"] = round(best * k / max(steps, 1), 6)
        if spec.get("console") and k == steps // 2:
            for i, text in enumerate(PROGRESS):
                last = i == len(PROGRESS) - 1
                print("\r" + text, end="\n" if last else "", flush=True)
                time.sleep(0.05)
            out["progress_final"] = PROGRESS[-1]

    if best is not None:
        run.summary["best"] = best
        out["summary"]["best"] = best
    if spec.get("config_update"):
        run.config.update(spec["config_update"])
    if spec.get("console"):
        print(STDOUT_LINES[1])
        out["stdout"].append(STDOUT_LINES[1])
    saves = spec.get("save") or []
    for item in saves if isinstance(saves, list) else [saves]:
        with open(item["name"], "w") as f:
            f.write(item["content"])
        wandb.save(item["name"])
    if spec.get("html"):
        run.log({"report": wandb.Html(spec["html"])})
    if spec.get("alert"):
        for _ in range(spec["alert"].get("repeat", 1)):  # repeats fall within wait_duration
            wandb.alert(title=spec["alert"]["title"], text=spec["alert"]["text"])

    write(out_path, out)
    if spec.get("fail"):
        raise RuntimeError(spec["fail"])
    if spec.get("ready_sleep"):
        sys.__stdout__.write("READY\n")
        sys.__stdout__.flush()
        time.sleep(spec["ready_sleep"])
        return
    run.finish()
    out["finished"] = True
    write(out_path, out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
