"""Table definitions (the artifact tables are in artifact_tables.py). Portable types only: every
table works on SQLite, MySQL/MariaDB and PostgreSQL.

History is kept twice, by design (see docs/architecture.md):
- history_chunks: one row per file_stream request and stream: the lines exactly as the client
  sent them, or for rows of plain numbers only the keys, the rows being written again from
  the segments (domain/history_lines.py); the truth for row-by-row reads and resume tails.
- history_segments: per-key numeric columns (line, step, value arrays) derived from the same
  request, for fast per-key reads and sampling over millions of points.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Computed,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

# The artifact tables are defined there; imported here so that `tables.<name>` names every table.
from wbserver.metadata.artifact_tables import (
    artifact_aliases as artifact_aliases,
    artifact_blobs as artifact_blobs,
    artifact_files as artifact_files,
    artifact_link_aliases as artifact_link_aliases,
    artifact_links as artifact_links,
    artifact_outputs as artifact_outputs,
    artifact_sequences as artifact_sequences,
    artifact_types as artifact_types,
    artifact_usages as artifact_usages,
    artifacts as artifacts,
    blob_stores as blob_stores,
)
from wbserver.metadata.table_types import (
    Id,
    LongBlob,
    LongText,
    Name,
    Timestamp,
    metadata as metadata,
)

users = Table(
    "users", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("username", Name(64), nullable=False, unique=True),
    Column("email", String(255), nullable=False),
    Column("password_hash", String(255), nullable=True),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("is_active", Boolean, nullable=False, default=True),
    Column("created_at", Timestamp, nullable=False),
)

entities = Table(
    "entities", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", Name(64), nullable=False, unique=True),
    Column("is_team", Boolean, nullable=False, default=False),
    Column("user_id", Id, ForeignKey("users.id"), nullable=True),
    Column("created_at", Timestamp, nullable=False),
)

api_keys = Table(
    "api_keys", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False, index=True),
    Column("name", String(128), nullable=False),
    Column("key_prefix", String(16), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", Timestamp, nullable=False),
    Column("last_used_at", Timestamp, nullable=True),
    Column("revoked_at", Timestamp, nullable=True),
)

sessions = Table(
    "sessions", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("expires_at", Timestamp, nullable=False),
    Column("id_token", LongText, nullable=True),  # single sign-on: hint for provider logout
)

user_identities = Table(
    "user_identities", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("issuer", Name(255), nullable=False),
    Column("subject", Name(255), nullable=False),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False, index=True),
    Column("created_at", Timestamp, nullable=False),
    UniqueConstraint("issuer", "subject"),
)

sso_states = Table(
    "sso_states", metadata,
    Column("state_hash", String(64), primary_key=True),
    Column("nonce", String(128), nullable=False),
    Column("code_verifier", String(128), nullable=False),
    Column("next_url", String(512), nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("used_at", Timestamp, nullable=True),
)

slack_connections = Table(
    "slack_connections", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("entity_id", Id, ForeignKey("entities.id"), nullable=False, unique=True),
    Column("webhook_url", Text, nullable=False),  # encrypted with the server secret
    Column("channel", String(255), nullable=True),
    Column("team_name", String(255), nullable=True),
    Column("created_by", Id, ForeignKey("users.id"), nullable=True),
    Column("created_at", Timestamp, nullable=False),
    Column("disabled_at", Timestamp, nullable=True),
    Column("disabled_reason", Text, nullable=True),
)

notification_choices = Table(
    "notification_choices", metadata,
    Column("entity_id", Id, ForeignKey("entities.id"), primary_key=True),
    Column("alerts", Boolean, nullable=False),
    Column("run_finished", Boolean, nullable=False),
    Column("run_failed", Boolean, nullable=False),
    Column("run_crashed", Boolean, nullable=False),
)

outbox = Table(
    "outbox", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("channel", String(16), nullable=False),  # slack | queue
    Column("target", String(512), nullable=False),  # connection id, or NOTIFICATIONS_QUEUE
    Column("dedupe_key", String(255), nullable=False, unique=True),
    Column("payload", LongText, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("next_attempt_at", Timestamp, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", Timestamp, nullable=True),
    Column("sent_at", Timestamp, nullable=True),
    Column("failed_at", Timestamp, nullable=True),
    Column("last_error", Text, nullable=True),
    Index(None, "sent_at", "failed_at", "next_attempt_at"),
)

invites = Table(
    "invites", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("user_id", Id, ForeignKey("users.id"), nullable=True),
    Column("email", String(255), nullable=True),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("created_by", Id, ForeignKey("users.id"), nullable=True),
    Column("created_at", Timestamp, nullable=False),
    Column("expires_at", Timestamp, nullable=False),
    Column("used_at", Timestamp, nullable=True),
    Column("used_by", Id, ForeignKey("users.id"), nullable=True),
)

team_members = Table(
    "team_members", metadata,
    Column("entity_id", Id, ForeignKey("entities.id"), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id"), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("created_at", Timestamp, nullable=False),
)

# Facts about the server that, once true, stay true: "first_admin" (an admin account has
# existed, so /setup never opens again); "install:<hex>", the
# install id (the bucket marker names it). The primary key makes setting one race-free.
server_marks = Table(
    "server_marks", metadata,
    Column("name", String(64), primary_key=True),
    Column("created_at", Timestamp, nullable=False),
)

# Background jobs run in the one process holding the job's row (workers/leases.py): the
# holder renews `expires_at`; another process takes the row once it has expired.
worker_leases = Table(
    "worker_leases", metadata,
    Column("job", String(64), primary_key=True),
    Column("owner", String(128), nullable=False),
    Column("expires_at", Timestamp, nullable=False),
    Column("acquired_at", Timestamp, nullable=False),
)

login_failures = Table(
    "login_failures", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False),
    Column("remote", String(64), nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Index(None, "username", "created_at"),
    Index(None, "remote", "created_at"),
)

saved_settings = Table(
    "saved_settings", metadata,
    Column("name", String(64), primary_key=True),
    Column("value", LongText, nullable=True),
    Column("updated_at", Timestamp, nullable=False),
    Column("updated_by", Id, ForeignKey("users.id"), nullable=True),
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("actor_id", Id, ForeignKey("users.id"), nullable=True),
    Column("action", String(64), nullable=False),
    Column("target", String(255), nullable=True),
    Column("detail", Text, nullable=True),
    Column("created_at", Timestamp, nullable=False, index=True),
)

projects = Table(
    "projects", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("entity_id", Id, ForeignKey("entities.id"), nullable=False),
    Column("name", Name(128), nullable=False),
    Column("description", Text, nullable=True),
    Column("created_by", Id, ForeignKey("users.id"), nullable=True),
    Column("visibility", String(16), nullable=False, server_default="private"),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    UniqueConstraint("entity_id", "name"),
)

class _CreatedSecond(FunctionElement[Any]):
    """runs.created_second's expression: created_at to the second, as text on SQLite and
    MySQL/MariaDB (a virtual column there), as a timestamp on PostgreSQL (stored: PostgreSQL's
    generated columns are; date_trunc is immutable, a timestamp's text is not)."""

    name = "created_second"
    inherit_cache = True


@compiles(_CreatedSecond)
def _created_second(_element: Any, _compiler: Any, **_kw: Any) -> str:
    return "substr(created_at, 1, 19)"


@compiles(_CreatedSecond, "postgresql")
def _created_second_postgresql(_element: Any, _compiler: Any, **_kw: Any) -> str:
    return "date_trunc('second', created_at)"


@compiles(Computed, "postgresql")
def _stored_on_postgresql(element: Computed, compiler: Any, **_kw: Any) -> str:
    """PostgreSQL's generated columns are STORED (the only kind before 18; 18's virtual ones
    take no index): said outright, for `persisted=None` (the other databases' virtual)."""
    text = compiler.sql_compiler.process(element.sqltext, include_table=False,
                                         literal_binds=True)
    return f"GENERATED ALWAYS AS ({text}) STORED"


runs = Table(
    "runs", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("project_id", Id, ForeignKey("projects.id"), nullable=False),
    Column("name", Name(128), nullable=False),
    Column("display_name", String(255), nullable=True),
    Column("user_id", Id, ForeignKey("users.id"), nullable=True),
    Column("state", String(16), nullable=False),
    Column("group_name", Name(255), nullable=True),
    Column("job_type", Name(128), nullable=True),
    Column("notes", Text, nullable=True),
    Column("description", Text, nullable=True),
    Column("tags", Text, nullable=False),
    Column("host", String(255), nullable=True),
    Column("program", Text, nullable=True),
    Column("repo", Text, nullable=True),
    Column("commit_hash", String(64), nullable=True),
    Column("sweep_name", Name(128), nullable=True),
    Column("config", LongText, nullable=False),
    Column("summary", LongText, nullable=False),
    Column("system_metrics", LongText, nullable=True),
    Column("history_keys", LongText, nullable=False),
    Column("last_step", BigInteger, nullable=False, default=-1),
    Column("history_line_count", Integer, nullable=False, default=0),
    Column("events_line_count", Integer, nullable=False, default=0),
    Column("log_line_count", Integer, nullable=False, default=0),
    Column("exit_code", Integer, nullable=True),
    Column("preempting", Boolean, nullable=False, default=False),
    Column("stop_requested", Boolean, nullable=False, default=False),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    Column("heartbeat_at", Timestamp, nullable=False),
    Column("finished_at", Timestamp, nullable=True),
    # created_at to the second ('YYYY-MM-DD HH:MM:SS'), which the runs list orders by (ties
    # by id, ascending either way): computed by the database, never written (migration 0021)
    Column("created_second", String(19).with_variant(DateTime(), "postgresql"),
           Computed(_CreatedSecond(), persisted=None), nullable=True),
    UniqueConstraint("project_id", "name"),
    Index(None, "project_id", "created_at"),
    Index(None, "state", "heartbeat_at"),
    Index("ix_runs_project_id_created_second", "project_id", "created_second"),
)
# Both orders of the runs list by creation are paged in index order, without a sort: an
# index's entries end with the id, ascending (SQLite's rowid, InnoDB's primary key), which is
# how either order breaks ties.
Index("ix_runs_project_id_created_second_desc", runs.c.project_id, runs.c.created_second.desc())

# Sweeps (issue 25): a search over a project's runs. `config` is the YAML the client sent;
# `controller` the local controller's JSON (its schedule and early stops), `scheduler` the
# server's answer to it (which schedule entry became which run). `run_count` counts the runs
# the server scheduled: bumped by a conditional UPDATE, it is the claim on the next run slot.
sweeps = Table(
    "sweeps", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("project_id", Id, ForeignKey("projects.id"), nullable=False),
    Column("name", String(64), nullable=False),
    Column("display_name", String(255), nullable=True),
    Column("description", Text, nullable=True),
    Column("method", String(16), nullable=False),
    Column("config", LongText, nullable=False),
    Column("state", String(16), nullable=False),
    Column("controller", LongText, nullable=True),
    Column("scheduler", LongText, nullable=True),
    Column("run_count", Integer, nullable=False, default=0),
    Column("created_by", Id, ForeignKey("users.id"), nullable=True),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    UniqueConstraint("project_id", "name"),
    Index(None, "state"),
)

sweep_agents = Table(
    "sweep_agents", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("sweep_id", Id, ForeignKey("sweeps.id"), nullable=False, index=True),
    Column("host", String(255), nullable=False),
    Column("state", String(16), nullable=False),
    Column("user_id", Id, ForeignKey("users.id"), nullable=True),
    Column("total_runs", Integer, nullable=False, default=0),
    Column("created_at", Timestamp, nullable=False),
    Column("heartbeat_at", Timestamp, nullable=False),
)

# A deleted run's storage id (never given again) and project: deleting it again succeeds.
deleted_runs = Table(
    "deleted_runs", metadata,
    Column("run_id", Id, primary_key=True, autoincrement=False),
    Column("project_id", Id, nullable=False),
    Column("deleted_at", Timestamp, nullable=False),
)

history_chunks = Table(
    "history_chunks", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("run_id", Id, ForeignKey("runs.id"), nullable=False),
    Column("stream", String(8), nullable=False),
    Column("start_line", Integer, nullable=False),
    Column("end_line", Integer, nullable=False),
    Column("min_step", BigInteger, nullable=True),
    Column("max_step", BigInteger, nullable=True),
    Column("data", LongBlob, nullable=False),
    Index(None, "run_id", "stream", "start_line"),
)

# Names that compare byte-wise on MySQL/MariaDB too (binary collation): history keys `loss`
# and `Loss` are two metrics, and run_values' paths and texts compare as in Python.
BinaryString = String(255).with_variant(
    mysql.VARCHAR(255, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb")

history_segments = Table(
    "history_segments", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("run_id", Id, ForeignKey("runs.id"), nullable=False),
    Column("key", BinaryString, nullable=False),
    Column("start_line", Integer, nullable=False),
    Column("end_line", Integer, nullable=False),
    Column("point_count", Integer, nullable=False),
    Column("min_step", BigInteger, nullable=True),
    Column("max_step", BigInteger, nullable=True),
    Column("data", LongBlob, nullable=False),
    Index(None, "run_id", "key", "start_line"),
)

# Each segment downsampled at ingest (domain/history_codec.rollup_segment): charts of long
# series read these instead of every point.
history_rollups = Table(
    "history_rollups", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("run_id", Id, ForeignKey("runs.id"), nullable=False),
    Column("key", BinaryString, nullable=False),
    Column("start_line", Integer, nullable=False),
    Column("end_line", Integer, nullable=False),
    Column("raw_count", Integer, nullable=False),
    Column("finite_count", Integer, nullable=False),
    Column("monotonic", Boolean, nullable=False),
    Column("point_count", Integer, nullable=False),
    Column("data", LongBlob, nullable=False),
    Index(None, "run_id", "key", "start_line"),
)

# Config and summary values of each run, one row per path (domain/run_query.py), so the
# runs table and `Runs` filter and sort in SQL.
run_values = Table(
    "run_values", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("run_id", Id, ForeignKey("runs.id"), nullable=False),
    Column("project_id", Id, nullable=False),
    Column("path", BinaryString, nullable=False),
    Column("kind", SmallInteger, nullable=False),
    Column("num", Double, nullable=True),
    Column("text", BinaryString, nullable=True),
    Column("top", Boolean, nullable=False),
    # covering the runs table's plan (run_search_rows.py): filters read run_id, sorts read
    # (kind, num, text), neither visits the rows
    Index(None, "run_id", "path", "kind", "num", "text"),
    Index(None, "project_id", "path", "kind", "num", "run_id"),
    Index(None, "project_id", "path", "kind", "text", "run_id"),
)

log_lines = Table(
    "log_lines", metadata,
    Column("run_id", Id, ForeignKey("runs.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True, autoincrement=False),
    Column("content", LongText, nullable=False),
)

run_files = Table(
    "run_files", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("run_id", Id, ForeignKey("runs.id"), nullable=False),
    Column("name", Name(512), nullable=False),
    Column("size_bytes", BigInteger, nullable=True),
    Column("md5", String(32), nullable=True),
    Column("uploaded", Boolean, nullable=False, default=False),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    Column("store", String(512), nullable=True),  # blob_stores.name; NULL: not landed yet
    UniqueConstraint("run_id", "name"),
)

alerts = Table(
    "alerts", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("run_id", Id, ForeignKey("runs.id"), nullable=False, index=True),
    Column("title", String(255), nullable=False),
    Column("text", Text, nullable=False),
    Column("severity", String(8), nullable=False),
    Column("wait_duration_ms", BigInteger, nullable=True),
    Column("suppressed", Boolean, nullable=False, default=False),
    Column("created_at", Timestamp, nullable=False),
)

# Each user's saved project workspace (domain/workspace_layout.py): one JSON document.
workspace_layouts = Table(
    "workspace_layouts", metadata,
    Column("user_id", Id, primary_key=True),
    Column("project_id", Id, primary_key=True),
    Column("layout", Text, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
)

# The project key index (domain/project_keys.py): per project, each key the workspace lists
# and how many runs have it; kept in the runs' writes, rebuilt from the runs after an import.
project_keys = Table(
    "project_keys", metadata,
    Column("project_id", Id, ForeignKey("projects.id"), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("key", BinaryString, primary_key=True),
    Column("detail", BinaryString, nullable=False),
    Column("runs", Integer, nullable=False),
)
