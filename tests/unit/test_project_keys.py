"""domain/project_keys.py: what a write changes in a project's key index."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

from wbserver.domain.models import Run
from wbserver.domain.project_keys import count_facts, fact_changes, stored_facts

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def run(**texts: str) -> Run:
    fields = {f.name: None for f in dataclasses.fields(Run)}
    fields.update(id=1, project_id=1, name="r", state="running", tags=[], config="{}",
                  summary="{}", history_keys="{}", system_metrics=None, created_at=NOW,
                  updated_at=NOW, heartbeat_at=NOW, last_step=-1, history_line_count=0,
                  events_line_count=0, log_line_count=0, preempting=False,
                  stop_requested=False)
    fields.update(texts)
    return Run(**fields)  # type: ignore[arg-type]


def keys(kinds: dict[str, dict[str, int]]) -> str:
    return json.dumps(kinds)


def test_known_keys_change_nothing_and_new_ones_are_gained():
    before = run(history_keys=keys({"loss": {"number": 3}, "_step": {"number": 3}}))
    assert not fact_changes(before, {"history_keys": keys({"loss": {"number": 9},
                                                          "_step": {"number": 9}})})
    changes = fact_changes(before, {"history_keys": keys({"loss": {"number": 9},
                                                         "acc": {"number": 1}})})
    assert changes.gained == {("metric", "acc"): ""} and changes.lost == []


def test_a_media_key_that_turns_numeric_moves_and_a_dropped_config_key_is_lost():
    before = run(history_keys=keys({"x": {"nil": 1, "image-file": 1}}),
                 config=json.dumps({"lr": {"value": 1}, "opt": {"value": "adam"}}))
    changes = fact_changes(before, {"history_keys": keys({"x": {"image-file": 1, "number": 1}}),
                                    "config": json.dumps({"lr": {"value": 2}})})
    assert changes.gained == {("metric", "x"): ""}
    assert sorted(changes.lost) == [("config", "opt"), ("media", "x")]


def test_a_new_x_axis_replaces_the_old_one_and_long_keys_are_not_indexed():
    def config(step: str) -> str:
        return json.dumps({"_wandb": {"value": {"m": [{"1": "val/acc", "4": step}]}}})
    changes = fact_changes(run(config=config("epoch")), {"config": config("batch")})
    assert changes.gained == {("step", "val/acc"): "batch"}
    assert changes.lost == [("step", "val/acc")]
    assert stored_facts(None, keys({"k" * 256: {"number": 1}}), None, None) == {}
    assert stored_facts(None, None, None, json.dumps(["t" * 256, "ok"])) == {("tag", "ok"): ""}


def test_counts_take_the_newest_detail_for_x_axes_only():
    totals: dict = {}
    count_facts(totals, {("step", "a"): "epoch", ("media", "m"): "image-file"})
    count_facts(totals, {("step", "a"): "batch", ("media", "m"): "table"})
    assert totals == {("step", "a"): ["batch", 2], ("media", "m"): ["image-file", 2]}
