"""The project key index: what the workspace lists (metrics, media, system metrics, config
keys, x axes, custom charts) and the runs table's tag filter offers (tags) kept per project as the runs write, so the workspace reads a few
rows instead of every run.

A run's *facts* are `{(kind, key): detail}`: the keys its history, latest system line and
config give. The index holds, per project and (kind, key), how many runs have that fact and
one detail (a media key's type, a metric's x axis, a chart's title). A write changes the
index only when a run gains or loses a fact (`fact_changes`): a history request logging the
keys the run already had changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from wbserver.domain.chart_data import X_KEYS
from wbserver.domain.json_text import loads
from wbserver.domain.media import charts_in_config
from wbserver.domain.models import Run
from wbserver.domain.system_panel import system_keys_in

METRIC, MEDIA, SYSTEM, CONFIG, STEP, CHART, CHART_TABLE, TAG = (
    "metric", "media", "system", "config", "step", "chart", "chart_table", "tag")
MAX_KEY = 255  # longer keys are not indexed (the index's column is 255 characters)
# which run field gives which kinds of facts
SOURCES = {"history_keys": (METRIC, MEDIA), "system_metrics": (SYSTEM,),
           "config": (CONFIG, STEP, CHART, CHART_TABLE), "tags": (TAG,)}

Facts = dict[tuple[str, str], str]
LATEST_DETAIL = (STEP, CHART)  # the detail the newest run gave; others keep the first


@dataclass(frozen=True)
class FactChanges:
    gained: Facts  # (kind, key) -> detail: one more run has it
    lost: list[tuple[str, str]]  # one run fewer has it

    def __bool__(self) -> bool:
        return bool(self.gained or self.lost)


def history_facts(history_keys: str | None) -> Facts:
    """A numeric history key is a metric; another with a non-null type a media key."""
    out: Facts = {}
    kinds: dict[str, dict[str, int]] = orjson.loads(history_keys or "{}")
    for key, types in kinds.items():
        if key.startswith("_") or key in X_KEYS:
            continue
        if types.get("number"):
            out[(METRIC, key)] = ""
        else:
            other = [t for t in types if t not in ("nil", "number")]
            if other:
                out[(MEDIA, key)] = other[0]
    return out


def system_facts(system_metrics: str | None) -> Facts:
    return {(SYSTEM, key): "" for key in system_keys_in(system_metrics)}


def tag_facts(tags: str | list[str] | tuple[str, ...] | None) -> Facts:
    """The run's tags: its stored JSON list, or the list a write gives."""
    names = orjson.loads(tags) if isinstance(tags, str) else tags or []
    return {(TAG, name): "" for name in names if isinstance(name, str)}


def scalar_config(config: dict[str, Any]) -> dict[str, Any]:
    """The config's scalar values by key (a number, text, boolean or null; `_` keys left)."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        if key.startswith("_"):
            continue
        if isinstance(value, dict) and "value" in value:
            value = value["value"]
        if value is None or isinstance(value, str | int | float | bool):
            out[key] = value
    return out


def step_metrics(config: dict[str, Any]) -> dict[str, str]:
    """{metric or glob: its x axis key} from the definitions the client keeps in
    config `_wandb.m` (MetricRecord as a dict of field numbers: 1 name, 2 glob, 4 step
    metric, 5 the step metric's 1-based index in the list)."""
    wandb = config.get("_wandb")
    value = wandb.get("value") if isinstance(wandb, dict) else None
    records = value.get("m") if isinstance(value, dict) else None
    if not isinstance(records, list):
        return {}
    names = [r.get("1") or r.get("2") if isinstance(r, dict) else None for r in records]
    out: dict[str, str] = {}
    for record in records:
        if not isinstance(record, dict):
            continue
        name = record.get("1") or record.get("2")
        step = record.get("4")
        index = record.get("5")
        if not step and isinstance(index, int) and 0 < index <= len(names):
            step = names[index - 1]
        if isinstance(name, str) and isinstance(step, str) and step:
            out[name] = step
    return out


def config_facts(config_text: str | None) -> Facts:
    config = loads(config_text or "{}")
    if not isinstance(config, dict):
        return {}
    out: Facts = {(CONFIG, key): "" for key in scalar_config(config)}
    out.update({(STEP, key): step for key, step in step_metrics(config).items()})
    for chart in charts_in_config(config_text):
        out[(CHART, chart["key"])] = chart["strings"].get("title") or chart["key"]
        out[(CHART_TABLE, chart["tableKey"])] = ""
    return out


_READERS = {"history_keys": history_facts, "system_metrics": system_facts,
            "config": config_facts, "tags": tag_facts}


def _indexable(facts: Facts) -> Facts:
    return {(kind, key): detail[:MAX_KEY] for (kind, key), detail in facts.items()
            if 0 < len(key) <= MAX_KEY}


def run_facts(run: Run) -> Facts:
    """Every fact of a run (a deleted run's)."""
    return stored_facts(run.config, run.history_keys, run.system_metrics, run.tags)


def stored_facts(config: str | None, history_keys: str | None, system_metrics: str | None,
                 tags: str | list[str] | None) -> Facts:
    """Every fact of a run from its four stored texts (a rebuild reads only these)."""
    out = config_facts(config)
    out.update(history_facts(history_keys))
    out.update(system_facts(system_metrics))
    out.update(tag_facts(tags))
    return _indexable(out)


def fact_changes(before: Run | None, fields: dict[str, Any]) -> FactChanges:
    """What a write of `fields` over the run `before` (None: a new run) changes in the
    index. Only the fields written are read, and an unchanged text is not parsed."""
    gained: Facts = {}
    lost: list[tuple[str, str]] = []
    for field, read in _READERS.items():
        if field not in fields:
            continue
        text = fields[field]
        old_text = getattr(before, field) if before is not None else None
        if before is not None and text == old_text:
            continue
        new = _indexable(read(text))
        old = _indexable(read(old_text)) if before is not None else {}
        for fact, detail in new.items():
            if fact not in old or (old[fact] != detail and fact[0] in LATEST_DETAIL):
                gained[fact] = detail
        lost.extend(fact for fact in old if fact not in new
                    or (old[fact] != new[fact] and fact[0] in LATEST_DETAIL))
    return FactChanges(gained=gained, lost=lost)



def count_facts(totals: dict[tuple[str, str], list[Any]], facts: Facts) -> None:
    """Add a run's facts to `totals` ((kind, key) -> [detail, runs]), runs in id order."""
    for fact, detail in facts.items():
        found = totals.get(fact)
        if found is None:
            totals[fact] = [detail, 1]
        else:
            found[1] += 1
            if fact[0] in LATEST_DETAIL:
                found[0] = detail
