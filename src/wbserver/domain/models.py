"""Plain records passed between the domain, the ports and the adapters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

RUNNING = "running"
FINISHED = "finished"
FAILED = "failed"
CRASHED = "crashed"
PENDING = "pending"  # requeued by Run.update_state: waiting for a client to resume it
RUN_STATES = (RUNNING, FINISHED, FAILED, CRASHED, PENDING)


@dataclass(frozen=True)
class User:
    id: int
    username: str
    email: str
    is_admin: bool
    is_active: bool
    created_at: datetime


@dataclass(frozen=True)
class Entity:
    id: int
    name: str
    is_team: bool
    user_id: int | None


@dataclass(frozen=True)
class ApiKey:
    id: int
    user_id: int
    name: str
    key_prefix: str
    created_at: datetime


@dataclass(frozen=True)
class Project:
    id: int
    entity_id: int
    entity_name: str
    name: str
    description: str | None
    created_at: datetime
    updated_at: datetime
    visibility: str = "private"
    created_by: int | None = None
    # the project's entity, when it was read with the project (saves looking it up again)
    owner: Entity | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Invite:
    """An invite link (kind 'invite') or a password reset link (kind 'reset')."""

    id: int
    kind: str
    user_id: int | None
    email: str | None
    is_admin: bool
    created_by: int | None
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None


@dataclass(frozen=True)
class TeamMember:
    user_id: int
    username: str
    role: str


@dataclass(frozen=True)
class Run:
    """A run row. JSON columns stay JSON text until someone needs them parsed."""

    id: int
    project_id: int
    entity_name: str
    project_name: str
    name: str
    display_name: str | None
    user_id: int | None
    username: str | None
    state: str
    group_name: str | None
    job_type: str | None
    notes: str | None
    description: str | None
    tags: list[str]
    host: str | None
    program: str | None
    repo: str | None
    commit_hash: str | None
    sweep_name: str | None
    config: str
    summary: str
    system_metrics: str | None
    history_keys: str
    last_step: int
    history_line_count: int
    events_line_count: int
    log_line_count: int
    exit_code: int | None
    preempting: bool
    stop_requested: bool
    created_at: datetime
    updated_at: datetime
    heartbeat_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True)
class RunFile:
    id: int
    run_id: int
    name: str
    size_bytes: int | None
    md5: str | None
    uploaded: bool
    created_at: datetime
    updated_at: datetime
    store: str | None = None  # the store holding the bytes (None: not landed yet)


@dataclass(frozen=True)
class HistoryChunk:
    """Lines [start_line, end_line) of one stream exactly as received (newline-joined)."""

    start_line: int
    end_line: int
    min_step: int | None
    max_step: int | None
    data: bytes


@dataclass(frozen=True)
class HistorySegment:
    """One key's numeric points for lines [start_line, end_line): packed line/step/value."""

    key: str
    start_line: int
    end_line: int
    point_count: int
    min_step: int | None
    max_step: int | None
    data: bytes


@dataclass(frozen=True)
class HistoryRollup:
    """A segment downsampled once, at ingest: of every block of 64 finite points its first,
    last, min and max (packed line/step/value), so charts of millions of points read ~1/16."""

    key: str
    start_line: int
    end_line: int
    raw_count: int  # points in the segment
    finite_count: int  # of which finite
    monotonic: bool  # the segment's steps never decrease
    point_count: int  # points kept here
    data: bytes


@dataclass(frozen=True)
class ProjectKey:
    """One row of a project's key index (domain/project_keys.py)."""
    kind: str
    key: str
    detail: str
    runs: int


@dataclass
class StreamWrite:
    """Everything one file_stream request changes, applied by the store in one transaction."""

    run_fields: dict[str, Any] = field(default_factory=dict)
    history_chunks: list[HistoryChunk] = field(default_factory=list)
    events_chunks: list[HistoryChunk] = field(default_factory=list)
    segments: list[HistorySegment] = field(default_factory=list)
    rollups: list[HistoryRollup] = field(default_factory=list)
    log_lines: dict[int, str] = field(default_factory=dict)
    uploaded_files: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RunKey:
    entity: str
    project: str
    name: str


@dataclass(frozen=True)
class FilePage:
    files: list[RunFile]
    has_next_page: bool
    total: int


@dataclass(frozen=True)
class SlackConnection:
    id: int
    entity_id: int
    webhook_url: str  # encrypted as stored
    channel: str | None
    team_name: str | None
    created_at: datetime
    disabled_at: datetime | None
    disabled_reason: str | None


@dataclass(frozen=True)
class OutboxItem:
    id: int
    channel: str
    target: str
    payload: str
    attempts: int
    created_at: datetime
