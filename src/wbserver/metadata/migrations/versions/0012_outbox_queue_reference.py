"""outbox queue rows name the setting, not the queue URI with its credentials

Revision ID: 0012
Revises: 0011

A `queue` row of the outbox kept NOTIFICATIONS_QUEUE's URI as its target, credentials and
all (sqs://ACCESS:SECRET@HOST/QUEUE), in plain text and after delivery, while the setting
itself is stored encrypted. Rows now hold the name `NOTIFICATIONS_QUEUE` and the sender
reads the setting when it delivers. This rewrites the rows already stored, and takes the
URI's user name and password out of their last error text should one be quoted there.
Downgrading leaves the rows as they are (the URIs are gone).
"""
from __future__ import annotations

from urllib.parse import unquote, urlsplit

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

QUEUE_TARGET = "NOTIFICATIONS_QUEUE"
outbox = sa.table("outbox", sa.column("id", sa.Integer()), sa.column("channel", sa.String()),
                  sa.column("target", sa.String()), sa.column("last_error", sa.Text()))


def _credentials(uri: str) -> list[str]:
    try:
        parts = urlsplit(uri)
    except ValueError:
        return []
    found = [parts.username, parts.password]
    found += [unquote(value) for value in found if value]
    return sorted({value for value in found if value and len(value) >= 3}, key=len,
                  reverse=True)


def upgrade() -> None:
    conn = op.get_bind()
    quoted = conn.execute(sa.select(outbox.c.id, outbox.c.target, outbox.c.last_error).where(
        outbox.c.channel == "queue", outbox.c.target != QUEUE_TARGET,
        outbox.c.last_error.is_not(None), outbox.c.target.like("%@%"))).all()
    for row_id, target, error in quoted:
        cleaned = error
        for secret in _credentials(target):
            cleaned = cleaned.replace(secret, "***")
        if cleaned != error:
            conn.execute(outbox.update().where(outbox.c.id == row_id).values(last_error=cleaned))
    conn.execute(outbox.update().where(outbox.c.channel == "queue",
                                       outbox.c.target != QUEUE_TARGET)
                 .values(target=QUEUE_TARGET))


def downgrade() -> None:
    pass
