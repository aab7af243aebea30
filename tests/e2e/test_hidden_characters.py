"""The real client on a name with a hidden character (issue #18, item 9): wandb.init fails
and shows the server's message naming the character, and nothing is created."""

from __future__ import annotations

from .harness import Client, show


def test_wandb_init_shows_why_a_project_name_is_refused(client: Client) -> None:
    spec = {"init": {"project": "report\u202etxt.exe", "id": "hidden01"}, "steps": 1}
    out, result = client.script("log_run.py", spec, check=False)
    assert result.returncode != 0 and out == {}, show(result, "init with a hidden character")
    text = result.stdout + result.stderr
    assert "U+202E" in text and "RIGHT-TO-LEFT OVERRIDE" in text, text
    listing = client.read_run({"project": "alice/report\u202etxt.exe"})
    assert "error" in listing["project"], listing
