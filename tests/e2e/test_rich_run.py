"""A rich run (config, 200 steps of scalars, nested dicts and histograms,
summary updates, console output, a saved file, an alert), plus two small runs,
read back with wandb.Api(): attributes, config, summary, history in its three
forms, files, and run queries with filters and orders."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from .harness import Client, each_client, section, show, user_view

PROJECT = "proj"
SAVED_CONTENT = "saved by the rich run\nsecond line: 3.14159\nünïcödé ✓\n"
CONFIG = {
    "lr": 0.01,
    "batch_size": 32,
    "layers": [64, 32],
    "optimizer": {"name": "adam", "betas": [0.9, 0.999], "sched": {"kind": "step", "gamma": 0.5}},
}
CONFIG_UPDATE = {"epochs": 3, "augment": {"flip": True, "crop": 24}}
RICH = {
    "init": {
        "project": PROJECT,
        "id": "richrun01",
        "name": "rich-run",
        "group": "grp-a",
        "job_type": "train",
        "tags": ["rich", "e2e"],
        "notes": "the rich e2e run",
        "config": CONFIG,
    },
    "steps": 200,
    "hist_every": 50,
    "best": 0.9,
    "config_update": CONFIG_UPDATE,
    "console": True,
    "save": {"name": "saved.txt", "content": SAVED_CONTENT},
    "alert": {"title": "e2e alert", "text": "the rich run says hello"},
}
SMALL_B = {
    "init": {
        "project": PROJECT,
        "id": "smallb01",
        "name": "small-b",
        "tags": ["small", "e2e"],
        "config": {"lr": 0.1},
    },
    "steps": 10,
    "loss_scale": 5.0,
    "best": 0.5,
}
SMALL_C = {
    "init": {
        "project": PROJECT,
        "id": "smallc01",
        "name": "small-c",
        "tags": ["small"],
        "config": {"lr": 0.001},
    },
    "steps": 10,
    "loss_scale": 3.0,
    "best": 0.7,
    "fail": "small-c gives up",
}
A, B, C = RICH["init"]["id"], SMALL_B["init"]["id"], SMALL_C["init"]["id"]

pytestmark = each_client()  # both protocol generations, each against a server of its own


def query(filters: dict[str, Any], order: str, expect: list[str], per_page: int = 50) -> dict:
    return {"filters": filters, "order": order, "expect": expect, "per_page": per_page}


QUERIES = [
    query({"state": "finished"}, "+created_at", [A, B]),
    query({"state": "failed"}, "+created_at", [C]),
    query({"tags": {"$in": ["small"]}}, "+created_at", [B, C]),
    query({"config.lr": 0.01}, "+created_at", [A]),
    query({"config.lr": {"$gte": 0.01}}, "+created_at", [A, B]),
    query({"config.optimizer.name": "adam"}, "+created_at", [A]),
    query({"summary_metrics.loss": {"$gt": 0.1}}, "+created_at", [B, C]),
    query({"summary_metrics.best": {"$lt": 0.8}}, "+created_at", [B, C]),
    query({"display_name": "small-b"}, "+created_at", [B]),
    query({"display_name": {"$regex": "^small"}}, "-created_at", [C, B]),
    query({"$and": [{"state": "finished"}, {"tags": {"$in": ["small"]}}]}, "+created_at", [B]),
    query({"$or": [{"display_name": "small-b"}, {"config.lr": 0.01}]}, "+created_at", [A, B]),
    query({}, "-summary_metrics.best", [A, C, B]),
    query({}, "+summary_metrics.best", [B, C, A]),
    query({}, "+created_at", [A, B, C]),
    query({}, "-created_at", [C, B, A]),
    # Cursor pagination: several pages of one and two runs.
    query({}, "+created_at", [A, B, C], per_page=2),
    query({}, "-created_at", [C, B, A], per_page=1),  # keyset cursors, newest first
    query({"tags": {"$in": ["e2e"]}}, "-summary_metrics.best", [A, B], per_page=1),
]


@pytest.fixture(scope="module")
def rich(module_client: Client, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    logged, _ = module_client.script("log_run.py", RICH)
    module_client.script("log_run.py", SMALL_B)
    # created_at orders by the second, runs of one second by id: the queries below expect
    # three distinct seconds, which a fast machine can squeeze into one
    time.sleep(1.1)
    _, failed = module_client.script("log_run.py", SMALL_C, check=False)
    assert failed.returncode != 0, show(failed, "small-c should have raised")

    downloads = tmp_path_factory.mktemp("downloads")
    read = module_client.read_run(
        {
            "run": f"alice/{PROJECT}/{A}",
            "download": ["saved.txt", "output.log"],
            "download_dir": str(downloads),
            "project": f"alice/{PROJECT}",
            "queries": QUERIES,
            "missing_run": f"alice/{PROJECT}/nosuchrun",
        }
    )
    assert "error" not in read["load"], read["load"]["error"]
    return {"logged": logged, "read": read}


def test_run_attributes_config_and_summary(rich: dict[str, Any]) -> None:
    read, logged = rich["read"], rich["logged"]
    attrs = section(read, "attrs")
    assert attrs["state"] == "finished"
    assert attrs["id"] == A and attrs["entity"] == "alice" and attrs["project"] == PROJECT
    assert attrs["name"] == "rich-run"
    assert attrs["group"] == "grp-a" and attrs["job_type"] == "train"
    assert sorted(attrs["tags"]) == ["e2e", "rich"]
    assert attrs["notes"] == "the rich e2e run"

    config = section(read, "config")
    assert "_wandb" not in config
    assert config == {**CONFIG, **CONFIG_UPDATE}

    summary = section(read, "summary")
    # The last value of every logged key (the last histogram too), and "best".
    assert user_view(summary) == {**logged["summary"], "_step": 199}
    assert summary["best"] == 0.9


def test_full_history_has_every_row(rich: dict[str, Any]) -> None:
    rows = section(rich["read"], "history")
    expected = [{**row, "_step": i} for i, row in enumerate(rich["logged"]["rows"])]
    assert len(rows) == 200, f"history(samples=500) gave {len(rows)} rows"
    assert [user_view(r) for r in rows] == expected


def test_scan_history_row_by_row(rich: dict[str, Any]) -> None:
    rows = section(rich["read"], "scan")
    expected = [{**row, "_step": i} for i, row in enumerate(rich["logged"]["rows"])]
    assert len(rows) == len(expected), f"scan_history() gave {len(rows)} rows"
    for got, want in zip(rows, expected):
        assert user_view(got) == want, f"step {want['_step']}"
        assert isinstance(got.get("_timestamp"), (int, float)), got
        assert isinstance(got.get("_runtime"), (int, float)), got


def test_scan_history_in_small_pages(rich: dict[str, Any]) -> None:
    rows = section(rich["read"], "scan_paged")  # page_size=64: four pages
    expected = [{**row, "_step": i} for i, row in enumerate(rich["logged"]["rows"])]
    assert [user_view(r) for r in rows] == expected


def test_scan_history_with_keys(rich: dict[str, Any]) -> None:
    rows = section(rich["read"], "scan_loss")
    expected = [{"_step": i, "loss": row["loss"]} for i, row in enumerate(rich["logged"]["rows"])]
    assert [user_view(r) for r in rows] == expected


def test_sampled_history_with_keys(rich: dict[str, Any]) -> None:
    rows = section(rich["read"], "sampled_loss")
    logged = rich["logged"]["rows"]
    assert 2 <= len(rows) <= 50, f"{len(rows)} rows"
    steps = [r["_step"] for r in rows]
    assert steps == sorted(set(steps)), steps
    assert steps[0] == 0 and steps[-1] == 199, steps
    for row in rows:
        assert set(user_view(row)) == {"_step", "loss"}, row
        assert row["loss"] == logged[row["_step"]]["loss"], row


def test_sampled_history_without_keys(rich: dict[str, Any]) -> None:
    rows = section(rich["read"], "sampled_all")
    logged = rich["logged"]["rows"]
    assert 2 <= len(rows) <= 50, f"{len(rows)} rows"
    steps = [r["_step"] for r in rows]
    assert steps == sorted(set(steps)) and steps[0] == 0 and steps[-1] == 199, steps
    for row in rows:
        assert user_view(row) == {**logged[row["_step"]], "_step": row["_step"]}


def test_files_and_downloads(rich: dict[str, Any]) -> None:
    names = {f["name"] for f in section(rich["read"], "files")}
    wanted = {"saved.txt", "output.log", "config.yaml", "wandb-summary.json", "wandb-metadata.json"}
    assert wanted <= names, f"missing {sorted(wanted - names)} in {sorted(names)}"

    paged = [f["name"] for f in section(rich["read"], "files_paged")]  # pages of two
    assert sorted(paged) == sorted(names) and len(paged) == len(set(paged)), paged

    paths = section(rich["read"], "download")
    assert Path(paths["saved.txt"]).read_bytes() == SAVED_CONTENT.encode()


def test_output_log_has_console_output(rich: dict[str, Any]) -> None:
    logged = rich["logged"]
    text = Path(section(rich["read"], "download")["output.log"]).read_text()
    for line in logged["stdout"] + logged["stderr"]:
        assert line in text, f"{line!r} missing from output.log:\n{text}"
    assert logged["progress_final"] == "progress 100%"
    assert "progress 100%" in text, text
    # Carriage returns overwrite the line: the intermediate states are gone.
    assert "progress 10%" not in text and "progress 50%" not in text, text


def test_run_queries_filters_and_order(rich: dict[str, Any]) -> None:
    got = section(rich["read"], "queries")
    wrong = [
        f"filters={q['filters']} order={q['order']} per_page={q['per_page']}: "
        f"expected {q['expect']}, got {ids}"
        for q, ids in zip(QUERIES, got)
        if ids != q["expect"]
    ]
    assert not wrong, "\n".join(wrong)


def test_project_listing_and_missing_run(rich: dict[str, Any]) -> None:
    project = section(rich["read"], "project")
    assert project["name"] == PROJECT and project["entity"] == "alice", project
    assert project["id"], project
    assert PROJECT in project["listed"], project

    missing = rich["read"]["missing_run"]
    assert "error" in missing, f"api.run() of a missing run returned {missing}"
    assert "Could not find run" in missing["error"] and "nosuchrun" in missing["error"], missing[
        "error"
    ]
