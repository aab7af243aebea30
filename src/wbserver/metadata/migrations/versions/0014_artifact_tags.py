"""artifact versions keep their tags

Revision ID: 0014
Revises: 0013

CreateArtifact took `tags` and dropped them, so `Artifact.tags` was always empty. A version's
tags are now kept as a JSON list of names in `artifacts.tags` (NULL: none).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("artifacts") as batch:
        batch.add_column(sa.Column("tags", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("artifacts") as batch:
        batch.drop_column("tags")
