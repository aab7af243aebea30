"""End-to-end tests: the real wandb client against a live wbserver."""
