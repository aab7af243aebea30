"""run_values: covering indexes for the runs table's SQL plan

Revision ID: 0009
Revises: 0008

A filter reads `run_id` from (project_id, path, kind, num|text, run_id) and a sort key reads
(kind, num, text) from (run_id, path, kind, num, text) without visiting the rows. The new
indexes start with the columns of the ones they replace.
"""
from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

OLD = (["run_id", "path"], ["project_id", "path", "kind"], ["project_id", "path", "num"],
       ["project_id", "path", "text"])
NEW = (["run_id", "path", "kind", "num", "text"], ["project_id", "path", "kind", "num", "run_id"],
       ["project_id", "path", "kind", "text", "run_id"])


def _name(columns: list[str]) -> str:
    return op.f("ix_run_values_" + "_".join(columns))


def upgrade() -> None:
    # new ones first: MySQL keeps an index on run_id for the foreign key at all times
    for columns in NEW:
        op.create_index(_name(columns), "run_values", columns)
    for columns in OLD:
        op.drop_index(_name(columns), table_name="run_values")


def downgrade() -> None:
    for columns in OLD:
        op.create_index(_name(columns), "run_values", columns)
    for columns in NEW:
        op.drop_index(_name(columns), table_name="run_values")
