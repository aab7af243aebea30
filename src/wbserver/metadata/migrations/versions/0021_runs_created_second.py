"""runs ordered by creation without a sort

Revision ID: 0021
Revises: 0020

The runs list orders by creation to the second, ties by id ascending in either direction
(`wandb.Api().runs()` asks for `+created_at`, page after page). That order was an expression,
so every page sorted all of the project's runs. `runs.created_second` is that second, computed
by the database (a virtual column on SQLite and MySQL/MariaDB: nothing stored, never written;
a stored timestamp on PostgreSQL), and two indexes hold both
directions in page order: each index entry ends with the id, ascending (SQLite's rowid,
InnoDB's primary key).
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    column: sa.Column[Any]
    if op.get_bind().dialect.name == "postgresql":  # stored, a timestamp (see tables.py)
        column = sa.Column("created_second", sa.DateTime(),
                           sa.Computed("date_trunc('second', created_at)", persisted=True),
                           nullable=True)
    else:  # virtual, text
        column = sa.Column("created_second", sa.String(19),
                           sa.Computed("substr(created_at, 1, 19)", persisted=False),
                           nullable=True)
    op.add_column("runs", column)
    op.create_index("ix_runs_project_id_created_second", "runs",
                    ["project_id", "created_second"])
    op.create_index("ix_runs_project_id_created_second_desc", "runs",
                    ["project_id", sa.text("created_second DESC")])


def downgrade() -> None:
    op.drop_index("ix_runs_project_id_created_second_desc", table_name="runs")
    op.drop_index("ix_runs_project_id_created_second", table_name="runs")
    op.drop_column("runs", "created_second")
