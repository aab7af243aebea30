"""Domain rules in plain Python. Imports only ports, errors, the standard library and numpy."""
