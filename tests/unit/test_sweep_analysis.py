"""Parameter importance of a sweep (domain/sweep_analysis.py) on synthetic sweeps whose
metric one known parameter drives: the ordering, the correlations, and the odd inputs."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

from wbserver.domain.sweep_analysis import analyse, config_values, numeric_summary_keys


@dataclass
class FakeRun:  # the fields the analysis reads of a Run
    name: str
    config: str
    summary: str
    display_name: str | None = None
    state: str = "finished"


def run(i: int, config: dict, summary: dict) -> FakeRun:
    return FakeRun(f"r{i}", json.dumps({k: {"value": v} for k, v in config.items()}
                                       | {"_wandb": {"value": {"t": 1}}}), json.dumps(summary))


def sweep(n: int = 40, seed: int = 1) -> list[FakeRun]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        lr = rnd.uniform(0.0, 1.0)
        config = {"lr": lr, "batch": rnd.choice([16, 32, 64]), "opt": rnd.choice(["adam", "sgd"]),
                  "dropout": rnd.uniform(0, 0.5), "seed": 7, "net": {"depth": rnd.randint(1, 4)}}
        out.append(run(i, config, {"val/loss": 5.0 - 4.0 * lr + rnd.gauss(0, 0.05)}))
    return out


def test_the_driving_parameter_ranks_first_by_forest_and_correlation():
    result = analyse(sweep(), "val/loss")
    assert result["message"] is None and result["scored"] == 40
    keys = [p["key"] for p in result["params"]]
    assert keys[0] == "lr"
    assert set(keys) == {"lr", "batch", "opt", "dropout", "net.depth"}
    lr = result["params"][0]
    assert lr["importance"] > 0.8 and sum(p["importance"] for p in result["params"]) > 0.99
    assert lr["correlation"] < -0.99 and lr["spearman"] < -0.99
    assert all(abs(p["correlation"] or 0) < 0.5 for p in result["params"][1:])
    assert result["constant"] == ["seed"]
    assert analyse(sweep(), "val/loss") == result  # seeded: the same answer every time


def test_a_categorical_driver_is_one_hot_and_ranks_first():
    rnd = random.Random(3)
    runs = [run(i, {"opt": o, "lr": rnd.random()}, {"acc": (0.9 if o == "adam" else 0.3)
                                                      + rnd.gauss(0, 0.01)})
            for i, o in enumerate(["adam", "sgd", "rmsprop"] * 8)]
    result = analyse(runs, "acc")
    opt = result["params"][0]
    assert opt["key"] == "opt" and opt["type"] == "categorical"
    assert opt["strongestLevel"] == "adam" and opt["correlation"] > 0.9
    assert set(opt["levels"]) == {"adam", "sgd", "rmsprop"}


def test_missing_metric_constant_mixed_and_too_few_runs():
    runs = [run(0, {"a": 1, "b": "x", "c": 1}, {"m": 1.0}),
            run(1, {"a": 2, "b": 3, "c": 1}, {"m": 2.0}),
            run(2, {"a": 3, "c": 1}, {"m": "NaN"}),
            run(3, {"a": 4, "b": True, "c": 1}, {"other": 1})]
    result = analyse(runs, "m")
    assert result["scored"] == 2 and result["missing"] == 2
    assert "at least 3 runs" in result["message"]
    assert all(p["importance"] is None for p in result["params"])
    assert len(result["runs"]) == 4 and result["runs"][2]["metric"] is None
    more = runs + [run(4, {"a": 5, "b": "x", "c": 1}, {"m": 5.0})]
    result = analyse(more, "m")
    assert result["message"] is None and result["constant"] == ["c"]
    types = {p["key"]: p["type"] for p in result["params"]}
    assert types == {"a": "numeric", "b": "categorical"}  # "x", 3, True: categories
    assert {p["key"] for p in result["params"]} == {"a", "b"}
    one = analyse([run(0, {"a": 1}, {"m": 1}), run(1, {"a": 1}, {"m": 2}),
                   run(2, {"a": 1}, {"m": 3})], "m")
    assert one["params"] == [] and one["constant"] == ["a"] and "varies" in one["message"]


def test_config_and_summary_reading():
    r = FakeRun("x", json.dumps({"a": {"value": {"b": 1, "c": {"d": 2}}}, "_x": 1, "e": 3}),
                json.dumps({"loss": 1, "_step": 3, "img": {"_type": "image-file"}, "ok": True}))
    assert config_values(r) == {"a.b": 1, "a.c.d": 2, "e": 3}
    assert numeric_summary_keys([r]) == ["loss"]
    assert config_values(FakeRun("y", "not json", "{}")) == {}
