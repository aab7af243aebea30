"""Slack: the Block Kit message for an event, posting it to an incoming webhook, and the
OAuth v2 code exchange that gives a workspace's webhook."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wbserver.domain.clock import utcnow
from wbserver.domain.models import OutboxItem
from wbserver.ports import Delivery, MetadataStore

LEVEL_EMOJI = {"INFO": ":information_source:", "WARN": ":warning:", "ERROR": ":rotating_light:"}
STATE_TEXT = {"run_finished": ("finished", ":white_check_mark:"),
              "run_failed": ("failed", ":x:"), "run_crashed": ("crashed", ":boom:"),
              "run_created": ("started", ":rocket:"),
              "run_preempting": ("is being preempted", ":hourglass:")}


def escape(text: str) -> str:
    """Text as Slack shows it literally: its control characters &, < and > as entities, so
    that a run name or an alert cannot make a link, a mention or <!channel>."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link_target(url: str) -> str:
    """The server's own run URL inside <URL|label>: escaped, and no '|' to end it early."""
    return escape(url).replace("|", "%7C")


def message_for(event: dict[str, Any]) -> dict[str, Any]:
    """Block Kit message: level, title, text, run name with a link, project. Every value that
    comes from a user (run, entity and project names, alert title and text) is escaped."""
    run = event["run"]
    name = escape(str(run.get("display_name") or run["id"]))
    link = f"<{_link_target(run['url'])}|{name}>" if run.get("url") else name
    where = escape(f"{event['entity']}/{event['project']}")
    if event["type"] == "alert":
        alert = event["alert"]
        emoji = LEVEL_EMOJI.get(alert["severity"], "")
        title = escape(str(alert["title"] or ""))
        headline = f"{emoji} {escape(str(alert['severity']))}: {title}".strip()
        body = escape(str(alert["text"] or "")) or " "
    else:
        state, emoji = STATE_TEXT.get(event["type"], (event["type"], ""))
        headline = f"{emoji} Run {name} {state}".strip()
        body = f"exit code {run['exit_code']}" if run.get("exit_code") not in (None, 0) else " "
    return {
        "text": f"{headline} ({where}, run {name})",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": headline[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": body[:2900]}},
            {"type": "context", "elements": [
                {"type": "mrkdwn", "text": f"Run {link} in project *{where}*"}]},
        ],
    }


def post_message(webhook_url: str, message: dict[str, Any], *, timeout: float = 10) -> Delivery:
    import httpx  # here, not at start: importing it is a tenth of a server's start

    try:
        response = httpx.post(webhook_url, json=message, timeout=timeout)
    except httpx.HTTPError as exc:
        return Delivery("retry", detail=f"Slack could not be reached: {exc}")
    if response.status_code == 200:
        return Delivery("sent")
    if response.status_code in (404, 410) or response.text.strip() in (
            "no_service", "channel_not_found", "channel_is_archived", "invalid_token"):
        return Delivery("revoked", detail=f"Slack answered {response.status_code}: "
                                          f"{response.text[:200]} (the webhook was removed)")
    retry_after = None
    if response.status_code == 429:
        try:
            retry_after = float(response.headers.get("retry-after", "30"))
        except ValueError:
            retry_after = 30.0
    return Delivery("retry", retry_after=retry_after,
                    detail=f"Slack answered {response.status_code}: {response.text[:200]}")


def slack_sender(store: MetadataStore, decrypt: Callable[[str], str]) -> Callable[[OutboxItem], Delivery]:
    """The outbox sender for channel 'slack': post to the connection's webhook; a revoked
    webhook disables the connection (the user sees why on their settings page)."""

    def send(item: OutboxItem) -> Delivery:
        connection = store.get_slack_connection_by_id(int(item.target))
        if connection is None:
            return Delivery("revoked", detail="the Slack connection was removed")
        if connection.disabled_at is not None:
            return Delivery("revoked", detail=connection.disabled_reason or "connection disabled")
        delivery = post_message(decrypt(connection.webhook_url),
                                message_for(json.loads(item.payload)))
        if delivery.outcome == "revoked":
            store.disable_slack_connection(connection.id, reason=delivery.detail, now=utcnow())
        return delivery

    return send


@dataclass(frozen=True)
class Webhook:
    url: str
    channel: str | None
    team_name: str | None


def exchange_code(api_url: str, *, client_id: str, client_secret: str, code: str,
                  redirect_uri: str) -> Webhook:
    """oauth.v2.access: the code from Slack's consent page for the incoming webhook."""
    import httpx

    try:
        response = httpx.post(api_url.rstrip("/") + "/oauth.v2.access",
                              data={"code": code, "redirect_uri": redirect_uri},
                              auth=(client_id, client_secret), timeout=15)
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise SlackError(f"Slack could not be reached: {exc}") from None
    if not body.get("ok"):
        raise SlackError(f"Slack refused the connection: {body.get('error', response.status_code)}")
    hook = body.get("incoming_webhook") or {}
    if not hook.get("url"):
        raise SlackError("Slack's answer holds no incoming webhook (scope incoming-webhook)")
    return Webhook(url=hook["url"], channel=hook.get("channel"),
                   team_name=(body.get("team") or {}).get("name"))


class SlackError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
