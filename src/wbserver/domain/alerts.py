"""wandb.alert(): recorded per run; repeats within the wait duration are suppressed."""

from __future__ import annotations

from wbserver.domain.clock import utcnow
from wbserver.domain.models import Run
from wbserver.domain.notifications import AlertInfo
from wbserver.errors import InvalidInput
from wbserver.ports import MetadataStore

SEVERITIES = ("INFO", "WARN", "ERROR")
MAX_TITLE = 255


def record_alert(store: MetadataStore, *, run: Run, title: str, text: str, severity: str,
                 wait_duration_ms: int | None) -> AlertInfo | None:
    """Store the alert; what to notify when it is new, None when suppressed as a repeat."""
    if severity not in SEVERITIES:
        raise InvalidInput(f"severity must be one of {', '.join(SEVERITIES)}")
    if not title.strip():
        raise InvalidInput("an alert needs a title")
    if len(title) > MAX_TITLE:
        raise InvalidInput(f"an alert title is at most {MAX_TITLE} characters")
    if wait_duration_ms is not None and (not isinstance(wait_duration_ms, int | float)
                                         or wait_duration_ms < 0):
        raise InvalidInput("waitDuration must be a non-negative number of milliseconds")
    if wait_duration_ms is not None:
        wait_duration_ms = int(wait_duration_ms)
    alert_id = store.add_alert(run_id=run.id, title=title, text=text, severity=severity,
                               wait_duration_ms=wait_duration_ms, now=utcnow(),
                               suppress_within_ms=wait_duration_ms)
    if alert_id is None:
        return None
    return AlertInfo(id=alert_id, title=title, text=text, severity=severity)
