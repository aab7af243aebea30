"""history keys compare byte-wise on MySQL/MariaDB

Revision ID: 0010
Revises: 0009

`history_segments.key` and `history_rollups.key` were created with the database's default
collation, which on MySQL/MariaDB ignores case and accents: reading the metric `loss` also
returned the points of `Loss`. They become utf8mb4_bin, as run_values' columns are. SQLite
always compared them byte-wise; nothing changes there.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TABLES = ("history_segments", "history_rollups")


def _is_mysql() -> bool:
    return op.get_bind().dialect.name in ("mysql", "mariadb")


def upgrade() -> None:
    if not _is_mysql():
        return
    for table in TABLES:
        op.alter_column(table, "key", existing_nullable=False, existing_type=sa.String(255),
                        type_=mysql.VARCHAR(255, charset="utf8mb4", collation="utf8mb4_bin"))


def downgrade() -> None:
    if not _is_mysql():
        return
    for table in TABLES:
        op.alter_column(table, "key", existing_nullable=False,
                        existing_type=mysql.VARCHAR(255, collation="utf8mb4_bin"),
                        type_=mysql.VARCHAR(255, charset="utf8mb4",
                                            collation="utf8mb4_general_ci"))
