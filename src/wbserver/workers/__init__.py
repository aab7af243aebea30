"""Background loops. Each is safe to run in several server processes at once."""
