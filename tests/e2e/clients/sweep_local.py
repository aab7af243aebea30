"""Drive a sweep with the local controller, wandb.controller(): ``python sweep_local.py SPEC
OUT``. Spec: {"entity", "project", "sweep", "timeout"}. Steps it (as tuner.run() does, at a
shorter interval) until the sweep is done; OUT gets the number of steps and whether it ended.
"""

import json
import sys
import time

import wandb

spec = json.load(open(sys.argv[1]))
tuner = wandb.controller(spec["sweep"], entity=spec["entity"], project=spec["project"])
deadline = time.monotonic() + spec.get("timeout", 120)
steps = 0
while not tuner.done() and time.monotonic() < deadline:
    tuner.step()
    steps += 1
    time.sleep(1)
json.dump({"steps": steps, "done": tuner.done()}, open(sys.argv[2], "w"))
