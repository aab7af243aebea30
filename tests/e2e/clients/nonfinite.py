"""A run that logs NaN and ±Infinity (a diverging loss), then reads it back with wandb.Api()
every way; run as ``python nonfinite.py SPEC OUT``.

Spec: {"project": ..., "id": ..., "resume": false}; with "resume" the run is resumed and
logs one more row (loss 0.125). OUT: {"id", "entity", "reads": {name: value}} where every
float that is not finite is written as {"float": "nan" | "inf" | "-inf"} and every string as
{"str": ...}, so the test can tell a NaN number from the text "NaN" and from None.
"""

import json
import math
import sys
import traceback

import wandb

LOSSES = [0.5, float("nan"), float("inf"), float("-inf"), 0.25, float("nan")]


def encode(value):
    if isinstance(value, float) and not math.isfinite(value):
        return {"float": repr(value)}
    if isinstance(value, str):
        return {"str": value}
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [encode(v) for v in value]
    return value


def main(spec_path, out_path):
    with open(spec_path) as f:
        spec = json.load(f)
    if spec.get("resume"):  # the run again, resumed: one more row after the diverged ones
        run = wandb.init(project=spec["project"], id=spec["id"], resume="must")
        run.log({"loss": 0.125, "acc": len(LOSSES)})
    else:
        run = wandb.init(project=spec["project"], id=spec["id"],
                         config={"clip": float("inf"), "floor": float("-inf")})
        for step, loss in enumerate(LOSSES):
            run.log({"loss": loss, "acc": step})
    entity = run.entity
    run.finish()

    api_run = wandb.Api(timeout=60).run(f"{entity}/{spec['project']}/{spec['id']}")
    reads = {
        "config": lambda: dict(api_run.config),
        "summary": lambda: {k: v for k, v in api_run.summary_metrics.items()
                            if k in ("loss", "acc")},
        "history": lambda: api_run.history(pandas=False),
        "history_keys": lambda: api_run.history(keys=["loss"], pandas=False),
        "scan": lambda: list(api_run.scan_history()),
        "scan_keys": lambda: list(api_run.scan_history(keys=["loss"])),
        "scan_paged": lambda: list(api_run.scan_history(keys=["loss"], page_size=2)),
    }
    out = {"id": spec["id"], "entity": entity, "reads": {}}
    for name, read in reads.items():
        try:
            out["reads"][name] = {"value": encode(read())}
        except Exception:
            out["reads"][name] = {"error": traceback.format_exc()}
    with open(out_path, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
