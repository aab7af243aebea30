"""notifications: Slack connections, notification choices, the outbox

Revision ID: 0006
Revises: 0005
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql").with_variant(
    mysql.DATETIME(fsp=6), "mariadb")
LONG_TEXT = sa.Text().with_variant(mysql.LONGTEXT(), "mysql").with_variant(
    mysql.LONGTEXT(), "mariadb")


def upgrade() -> None:
    op.create_table(
        "slack_connections",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("entity_id", ID, nullable=False),
        sa.Column("webhook_url", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=255), nullable=True),
        sa.Column("team_name", sa.String(length=255), nullable=True),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("disabled_at", TIMESTAMP, nullable=True),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"],
                                name=op.f("fk_slack_connections_created_by_users")),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"],
                                name=op.f("fk_slack_connections_entity_id_entities")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_connections")),
        sa.UniqueConstraint("entity_id", name=op.f("uq_slack_connections_entity_id")),
    )
    op.create_table(
        "notification_choices",
        sa.Column("entity_id", ID, nullable=False),
        sa.Column("alerts", sa.Boolean(), nullable=False),
        sa.Column("run_finished", sa.Boolean(), nullable=False),
        sa.Column("run_failed", sa.Boolean(), nullable=False),
        sa.Column("run_crashed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"],
                                name=op.f("fk_notification_choices_entity_id_entities")),
        sa.PrimaryKeyConstraint("entity_id", name=op.f("pk_notification_choices")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=512), nullable=False),
        sa.Column("dedupe_key", sa.String(length=255), nullable=False),
        sa.Column("payload", LONG_TEXT, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("next_attempt_at", TIMESTAMP, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", TIMESTAMP, nullable=True),
        sa.Column("sent_at", TIMESTAMP, nullable=True),
        sa.Column("failed_at", TIMESTAMP, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbox_dedupe_key")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_sent_at_failed_at_next_attempt_at"),
                              ["sent_at", "failed_at", "next_attempt_at"], unique=False)


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_table("notification_choices")
    op.drop_table("slack_connections")
