"""history rollups: each history segment downsampled at ingest, for charts of long series

Revision ID: 0008
Revises: 0007

Segments stored before this revision have no rollups; charts read their points (as before).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
LONG_BLOB = sa.LargeBinary().with_variant(mysql.LONGBLOB(), "mysql").with_variant(
    mysql.LONGBLOB(), "mariadb")


def upgrade() -> None:
    op.create_table(
        "history_rollups",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("start_line", sa.Integer(), nullable=False),
        sa.Column("end_line", sa.Integer(), nullable=False),
        sa.Column("raw_count", sa.Integer(), nullable=False),
        sa.Column("finite_count", sa.Integer(), nullable=False),
        sa.Column("monotonic", sa.Boolean(), nullable=False),
        sa.Column("point_count", sa.Integer(), nullable=False),
        sa.Column("data", LONG_BLOB, nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"],
                                name=op.f("fk_history_rollups_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_history_rollups")),
    )
    op.create_index(op.f("ix_history_rollups_run_id_key_start_line"), "history_rollups",
                    ["run_id", "key", "start_line"])


def downgrade() -> None:
    op.drop_table("history_rollups")
