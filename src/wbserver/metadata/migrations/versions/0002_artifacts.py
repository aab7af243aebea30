"""artifacts: types, sequences, versions, aliases, files, stored content, usage

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('artifact_blobs',
    sa.Column('md5', sa.String(length=32), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('referenced_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('upload_count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('md5', name=op.f('pk_artifact_blobs'))
    )
    op.create_table('artifact_types',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('project_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_artifact_types_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_artifact_types')),
    sa.UniqueConstraint('project_id', 'name', name=op.f('uq_artifact_types_project_id_name'))
    )
    op.create_table('artifact_sequences',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('project_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('type_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_artifact_sequences_project_id_projects')),
    sa.ForeignKeyConstraint(['type_id'], ['artifact_types.id'], name=op.f('fk_artifact_sequences_type_id_artifact_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_artifact_sequences')),
    sa.UniqueConstraint('project_id', 'name', name=op.f('uq_artifact_sequences_project_id_name'))
    )
    op.create_table('artifacts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('sequence_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('version_index', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('digest', sa.String(length=128), nullable=False),
    sa.Column('digest_algorithm', sa.String(length=32), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('metadata', sa.Text().with_variant(mysql.LONGTEXT(), 'mariadb').with_variant(mysql.LONGTEXT(), 'mysql'), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('file_count', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=128), nullable=True),
    sa.Column('sequence_client_id', sa.String(length=128), nullable=True),
    sa.Column('created_by_run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_by_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('history_step', sa.BigInteger(), nullable=True),
    sa.Column('pending_aliases', sa.Text(), nullable=False),
    sa.Column('manifest_digest', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('committed_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.ForeignKeyConstraint(['created_by_run_id'], ['runs.id'], name=op.f('fk_artifacts_created_by_run_id_runs')),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_artifacts_created_by_user_id_users')),
    sa.ForeignKeyConstraint(['sequence_id'], ['artifact_sequences.id'], name=op.f('fk_artifacts_sequence_id_artifact_sequences')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_artifacts')),
    sa.UniqueConstraint('client_id', name=op.f('uq_artifacts_client_id')),
    sa.UniqueConstraint('sequence_id', 'version_index', name=op.f('uq_artifacts_sequence_id_version_index'))
    )
    op.create_index(op.f('ix_artifacts_created_by_run_id'), 'artifacts', ['created_by_run_id'], unique=False)
    op.create_index(op.f('ix_artifacts_sequence_id_state_digest'), 'artifacts', ['sequence_id', 'state', 'digest'], unique=False)
    op.create_table('artifact_aliases',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('sequence_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('artifact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('alias', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['artifact_id'], ['artifacts.id'], name=op.f('fk_artifact_aliases_artifact_id_artifacts')),
    sa.ForeignKeyConstraint(['sequence_id'], ['artifact_sequences.id'], name=op.f('fk_artifact_aliases_sequence_id_artifact_sequences')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_artifact_aliases')),
    sa.UniqueConstraint('sequence_id', 'alias', name=op.f('uq_artifact_aliases_sequence_id_alias'))
    )
    op.create_index(op.f('ix_artifact_aliases_artifact_id'), 'artifact_aliases', ['artifact_id'], unique=False)
    op.create_table('artifact_files',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('artifact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=512), nullable=False),
    sa.Column('md5', sa.String(length=32), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('birth_artifact_id', sa.String(length=128), nullable=True),
    sa.Column('ref', sa.Text(), nullable=True),
    sa.Column('mimetype', sa.String(length=255), nullable=True),
    sa.Column('extra', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.ForeignKeyConstraint(['artifact_id'], ['artifacts.id'], name=op.f('fk_artifact_files_artifact_id_artifacts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_artifact_files')),
    sa.UniqueConstraint('artifact_id', 'name', name=op.f('uq_artifact_files_artifact_id_name'))
    )
    op.create_index(op.f('ix_artifact_files_md5'), 'artifact_files', ['md5'], unique=False)
    op.create_table('artifact_usages',
    sa.Column('artifact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('used_as', sa.String(length=128), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.ForeignKeyConstraint(['artifact_id'], ['artifacts.id'], name=op.f('fk_artifact_usages_artifact_id_artifacts')),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], name=op.f('fk_artifact_usages_run_id_runs')),
    sa.PrimaryKeyConstraint('artifact_id', 'run_id', name=op.f('pk_artifact_usages'))
    )
    op.create_index(op.f('ix_artifact_usages_run_id'), 'artifact_usages', ['run_id'], unique=False)


def downgrade() -> None:
    op.drop_table('artifact_usages')
    op.drop_table('artifact_files')
    op.drop_table('artifact_aliases')
    op.drop_table('artifacts')
    op.drop_table('artifact_sequences')
    op.drop_table('artifact_types')
    op.drop_table('artifact_blobs')
