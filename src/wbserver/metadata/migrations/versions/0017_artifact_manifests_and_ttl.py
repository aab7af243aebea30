"""artifact versions keep their manifest type, base version, distributed id and TTL

Revision ID: 0017
Revises: 0014

Incremental and patch manifests (createArtifactManifest `type`, `baseArtifactID`) were taken
as full ones, so a version kept only the entries its last upload named. A version now
remembers how its manifest is built (`manifest_type`: NULL is FULL), the version an
incremental manifest extends (`base_artifact_id`), how many patch uploads were handed out
(`manifest_patches`) and the `distributed_id` that the runs of a distributed artifact share.
`ttl_duration_seconds` keeps the TTL asked for: NULL inherits (this server has no default, so
nothing expires), -2 turns it off, a positive number of seconds expires the version that
long after its creation.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0014"
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


def downgrade() -> None:
    with op.batch_alter_table("artifacts") as batch:
        batch.drop_index("ix_artifacts_ttl_duration_seconds")
        batch.drop_index("ix_artifacts_sequence_id_distributed_id")
        for column in ("ttl_duration_seconds", "distributed_id", "manifest_patches",
                       "base_artifact_id", "manifest_type"):
            batch.drop_column(column)
