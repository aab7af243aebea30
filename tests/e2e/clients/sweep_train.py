"""A sweep's training program, started by `wandb agent`: ``python sweep_train.py --x=.. ...``.

It reads its parameters from wandb.config (the agent's sweep parameters) and logs `loss`:
  steps   how many steps to log (default 3); sleep: seconds between steps (default 0)
  x, y    the objective: loss = (x - 0.3)**2 + (y or 0); each step adds steps-left * decay
  decay   how much worse early steps are (default 0: flat)
"""

import time

import wandb

run = wandb.init()
config = dict(run.config)
x = float(config.get("x", 0.0) or 0.0)
y = config.get("y", 0)
y = float(y) if isinstance(y, int | float) else len(str(y))
steps = int(config.get("steps", 3))
decay = float(config.get("decay", 0.0))
for step in range(steps):
    run.log({"loss": (x - 0.3) ** 2 + y + decay * (steps - step)})
    time.sleep(float(config.get("sleep", 0.0)))
run.finish()
