"""Artifact tables (docs/architecture.md, "Artifacts"): types, collections (sequences and
portfolios), versions, aliases, links, manifest entries, content blobs and the stores that hold
them, and which runs made or used a version. tables.py re-exports them."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from wbserver.metadata.table_types import Id, LongText, Name, Timestamp, metadata

artifact_types = Table(
    "artifact_types", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("project_id", Id, ForeignKey("projects.id"), nullable=False),
    Column("name", Name(128), nullable=False),
    Column("created_at", Timestamp, nullable=False),
    UniqueConstraint("project_id", "name"),
)

artifact_sequences = Table(
    "artifact_sequences", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("project_id", Id, ForeignKey("projects.id"), nullable=False),
    Column("type_id", Id, ForeignKey("artifact_types.id"), nullable=False),
    Column("name", Name(128), nullable=False),
    Column("description", Text, nullable=True),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    # "sequence": versions logged into it; "portfolio": versions linked into it (artifact_links)
    Column("kind", String(16), nullable=False, server_default="sequence"),
    Column("tags", Text, nullable=True),  # JSON list of tag names
    # set when deleted (the name is then "<name>:deleted:<id>", which no collection can take)
    Column("deleted_at", Timestamp, nullable=True),
    UniqueConstraint("project_id", "name"),
)

artifacts = Table(
    "artifacts", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("sequence_id", Id, ForeignKey("artifact_sequences.id"), nullable=False),
    Column("version_index", Integer, nullable=True),
    Column("state", String(16), nullable=False),
    Column("digest", Name(128), nullable=False),
    Column("digest_algorithm", String(32), nullable=True),
    Column("description", Text, nullable=True),
    Column("metadata", LongText, nullable=True),
    Column("size", BigInteger, nullable=False, default=0),
    Column("file_count", Integer, nullable=False, default=0),
    Column("client_id", Name(128), nullable=True, unique=True),
    Column("sequence_client_id", Name(128), nullable=True),
    Column("created_by_run_id", Id, ForeignKey("runs.id"), nullable=True),
    Column("created_by_user_id", Id, ForeignKey("users.id"), nullable=True),
    Column("history_step", BigInteger, nullable=True),
    Column("pending_aliases", Text, nullable=False),
    Column("tags", Text, nullable=True),  # JSON list of tag names
    Column("manifest_digest", String(64), nullable=True),
    Column("manifest_store", String(512), nullable=True),  # blob_stores.name of the manifest
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    Column("committed_at", Timestamp, nullable=True),
    # how the manifest is built: NULL/FULL as uploaded, INCREMENTAL on top of the base
    # version's, PATCH from the patches its writers uploaded (numbered 1..manifest_patches)
    Column("manifest_type", String(16), nullable=True),
    Column("base_artifact_id", BigInteger, nullable=True),
    Column("manifest_patches", Integer, nullable=False, default=0, server_default="0"),
    Column("distributed_id", String(128), nullable=True),  # shared by a distributed version
    Column("ttl_duration_seconds", BigInteger, nullable=True),  # NULL inherit, -2 off, > 0
    UniqueConstraint("sequence_id", "version_index"),
    Index(None, "sequence_id", "state", "digest"),
    Index(None, "sequence_id", "distributed_id"),
    Index(None, "ttl_duration_seconds"),
    Index(None, "created_by_run_id"),
)

artifact_aliases = Table(
    "artifact_aliases", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("sequence_id", Id, ForeignKey("artifact_sequences.id"), nullable=False),
    Column("artifact_id", Id, ForeignKey("artifacts.id"), nullable=False, index=True),
    Column("alias", Name(128), nullable=False),
    UniqueConstraint("sequence_id", "alias"),
)

# A version linked into a portfolio, numbered in the portfolio; and the portfolio's aliases.
artifact_links = Table(
    "artifact_links", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("portfolio_id", Id, ForeignKey("artifact_sequences.id"), nullable=False),
    Column("artifact_id", Id, ForeignKey("artifacts.id"), nullable=False, index=True),
    Column("version_index", Integer, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    UniqueConstraint("portfolio_id", "version_index"),
    UniqueConstraint("portfolio_id", "artifact_id"),
)

artifact_link_aliases = Table(
    "artifact_link_aliases", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("portfolio_id", Id, ForeignKey("artifact_sequences.id"), nullable=False),
    Column("link_id", Id, ForeignKey("artifact_links.id"), nullable=False, index=True),
    Column("alias", String(128), nullable=False),
    UniqueConstraint("portfolio_id", "alias"),
)

# One row per manifest entry (rewritten from the stored manifest on commit; before that, the
# entries CreateArtifactFiles announced). md5 is hex; references have `ref` and no md5.
artifact_files = Table(
    "artifact_files", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("artifact_id", Id, ForeignKey("artifacts.id"), nullable=False),
    Column("name", Name(512), nullable=False),
    Column("md5", String(32), nullable=True),
    Column("size", BigInteger, nullable=True),
    Column("birth_artifact_id", String(128), nullable=True),
    Column("ref", Text, nullable=True),
    Column("mimetype", String(255), nullable=True),
    Column("extra", Text, nullable=True),
    Column("updated_at", Timestamp, nullable=False),
    UniqueConstraint("artifact_id", "name"),
    Index(None, "md5"),
)

# Content stored under <layout>/md5/<xx>/<md5> (artifact_storage.py: wandb_artifacts, or
# artifacts on installs older than migration 0022): one row per distinct content.
artifact_blobs = Table(
    "artifact_blobs", metadata,
    Column("md5", String(32), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("referenced_at", Timestamp, nullable=False),
    Column("upload_count", Integer, nullable=False, default=0),  # PUTs that arrived for it
    Column("store", String(512), nullable=True),  # blob_stores.name holding the bytes
)

# Every store that ever held files (BUCKET values over time): the name is the URI without
# credentials; `config` is the full configuration, encrypted with the server secret.
blob_stores = Table(
    "blob_stores", metadata,
    Column("name", String(512), primary_key=True),
    Column("config", Text, nullable=False),
    Column("created_at", Timestamp, nullable=False),
)

# Runs that logged a committed version they did not create: a CreateArtifact from the run
# whose digest matched the version (e.g. the public API's Run.log_artifact of an existing
# version). The version is an output of that run too; `created_by_run_id` stays its maker.
artifact_outputs = Table(
    "artifact_outputs", metadata,
    Column("artifact_id", Id, ForeignKey("artifacts.id"), primary_key=True),
    Column("run_id", Id, ForeignKey("runs.id"), primary_key=True),
    Column("created_at", Timestamp, nullable=False),
    Index(None, "run_id"),
)

artifact_usages = Table(
    "artifact_usages", metadata,
    Column("artifact_id", Id, ForeignKey("artifacts.id"), primary_key=True),
    Column("run_id", Id, ForeignKey("runs.id"), primary_key=True),
    Column("used_as", String(128), nullable=True),
    Column("created_at", Timestamp, nullable=False),
    Index(None, "run_id"),
)
