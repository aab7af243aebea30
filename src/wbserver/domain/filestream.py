"""file_stream: validate a request, then turn it into one StreamWrite against the locked run.

Offsets make every write idempotent: history and events lines below the stored count are
skipped, console lines are replaced by line number, the summary is replaced whole.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from wbserver.domain.clock import utcnow
from wbserver.domain.files import check_file_name, run_file_key
from wbserver.domain.history_codec import (
    digest_rows,
    parse_line,
    parse_lines,
    rollup_segment,
    step_range,
)
from wbserver.domain.history_columns import (
    NumericColumns,
    digest_columns,
    read_numeric_columns,
    rollup_columns,
)
from wbserver.domain.history_lines import columns_only
from wbserver.domain.models import (
    CRASHED,
    FAILED,
    FINISHED,
    RUNNING,
    HistoryChunk,
    Run,
    RunKey,
    StreamWrite,
    User,
)
from wbserver.domain.permissions import check_project_write
from wbserver.errors import Conflict, InvalidInput, NotFound
from wbserver.ports import MetadataStore

HISTORY = "wandb-history.jsonl"
EVENTS = "wandb-events.jsonl"
SUMMARY = "wandb-summary.json"
OUTPUT = "output.log"
KNOWN_FILES = (HISTORY, EVENTS, SUMMARY, OUTPUT)
MAX_LINES = 2**31 - 1  # line numbers are 32-bit columns


@dataclass
class FileUpdate:
    offset: int
    lines: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    columns: NumericColumns | None = None  # history of plain numbers: read as columns instead

    def history_rows(self, skip: int) -> list[dict[str, Any]]:
        if self.columns is not None:  # valid JSON objects; parsed only when the columns decline
            return parse_lines(self.lines[skip:], where=f"{HISTORY} line",
                               first=self.offset + skip)
        return self.rows[skip:]


@dataclass
class StreamRequest:
    files: dict[str, FileUpdate]
    uploaded: list[str]
    complete: bool
    exit_code: int | None
    preempting: bool


def parse_request(body: Any) -> StreamRequest:
    """Validate the whole body before anything is written (bad input changes nothing)."""
    if not isinstance(body, dict):
        raise InvalidInput("file_stream body must be a JSON object")
    files_in = body.get("files")
    files_in = {} if files_in is None else files_in
    if not isinstance(files_in, dict):
        raise InvalidInput("'files' must be an object of file name to {offset, content}")
    files: dict[str, FileUpdate] = {}
    for name, update in files_in.items():
        if name not in KNOWN_FILES:
            continue  # a stream this server does not know; the known ones still apply
        files[name] = _file_update(name, update)
    uploaded = body.get("uploaded")
    uploaded = [] if uploaded is None else uploaded
    if not isinstance(uploaded, list) or not all(isinstance(u, str) for u in uploaded):
        raise InvalidInput("'uploaded' must be a list of file names")
    exit_code = body.get("exitcode")
    if exit_code is not None and (isinstance(exit_code, bool) or not isinstance(exit_code, int)):
        raise InvalidInput("'exitcode' must be an integer or null")
    return StreamRequest(files=files, uploaded=uploaded, complete=body.get("complete") is True,
                         exit_code=exit_code, preempting=body.get("preempting") is True)


def _file_update(name: str, update: Any) -> FileUpdate:
    if not isinstance(update, dict):
        raise InvalidInput(f"files[{name!r}] must be an object with 'offset' and 'content'")
    offset = update.get("offset", 0)
    content = update.get("content", [])
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidInput(f"files[{name!r}].offset must be a non-negative integer")
    if not isinstance(content, list) or not set(map(type, content)) <= {str}:
        raise InvalidInput(f"files[{name!r}].content must be a list of strings")
    if offset + len(content) > MAX_LINES:
        raise InvalidInput(f"files[{name!r}] goes past line {MAX_LINES}, the most a file "
                           "holds")
    result = FileUpdate(offset=offset, lines=content)
    if name == HISTORY:
        result.columns = read_numeric_columns(content)
    if name in (HISTORY, EVENTS) and result.columns is None:
        result.rows = parse_lines(content, where=f"{name} line", first=offset)
    elif name == SUMMARY and content:
        result.rows = [parse_line(content[-1], where=f"{name} content")]
    return result


def build_write(run: Run, request: StreamRequest, *, now: datetime) -> StreamWrite:
    """What this request changes on `run` (already locked by the store)."""
    write = StreamWrite()
    fields = write.run_fields
    history = request.files.get(HISTORY)
    if history and history.lines:
        _append_history(run, history, write)
    events = request.files.get(EVENTS)
    if events and events.lines:
        start, lines = _new_lines(run.events_line_count, events, EVENTS)
        if lines:
            write.events_chunks.append(HistoryChunk(
                start_line=start, end_line=start + len(lines), min_step=None, max_step=None,
                data="\n".join(lines).encode("utf-8")))
            fields["events_line_count"] = start + len(lines)
            fields["system_metrics"] = lines[-1]
    summary = request.files.get(SUMMARY)
    if summary and summary.lines and summary.lines[-1] != run.summary:
        fields["summary"] = summary.lines[-1]  # (unchanged: nothing to store or re-index)
    output = request.files.get(OUTPUT)
    if output and output.lines:
        for i, line in enumerate(output.lines):
            write.log_lines[output.offset + i] = line
        fields["log_line_count"] = max(run.log_line_count, output.offset + len(output.lines))
    write.uploaded_files = list(dict.fromkeys(request.uploaded))
    if request.preempting:
        fields["preempting"] = True
    if request.complete:
        fields["state"] = FINISHED if not request.exit_code else FAILED
        fields["exit_code"] = request.exit_code
        fields["finished_at"] = now
    elif run.state == CRASHED:
        fields["state"] = RUNNING  # heartbeats came back: the run was only slow
    fields["heartbeat_at"] = now
    fields["updated_at"] = now
    return write


def transitions(before: Run, after: Run) -> list[str]:
    """The events one request caused: a run reaching finished or failed, or preempting."""
    found = []
    if after.state != before.state and after.state in (FINISHED, FAILED):
        found.append("run_finished" if after.state == FINISHED else "run_failed")
    if after.preempting and not before.preempting:
        found.append("run_preempting")
    return found


def _new_lines(stored: int, update: FileUpdate, name: str) -> tuple[int, list[str]]:
    """The part of an append-only update not stored yet (retries and overlaps are skipped).
    An update starting past the stored lines is refused: the lines between would be missing,
    and lines sent later to fill them would be taken for retries."""
    if update.offset > stored:
        raise Conflict(f"{name}: offset {update.offset} is past the {stored} lines stored; "
                       f"send the lines from {stored} on")
    start = max(update.offset, stored)
    return start, update.lines[start - update.offset:]


def _append_history(run: Run, update: FileUpdate, write: StreamWrite) -> None:
    start, lines = _new_lines(run.history_line_count, update, HISTORY)
    skip = start - update.offset
    if not lines:
        return
    keys: dict[str, dict[str, int]] = orjson.loads(run.history_keys or "{}")
    segments = rollups = data = None
    if update.columns is not None:
        columns = update.columns.tail(skip)
        segments = digest_columns(columns, start, keys)
        if segments is not None:
            rollups = rollup_columns(columns, start, segments)
            if columns.complete():  # stored once, as the segments (history_lines.py)
                data = columns_only(columns.keys)
    if segments is None:
        segments = digest_rows(update.history_rows(skip), start, keys)
    min_step, max_step = step_range(segments, start, len(lines))
    if min_step < 0:
        raise InvalidInput(f"{HISTORY}: _step {min_step} is negative (a step counts rows "
                           "from 0)")
    write.history_chunks.append(HistoryChunk(
        start_line=start, end_line=start + len(lines), min_step=min_step, max_step=max_step,
        data=data if data is not None else "\n".join(lines).encode("utf-8")))
    write.segments.extend(segments)
    write.rollups.extend(rollups if rollups is not None else map(rollup_segment, segments))
    fields = write.run_fields
    fields["history_keys"] = orjson.dumps(keys).decode()
    fields["history_line_count"] = start + len(lines)
    fields["last_step"] = max(run.last_step, max_step)


def apply_file_stream(store: MetadataStore, *, viewer: User, key: RunKey, body: Any,
                      on_event: Callable[[str, Run], None] | None = None,
                      on_uploaded: Callable[[list[str]], None] | None = None) -> dict[str, Any]:
    """Validate, then apply in one transaction; the answer tells the client to stop if asked.
    `on_event` hears the run's transitions (run_finished, run_failed, run_preempting);
    `on_uploaded` gets the storage keys of the files the client reports uploaded."""
    request = parse_request(body)
    owner, project = store.get_entity_and_project(key.entity, key.project)
    if project is None:
        raise NotFound(f"project {key.entity}/{key.project} not found")
    check_project_write(store, viewer=viewer, project=project, entity=owner)
    before: list[Run] = []

    def mutation(locked: Run) -> StreamWrite:
        before.append(locked)
        return build_write(locked, request, now=utcnow())

    updated = store.apply_stream(project_id=project.id, name=key.name, mutation=mutation)
    if updated is None:
        raise NotFound(f"run {key.entity}/{key.project}/{key.name} not found")
    if on_event is not None and before:
        for kind in transitions(before[-1], updated):
            on_event(kind, updated)
    if on_uploaded is not None and request.uploaded:
        on_uploaded([run_file_key(updated.id, name) for name in request.uploaded
                     if _safe_name(name)])
    answer: dict[str, Any] = {"exitcode": None, "limits": {}}
    if updated.stop_requested:
        answer["stopped"] = True
    return answer


def _safe_name(name: str) -> bool:
    try:
        check_file_name(name)
    except InvalidInput:
        return False
    return True
