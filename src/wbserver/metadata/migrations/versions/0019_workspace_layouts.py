"""each user's saved workspace layout per project

Revision ID: 0019
Revises: 0018

The project workspace (sections, panels, x axis, smoothing, hidden runs) is saved per user
and project as one JSON document, written whole on each change.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "workspace_layouts",
        sa.Column("user_id", _ID, primary_key=True),
        sa.Column("project_id", _ID, primary_key=True),
        sa.Column("layout", sa.Text(), nullable=False),
        sa.Column("updated_at", _TIMESTAMP, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("workspace_layouts")
