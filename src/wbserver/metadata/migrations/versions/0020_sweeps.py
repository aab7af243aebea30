"""sweeps and their agents

Revision ID: 0020
Revises: 0019

`wandb sweep` registers a sweep (its YAML config, state, the local controller's JSON and the
server's answer to it); `wandb agent` registers an agent that heartbeats for its next run.
`sweeps.run_count` is the claim on the next run slot (a conditional UPDATE).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
_LONG = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "sweeps",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("project_id", _ID, sa.ForeignKey("projects.id",
                  name="fk_sweeps_project_id_projects"), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(255), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("config", _LONG, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("controller", _LONG, nullable=True),
        sa.Column("scheduler", _LONG, nullable=True),
        sa.Column("run_count", sa.Integer(), nullable=False),
        sa.Column("created_by", _ID, sa.ForeignKey("users.id",
                  name="fk_sweeps_created_by_users"), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sweeps"),
        sa.UniqueConstraint("project_id", "name", name="uq_sweeps_project_id_name"),
    )
    op.create_index("ix_sweeps_state", "sweeps", ["state"])
    op.create_table(
        "sweep_agents",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("sweep_id", _ID, sa.ForeignKey("sweeps.id",
                  name="fk_sweep_agents_sweep_id_sweeps"), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("user_id", _ID, sa.ForeignKey("users.id",
                  name="fk_sweep_agents_user_id_users"), nullable=True),
        sa.Column("total_runs", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("heartbeat_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sweep_agents"),
    )
    op.create_index("ix_sweep_agents_sweep_id", "sweep_agents", ["sweep_id"])


def downgrade() -> None:
    op.drop_table("sweep_agents")  # its indexes go with it (MariaDB refuses to drop an index
    op.drop_table("sweeps")  # a foreign key needs)
