"""the artifact content key layout, recorded once per install

Revision ID: 0022
Revises: 0021

Artifact file content was stored under `artifacts/md5/<xx>/<md5>`; installs made from now on
store it under `wandb_artifacts/md5/<xx>/<md5>` (the prefix W&B gives artifact file blobs:
clients and tools written for W&B recognise it). An install's objects are never moved, so
the layout is recorded here, once, as a `server_marks` row `artifact_layout:<layout>`: a
database that already holds an artifact version or content keeps `artifacts`, any other gets
`wandb_artifacts`. Manifests and staging keys stay under `artifacts/` in both.
"""
from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    held = conn.execute(sa.text("SELECT md5 FROM artifact_blobs LIMIT 1")).first() is not None \
        or conn.execute(sa.text("SELECT id FROM artifacts LIMIT 1")).first() is not None
    marks = sa.table("server_marks", sa.column("name", sa.String),
                     sa.column("created_at", sa.DateTime))
    op.bulk_insert(marks, [{"name": "artifact_layout:" + ("artifacts" if held
                                                          else "wandb_artifacts"),
                            "created_at": datetime.now(UTC).replace(tzinfo=None)}])


def downgrade() -> None:
    op.execute("DELETE FROM server_marks WHERE name LIKE 'artifact_layout:%'")
