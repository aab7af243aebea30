"""Resuming a run: history continues where it stopped, no row twice or lost."""

from __future__ import annotations

from .harness import Client, each_client, section, show, user_view

PROJECT = "resume-proj"
RUN_ID = "resume01"

pytestmark = each_client()  # both protocol generations, each against a server of its own


def spec(start: int, steps: int, resume: str | None, config: dict) -> dict:
    init = {"project": PROJECT, "id": RUN_ID, "name": "resumable", "config": config}
    if resume:
        init["resume"] = resume
    return {"init": init, "start": start, "steps": steps}


def test_resume_allow_then_must_continues_history(client: Client) -> None:
    first, _ = client.script("log_run.py", spec(0, 50, None, {"lr": 0.01, "phase": 1}))
    second, _ = client.script("log_run.py", spec(50, 30, "allow", {"phase2": True}))
    third, _ = client.script("log_run.py", spec(80, 20, "must", {"phase3": "x"}))
    assert first["id"] == second["id"] == third["id"] == RUN_ID

    read = client.read_run(
        {
            "run": f"alice/{PROJECT}/{RUN_ID}",
            "sections": ["attrs", "config", "summary", "history", "scan"],
        }
    )
    expected = [
        {**row, "_step": row["nested"]["a"]}
        for row in first["rows"] + second["rows"] + third["rows"]
    ]
    assert [r["_step"] for r in expected] == list(range(100))

    scan = section(read, "scan")
    assert [r.get("_step") for r in scan] == list(range(100)), "steps must be 0..99 once each"
    assert [user_view(r) for r in scan] == expected

    history = section(read, "history")
    assert [user_view(r) for r in history] == expected

    assert section(read, "attrs")["state"] == "finished"
    summary = section(read, "summary")
    assert summary["_step"] == 99
    assert summary["loss"] == 1 / 100
    assert summary["nested"] == {"a": 99, "b": {"c": 198}}
    assert section(read, "config") == {"lr": 0.01, "phase": 1, "phase2": True, "phase3": "x"}


def test_resume_must_with_unknown_id_fails(client: Client) -> None:
    unknown = {"init": {"project": PROJECT, "id": "neverseen01", "resume": "must"}, "steps": 1}
    out, result = client.script("log_run.py", unknown, check=False)
    print(show(result, "resume='must' with an unknown id"))
    assert result.returncode != 0, show(result, "resume='must' with an unknown id must fail")
    assert out == {}, "the script must not get past wandb.init()"
    text = (result.stdout + result.stderr).lower()
    # the client's own words: "... does not exist" (0.31) / "... has not been initialized" (0.28)
    assert "neverseen01" in text, text
    assert "does not exist" in text or "has not been initialized" in text, text
