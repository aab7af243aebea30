"""artifact versions keep their manifest type, base version, distributed id and TTL

Revision ID: 0017
Revises: 0016

Incremental and patch manifests (createArtifactManifest `type`, `baseArtifactID`) were taken
as full ones, so a version kept only the entries its last upload named. A version now
remembers how its manifest is built (`manifest_type`: NULL is FULL), the version an
incremental manifest extends (`base_artifact_id`), how many patch uploads were handed out
(`manifest_patches`) and the `distributed_id` that the runs of a distributed artifact share.
`ttl_duration_seconds` keeps the TTL asked for: NULL inherits (this server has no default, so
nothing expires), -2 turns it off, a positive number of seconds expires the version that
long after its creation.

`artifact_outputs` records the runs that logged a committed version they did not create (a
CreateArtifact of theirs deduplicated to it), so that the version is among their outputs.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("artifacts") as batch:
        batch.add_column(sa.Column("manifest_type", sa.String(16), nullable=True))
        batch.add_column(sa.Column("base_artifact_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("manifest_patches", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("distributed_id", sa.String(128), nullable=True))
        batch.add_column(sa.Column("ttl_duration_seconds", sa.BigInteger(), nullable=True))
        batch.create_index("ix_artifacts_sequence_id_distributed_id",
                           ["sequence_id", "distributed_id"])
        batch.create_index("ix_artifacts_ttl_duration_seconds", ["ttl_duration_seconds"])
    op.create_table(
        "artifact_outputs",
        sa.Column("artifact_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  nullable=False),
        sa.Column("run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  nullable=False),
        sa.Column("created_at", sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql",
                                                           "mariadb"), nullable=False),
        sa.ForeignKeyConstraint(["artifact_id"], ["artifacts.id"],
                                name="fk_artifact_outputs_artifact_id_artifacts"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_artifact_outputs_run_id_runs"),
        sa.PrimaryKeyConstraint("artifact_id", "run_id", name="pk_artifact_outputs"),
    )
    op.create_index("ix_artifact_outputs_run_id", "artifact_outputs", ["run_id"])


def downgrade() -> None:
    op.drop_table("artifact_outputs")  # its indexes go with it
    with op.batch_alter_table("artifacts") as batch:
        batch.drop_index("ix_artifacts_ttl_duration_seconds")
        batch.drop_index("ix_artifacts_sequence_id_distributed_id")
        for column in ("ttl_duration_seconds", "distributed_id", "manifest_patches",
                       "base_artifact_id", "manifest_type"):
            batch.drop_column(column)
