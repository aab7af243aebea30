"""project key index: the keys the workspace lists and the runs' tags, per project

Revision ID: 0023
Revises: 0022

The workspace read every run's config, history keys and system line to list a project's
keys, and the runs table every run's tags. `project_keys` holds them per project (domain/project_keys.py) with how many runs have
each; the runs' writes keep it. Existing runs are indexed here, in batches.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
BINARY_STRING = sa.String(length=255).with_variant(
    mysql.VARCHAR(255, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb")
BATCH = 500


def upgrade() -> None:
    op.create_table(
        "project_keys",
        sa.Column("project_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", BINARY_STRING, nullable=False),
        sa.Column("detail", BINARY_STRING, nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"],
                                name=op.f("fk_project_keys_project_id_projects")),
        sa.PrimaryKeyConstraint("project_id", "kind", "key", name=op.f("pk_project_keys")),
    )
    _backfill()


def _backfill() -> None:
    from wbserver.domain.project_keys import count_facts, stored_facts

    conn = op.get_bind()
    runs = sa.table("runs", *[sa.column(c) for c in (
        "id", "project_id", "config", "history_keys", "system_metrics", "tags")])
    keys = sa.table("project_keys", *[sa.column(c) for c in (
        "project_id", "kind", "key", "detail", "runs")])
    totals: dict[int, dict[tuple[str, str], list[Any]]] = {}
    last = 0
    while True:
        batch = conn.execute(sa.select(runs).where(runs.c.id > last).order_by(runs.c.id)
                             .limit(BATCH)).all()
        if not batch:
            break
        for r in batch:
            count_facts(totals.setdefault(r.project_id, {}), stored_facts(
                r.config, r.history_keys, r.system_metrics, r.tags))
        last = batch[-1].id
    rows = [{"project_id": project_id, "kind": kind, "key": key, "detail": detail,
             "runs": n} for project_id, found in totals.items()
            for (kind, key), (detail, n) in found.items()]
    for start in range(0, len(rows), BATCH):
        conn.execute(keys.insert(), rows[start:start + BATCH])


def downgrade() -> None:
    op.drop_table("project_keys")
