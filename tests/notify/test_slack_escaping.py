"""Security issue #18, item 10: Slack's control characters (&, <, >) in run names, project
names, alert titles and alert text reach Slack escaped, so a run name cannot forge a link or
ping the channel; the server's own run link still works. Checked on what the Slack stand-in
receives."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from wbserver.domain.models import Run
from wbserver.domain.notifications import ALERT, RUN_FAILED, AlertInfo, event_payload
from wbserver.notify.slack import message_for, post_message

FORGED = "<!channel> <https://evil.example/login|click me> & more"
NOW = datetime(2026, 12, 1, 12, 0, 0)


def run(**changes: Any) -> Run:
    fields: dict[str, Any] = dict(
        id=7, project_id=1, entity_name="alice", project_name="proj", name="r1",
        display_name=None, user_id=1, username="alice", state="failed", group_name=None,
        job_type=None, notes=None, description=None, tags=[], host=None, program=None,
        repo=None, commit_hash=None, sweep_name=None, config="{}", summary="{}",
        system_metrics=None, history_keys="{}", last_step=0, history_line_count=0,
        events_line_count=0, log_line_count=0, exit_code=1, preempting=False,
        stop_requested=False, created_at=NOW, updated_at=NOW, heartbeat_at=NOW,
        finished_at=NOW)
    return Run(**{**fields, **changes})


def texts(message: dict[str, Any]) -> list[str]:
    """Every text Slack renders: the notification text and each block's text."""
    found = [message["text"]]
    for block in message["blocks"]:
        if "text" in block:
            found.append(block["text"]["text"])
        found += [element["text"] for element in block.get("elements", [])]
    return found


def received(slack, event: dict[str, Any]) -> dict[str, Any]:
    before = len(slack.messages)
    assert post_message(f"{slack.url}/hooks/1", message_for(event)).outcome == "sent"
    assert len(slack.messages) == before + 1
    return slack.messages[-1]


def assert_no_markup_from_users(message: dict[str, Any]) -> None:
    for text in texts(message):
        assert "<!channel>" not in text and "<https://evil" not in text, text
        # every '<' left opens the server's own link, every '&' starts an entity
        assert re.findall(r"<(?!http://wb\.example/alice/)", text) == [], text
        assert re.findall(r"&(?!amp;|lt;|gt;)", text) == [], text


def test_an_alert_escapes_the_run_name_title_and_text(slack):
    event = event_payload(ALERT, run(display_name=FORGED), now=NOW, base_url="http://wb.example",
                          alert=AlertInfo(id=3, title=f"loss {FORGED}", text=f"text {FORGED}",
                                          severity="ERROR"))
    message = received(slack, event)
    assert_no_markup_from_users(message)
    escaped = ("&lt;!channel&gt; &lt;https://evil.example/login|click me&gt; &amp; more")
    assert message["blocks"][1]["text"]["text"] == f"text {escaped}"
    assert f"ERROR: loss {escaped}" in message["blocks"][0]["text"]["text"]
    # the server's own link stays a link, labelled with the escaped name
    context = message["blocks"][2]["elements"][0]["text"]
    assert context == (f"Run <http://wb.example/alice/proj/runs/r1|{escaped}> in project "
                       "*alice/proj*")


def test_run_state_messages_escape_entity_and_project_names(slack):
    event = event_payload(RUN_FAILED, run(display_name="a<b>&c"), now=NOW,
                          base_url="http://wb.example")
    event["entity"], event["project"] = "team<!here>", "p&<x>"  # as any stored event may say
    message = received(slack, event)
    assert_no_markup_from_users(message)
    assert "Run a&lt;b&gt;&amp;c failed" in message["text"]
    assert "team&lt;!here&gt;/p&amp;&lt;x&gt;" in message["text"]


def test_a_link_target_cannot_end_early_or_carry_markup(slack):
    event = event_payload(RUN_FAILED, run(display_name="ok"), now=NOW,
                          base_url="http://wb.example")
    event["run"]["url"] = "http://wb.example/alice/proj/runs/r1?x=1&y=|<!channel>"
    context = received(slack, event)["blocks"][2]["elements"][0]["text"]
    assert context == ("Run <http://wb.example/alice/proj/runs/r1?x=1&amp;y=%7C&lt;!channel&gt;"
                       "|ok> in project *alice/proj*")
