"""The sweep search as the controller drives it (domain/sweep_search.py, W&B's engine):
Bayesian search beats random search on a seeded synthetic objective with the same budget,
and random search keeps to its distributions."""

from __future__ import annotations

import math
import random
import warnings

import numpy as np

from wbserver.domain.sweep_search import next_params

PARAMETERS = {"x": {"distribution": "uniform", "min": -2.0, "max": 2.0},
              "y": {"distribution": "uniform", "min": -2.0, "max": 2.0}}
BUDGET = 14


def _objective(params: dict) -> float:
    x, y = params["x"]["value"], params["y"]["value"]
    return (x - 1.1) ** 2 + (y + 0.7) ** 2


def _best_found(method: str, seed: int) -> float:
    from sweeps import SweepRun

    np.random.seed(seed)
    random.seed(seed)
    config = {"method": method, "metric": {"name": "loss", "goal": "minimize"},
              "parameters": PARAMETERS}
    runs: list = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's convergence notes
        for i in range(BUDGET):
            params = next_params(config, runs)
            assert params is not None
            runs.append(SweepRun(name=f"r{i}", state="finished", config=params,
                                 summaryMetrics={"loss": _objective(params)}))
    return min(r.summary_metrics["loss"] for r in runs)


def test_bayes_beats_random_with_the_same_budget():
    seeds = (1, 2)
    bayes = [_best_found("bayes", s) for s in seeds]
    rand = [_best_found("random", s) for s in seeds]
    assert sum(bayes) < sum(rand), (bayes, rand)
    assert min(bayes) < 0.05, bayes


def test_random_search_keeps_to_its_distributions():
    np.random.seed(7)
    config = {"method": "random", "parameters": {
        "lr": {"distribution": "log_uniform_values", "min": 1e-5, "max": 1e-1},
        "layers": {"distribution": "int_uniform", "min": 1, "max": 4},
        "drop": {"distribution": "q_uniform", "min": 0.0, "max": 0.5, "q": 0.1},
        "opt": {"values": ["adam", "sgd"], "probabilities": [0.9, 0.1]},
        "nested": {"parameters": {"width": {"values": [32, 64]}}}}}
    draws = [next_params(config, []) for _ in range(300)]
    lrs = [d["lr"]["value"] for d in draws]
    assert all(1e-5 <= v <= 1e-1 for v in lrs)
    # log-uniform: about as many draws in each decade
    decades = [sum(1 for v in lrs if 10 ** (k - 5) <= v < 10 ** (k - 4)) for k in range(4)]
    assert min(decades) > 40, decades
    assert {d["layers"]["value"] for d in draws} == {1, 2, 3, 4}
    assert all(math.isclose(d["drop"]["value"] * 10, round(d["drop"]["value"] * 10))
               for d in draws)
    adam = sum(d["opt"]["value"] == "adam" for d in draws)
    assert 240 < adam < 295, adam
    assert {d["nested"]["value"]["width"] for d in draws} == {32, 64}
