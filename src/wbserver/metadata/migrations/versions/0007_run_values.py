"""run values: config and summary values per path, for filtering and sorting runs in SQL

Revision ID: 0007
Revises: 0006

Existing runs are indexed here, in batches.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
BINARY_STRING = sa.String(length=255).with_variant(
    mysql.VARCHAR(255, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb")
BATCH = 500


def upgrade() -> None:
    op.create_table(
        "run_values",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("project_id", ID, nullable=False),
        sa.Column("path", BINARY_STRING, nullable=False),
        sa.Column("kind", sa.SmallInteger(), nullable=False),
        sa.Column("num", sa.Double(), nullable=True),
        sa.Column("text", BINARY_STRING, nullable=True),
        sa.Column("top", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_run_values_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_values")),
    )
    for columns in (["run_id", "path"], ["project_id", "path", "kind"],
                    ["project_id", "path", "num"], ["project_id", "path", "text"]):
        op.create_index(op.f("ix_run_values_" + "_".join(columns)), "run_values", columns)
    _backfill()


def _backfill() -> None:
    from wbserver.domain.run_query import indexed_values

    conn = op.get_bind()
    runs = sa.table("runs", sa.column("id"), sa.column("project_id"), sa.column("config"),
                    sa.column("summary"))
    values = sa.table("run_values", sa.column("run_id"), sa.column("project_id"),
                      sa.column("path"), sa.column("kind"), sa.column("num"),
                      sa.column("text"), sa.column("top"))
    last = 0
    while True:
        batch = conn.execute(sa.select(runs).where(runs.c.id > last).order_by(runs.c.id)
                             .limit(BATCH)).all()
        if not batch:
            return
        rows = [{"run_id": r.id, "project_id": r.project_id, "path": v.path, "kind": v.kind,
                 "num": v.num, "text": v.text, "top": v.top}
                for r in batch for source, text in (("config", r.config), ("summary", r.summary))
                for v in indexed_values(source, text)]
        if rows:
            conn.execute(values.insert(), rows)
        last = batch[-1].id


def downgrade() -> None:
    op.drop_table("run_values")
