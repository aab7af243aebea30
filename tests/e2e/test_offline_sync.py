"""An offline run uploaded with `wandb sync` reads back like the same run logged live."""

from __future__ import annotations

from pathlib import Path

from .harness import Client, section, show, user_view

PROJECT = "sync-proj"
SAVED = "offline file content\n"
CONFIG = {"lr": 0.02, "arch": {"depth": 4, "width": [8, 16]}}


def spec(run_id: str, mode: str) -> dict:
    return {
        "init": {
            "project": PROJECT,
            "id": run_id,
            "name": f"{mode}-twin",
            "mode": mode,
            "tags": ["twin"],
            "config": CONFIG,
        },
        "steps": 30,
        "hist_every": 10,
        "best": 0.8,
        "config_update": {"extra": 1},
        "console": True,
        "save": {"name": "saved.txt", "content": SAVED},
    }


def read(client: Client, run_id: str, target: Path) -> dict:
    return client.read_run(
        {
            "run": f"alice/{PROJECT}/{run_id}",
            "sections": ["attrs", "config", "summary", "scan", "files"],
            "download": ["saved.txt", "output.log"],
            "download_dir": str(target),
        }
    )


def test_offline_run_synced_matches_live_run(client: Client, tmp_path: Path) -> None:
    offline, _ = client.script("log_run.py", spec("offline01", "offline"))
    live, _ = client.script("log_run.py", spec("live01", "online"))
    assert offline["rows"] == live["rows"]

    synced = client.wandb_cli("sync", offline["run_dir"])
    assert synced.returncode == 0, show(synced, "wandb sync") + client.server.logs()

    got_off = read(client, "offline01", str(tmp_path / "off"))
    got_live = read(client, "live01", str(tmp_path / "live"))

    for got in (got_off, got_live):
        assert section(got, "attrs")["state"] == "finished"
        assert section(got, "attrs")["tags"] == ["twin"]
        assert section(got, "config") == {**CONFIG, "extra": 1}
        assert user_view(section(got, "summary")) == {**live["summary"], "_step": 29}
        expected = [{**row, "_step": i} for i, row in enumerate(live["rows"])]
        assert [user_view(r) for r in section(got, "scan")] == expected
        paths = section(got, "download")
        assert Path(paths["saved.txt"]).read_text() == SAVED
        output = Path(paths["output.log"]).read_text()
        for line in live["stdout"] + live["stderr"] + ["progress 100%"]:
            assert line in output, f"{line!r} missing from output.log:\n{output}"

    names_off = {f["name"] for f in section(got_off, "files")}
    names_live = {f["name"] for f in section(got_live, "files")}
    wanted = {"saved.txt", "output.log", "config.yaml", "wandb-summary.json"}
    assert wanted <= names_off and wanted <= names_live, (sorted(names_off), sorted(names_live))
    assert names_off == names_live
    assert section(got_off, "attrs")["name"] == "offline-twin"
