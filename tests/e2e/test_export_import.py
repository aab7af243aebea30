"""`wbserver export --project E/P` on one server, `wbserver import` on another: wandb.Api()
reads the same runs, history, console, files and artifacts there."""

from __future__ import annotations

from pathlib import Path

from .harness import Client, section, show, start_server
from .test_backup_restore import databases, wbserver  # noqa: F401 - the fixture

READ = ["attrs", "config", "summary", "scan", "history", "files"]


def test_a_project_moves_between_servers(databases, tmp_path: Path) -> None:  # noqa: F811
    source_env, target_env = databases
    one = start_server(tmp_path / "one", extra_env=source_env)
    two = start_server(tmp_path / "two", extra_env=target_env)
    try:
        client = Client(server=one, root=tmp_path / "client")
        spec = {"init": {"project": "moving", "id": "run01", "config": {"lr": 0.5},
                         "tags": ["t1"]},
                "steps": 80, "hist_every": 20, "console": True, "best": 0.9,
                "save": {"name": "saved.txt", "content": "moved along\n"}}
        client.script("log_run.py", spec)
        client.script("artifacts.py", {
            "action": "log", "init": {"project": "moving", "id": "maker"}, "name": "ds",
            "files": {"a.txt": "alpha\n", "sub/b.txt": "beta\n"}, "aliases": ["best"],
            "metadata": {"n": 2}, "table": [[1, "x"], [2, "y"]]})
        client.script("artifacts.py", {"action": "use", "init": {"project": "moving", "id": "user1"},
                                       "use": ["ds:best"]})

        export = tmp_path / "export"
        result = wbserver(one.env, "export", "--project", "alice/moving", str(export),
                          "--data-dir", str(one.data_dir))
        assert result.returncode == 0, show(result, "wbserver export")
        result = wbserver(two.env, "import", str(export), "--data-dir", str(two.data_dir))
        assert result.returncode == 0, show(result, "wbserver import")
        again = wbserver(two.env, "import", str(export), "--data-dir", str(two.data_dir))
        assert again.returncode == 1 and "already exists" in again.stderr, show(again, "again")

        old, new = (Client(server=s, root=tmp_path / f"read-{i}") for i, s in enumerate((one, two)))
        for run in ("run01", "maker", "user1"):
            read = {"run": f"alice/moving/{run}", "sections": READ, "download": ["saved.txt"]
                    if run == "run01" else [], "download_dir": str(tmp_path / f"dl-{run}")}
            before, after = old.read_run(read), new.read_run(read)
            for name in READ:
                assert section(after, name) == section(before, name), (run, name)
        assert (tmp_path / "dl-run01" / "saved.txt").read_text() == "moved along\n"

        spec = {"action": "api", "artifact": "alice/moving/ds:best", "run": "alice/moving/maker"}
        art_before, _ = old.script("artifacts.py", spec)
        art_after, _ = new.script("artifacts.py", spec)
        art_before["artifact"].pop("id")
        art_after["artifact"].pop("id")
        assert art_after == art_before
        assert art_after["artifact"]["downloaded"] == {"a.txt": "alpha\n", "sub/b.txt": "beta\n"}
        assert art_after["artifact"]["used_by"] == ["user1"]
        assert art_after["table_data"] == [[1, "x"], [2, "y"]]
    finally:
        one.stop()
        two.stop()
