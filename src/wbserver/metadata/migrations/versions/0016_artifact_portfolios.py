"""artifact portfolios (linked versions) and collection tags

Revision ID: 0016
Revises: 0015

`linkArtifact` puts a logged version into a portfolio: a collection of its own (a row of
`artifact_sequences` whose `kind` is "portfolio") that numbers the versions linked into it
(`artifact_links`) and has its own aliases (`artifact_link_aliases`). A collection's tags
are kept as a JSON list of names in `artifact_sequences.tags` (NULL: none). A deleted
collection keeps its row (its versions are deleted, the GC frees their manifests) under a
name no collection can have, with `deleted_at` set.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql").with_variant(
    mysql.DATETIME(fsp=6), "mariadb")


def upgrade() -> None:
    with op.batch_alter_table("artifact_sequences") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False,
                                   server_default="sequence"))
        batch.add_column(sa.Column("tags", sa.Text(), nullable=True))
        batch.add_column(sa.Column("deleted_at", TIMESTAMP, nullable=True))
    op.create_table(
        "artifact_links",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("portfolio_id", ID, nullable=False),
        sa.Column("artifact_id", ID, nullable=False),
        sa.Column("version_index", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(["portfolio_id"], ["artifact_sequences.id"],
                                name=op.f("fk_artifact_links_portfolio_id_artifact_sequences")),
        sa.ForeignKeyConstraint(["artifact_id"], ["artifacts.id"],
                                name=op.f("fk_artifact_links_artifact_id_artifacts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_artifact_links")),
        sa.UniqueConstraint("portfolio_id", "version_index",
                            name=op.f("uq_artifact_links_portfolio_id_version_index")),
        sa.UniqueConstraint("portfolio_id", "artifact_id",
                            name=op.f("uq_artifact_links_portfolio_id_artifact_id")),
    )
    op.create_index(op.f("ix_artifact_links_artifact_id"), "artifact_links", ["artifact_id"],
                    unique=False)
    op.create_table(
        "artifact_link_aliases",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("portfolio_id", ID, nullable=False),
        sa.Column("link_id", ID, nullable=False),
        sa.Column("alias", sa.String(128), nullable=False),
        sa.ForeignKeyConstraint(
            ["portfolio_id"], ["artifact_sequences.id"],
            name=op.f("fk_artifact_link_aliases_portfolio_id_artifact_sequences")),
        sa.ForeignKeyConstraint(["link_id"], ["artifact_links.id"],
                                name=op.f("fk_artifact_link_aliases_link_id_artifact_links")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_artifact_link_aliases")),
        sa.UniqueConstraint("portfolio_id", "alias",
                            name=op.f("uq_artifact_link_aliases_portfolio_id_alias")),
    )
    op.create_index(op.f("ix_artifact_link_aliases_link_id"), "artifact_link_aliases",
                    ["link_id"], unique=False)


def downgrade() -> None:
    op.drop_table("artifact_link_aliases")  # their indexes go with them (MariaDB refuses to
    op.drop_table("artifact_links")  # drop an index a foreign key needs)
    with op.batch_alter_table("artifact_sequences") as batch:
        batch.drop_column("deleted_at")
        batch.drop_column("tags")
        batch.drop_column("kind")
