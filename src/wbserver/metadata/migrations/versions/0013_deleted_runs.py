"""deleted runs: the storage ids of deleted runs, so a repeated delete succeeds and no id
is given twice

Revision ID: 0013
Revises: 0012

W&B soft-deletes runs: wandb.Api()'s Run.delete() of a run already deleted succeeds. Ours
removes the rows, so a second deleteRun answered "run not found", and SQLite gave the
highest storage id again to the next run (a retried delete could then hit that new run).
Each delete now leaves the run's id and project here; a delete of a recorded id succeeds
and does nothing, and a new run's id is above every recorded one. Runs deleted before this
migration are not known.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql").with_variant(
    mysql.DATETIME(fsp=6), "mariadb")


def upgrade() -> None:
    op.create_table(
        "deleted_runs",
        sa.Column("run_id", ID, autoincrement=False, nullable=False),
        sa.Column("project_id", ID, nullable=False),
        sa.Column("deleted_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_deleted_runs")),
    )


def downgrade() -> None:
    op.drop_table("deleted_runs")
