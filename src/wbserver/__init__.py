"""wbserver: a self-hosted experiment-tracking server for the unmodified wandb client."""

__version__ = "0.1.0"
