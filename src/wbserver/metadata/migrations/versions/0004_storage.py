"""storage: which store holds each file (run files, artifact content, manifests)

Revision ID: 0004
Revises: 0003

Everything stored before this revision lives on the local disk: landed rows are marked
'local', and 'local' is registered as a store when such rows exist.
"""
from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mariadb").with_variant(
    mysql.DATETIME(fsp=6), "mysql")


def upgrade() -> None:
    op.create_table(
        "blob_stores",
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_blob_stores")),
    )
    with op.batch_alter_table("run_files") as batch:
        batch.add_column(sa.Column("store", sa.String(length=512), nullable=True))
    with op.batch_alter_table("artifact_blobs") as batch:
        batch.add_column(sa.Column("store", sa.String(length=512), nullable=True))
    with op.batch_alter_table("artifacts") as batch:
        batch.add_column(sa.Column("manifest_store", sa.String(length=512), nullable=True))
    conn = op.get_bind()
    landed = conn.execute(sa.text(
        "UPDATE run_files SET store = 'local' WHERE size_bytes IS NOT NULL")).rowcount
    landed += conn.execute(sa.text("UPDATE artifact_blobs SET store = 'local'")).rowcount
    landed += conn.execute(sa.text("UPDATE artifacts SET manifest_store = 'local'")).rowcount
    if landed:
        conn.execute(sa.text("INSERT INTO blob_stores (name, config, created_at) "
                             "VALUES ('local', '', :now)"),
                     {"now": datetime.now(UTC).replace(tzinfo=None)})


def downgrade() -> None:
    with op.batch_alter_table("artifacts") as batch:
        batch.drop_column("manifest_store")
    with op.batch_alter_table("artifact_blobs") as batch:
        batch.drop_column("store")
    with op.batch_alter_table("run_files") as batch:
        batch.drop_column("store")
    op.drop_table("blob_stores")
