"""server marks: facts that stay true, first of them "an admin account has existed"

Revision ID: 0011
Revises: 0010

/setup used to open whenever no *active* admin existed, so deactivating the last admin
reopened it to anyone. The mark "first_admin" is set when the first admin is made (and here,
for databases that already had one) and is never removed.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql").with_variant(
    mysql.DATETIME(fsp=6), "mariadb")


def upgrade() -> None:
    marks = op.create_table(
        "server_marks",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_server_marks")),
    )
    users = sa.table("users", sa.column("is_admin", sa.Boolean), sa.column("created_at", sa.DateTime))
    bind = op.get_bind()
    first = bind.execute(sa.select(sa.func.min(users.c.created_at))
                         .where(users.c.is_admin.is_(True))).scalar()
    if first is not None:
        op.bulk_insert(marks, [{"name": "first_admin", "created_at": first}])


def downgrade() -> None:
    op.drop_table("server_marks")
