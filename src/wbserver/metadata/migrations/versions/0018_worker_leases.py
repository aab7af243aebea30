"""worker leases: background jobs run in one server process at a time; the install id

Revision ID: 0018
Revises: 0017

Several server processes (`wbserver serve --workers N`, or several hosts behind a load
balancer) share one database. Each background job (crash detection, the BUCKET_QUEUE
consumer, bucket reconciliation, artifact GC) runs only in the process holding its row here:
the holder renews `expires_at`; when it dies, another process takes the row once it expires.

The install id (a `server_marks` row named `install:<hex>`) names this install in the marker
it writes to its bucket, so that a second install sharing the bucket is refused at start.
"""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql").with_variant(
    mysql.DATETIME(fsp=6), "mariadb")


def upgrade() -> None:
    op.create_table(
        "worker_leases",
        sa.Column("job", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=128), nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("acquired_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("job", name=op.f("pk_worker_leases")),
    )
    marks = sa.table("server_marks", sa.column("name", sa.String),
                     sa.column("created_at", sa.DateTime))
    op.bulk_insert(marks, [{"name": f"install:{uuid.uuid4().hex}",
                            "created_at": datetime.now(UTC).replace(tzinfo=None)}])


def downgrade() -> None:
    op.drop_table("worker_leases")
    op.execute("DELETE FROM server_marks WHERE name LIKE 'install:%'")
