"""What the run page shows: the overview, files with signed links, artifacts logged and
used, and the console log (stderr marked, searchable, read from a line onwards)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wbserver.domain.artifact_models import Artifact
from wbserver.domain.artifacts import readable_versions
from wbserver.domain.chart_data import numeric_keys
from wbserver.domain.clock import utcnow
from wbserver.domain.console import split_line
from wbserver.domain.files import run_file_key
from wbserver.domain.json_text import loads
from wbserver.domain.media import describe
from wbserver.domain.models import Project, Run, RunKey, User
from wbserver.domain.permissions import WRITE, project_access, readable_project
from wbserver.domain.run_environment import DIFF_FILE, environment_rows, read_environment
from wbserver.domain.run_table import (
    displayable,
    format_duration,
    format_value,
    runtime_seconds,
)
from wbserver.errors import InvalidInput, NotFound
from wbserver.ports import BlobStore, MetadataStore

LOG_PAGE = 2000
MAX_LINE = 2**31 - 1  # line numbers are 32-bit columns
MAX_FILES = 10_000  # the files tab opens folders lazily: ten thousand rows stay cheap
MAX_ARTIFACTS = 200


@dataclass(frozen=True)
class Links:
    """How to sign download links: the blob store, this server's URL and their lifetime."""

    blobs: BlobStore
    base_url: str
    expires_in: int


def readable_run(store: MetadataStore, *, viewer: User | None, entity: str, project: str,
                 name: str) -> tuple[Project, Run]:
    found = readable_project(store, viewer=viewer, entity=entity, project=project)
    run = store.get_run(RunKey(entity, project, name)) if found else None
    if found is None or run is None:
        raise NotFound(f"run {entity}/{project}/{name} not found")
    return found, run


def flat_items(text: str | None, *, unwrap: bool,
               media_only: bool = False) -> list[tuple[str, str]]:
    """A config or summary as sorted (dotted key, shown value) pairs; config entries of
    the client's {"value": …, "desc": …} shape are unwrapped; `_wandb` is left out. A media
    value (a dict with `_type`) shows as its type; `media_only` keeps only those."""
    data = loads(text or "{}")  # NaN and ±Infinity as the client wrote them
    out: list[tuple[str, str]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict) and "_type" in value:
            out.append((displayable(prefix), displayable(describe(value))))
        elif isinstance(value, dict) and value:
            for k in sorted(value):
                walk(f"{prefix}.{k}", value[k])
        elif not media_only:
            out.append((displayable(prefix), format_value(value)))

    for key in sorted(data):
        if key.startswith("_"):
            continue
        value = data[key]
        if unwrap and isinstance(value, dict) and "value" in value:
            value = value["value"]
        walk(key, value)
    return out


def run_overview(store: MetadataStore, links: Links, *, viewer: User | None, entity: str,
                 project: str, name: str) -> dict[str, Any]:
    found, run = readable_run(store, viewer=viewer, entity=entity, project=project, name=name)
    files = run_files(store, links, run)
    diff = next((url for path, _size, url, _ref in files if path == DIFF_FILE), None)
    return {
        "project": found, "run": run,
        "runtime": format_duration(runtime_seconds(run, utcnow())),
        "config": flat_items(run.config, unwrap=True),
        "summary": flat_items(run.summary, unwrap=False),
        "media_keys": {k for k, _v in flat_items(run.summary, unwrap=False, media_only=True)},
        "metrics": numeric_keys(run),
        "files_tree": files,
        "environment": environment_rows(read_environment(store, links.blobs, run),
                                         has_diff=diff is not None),
        "diff_url": diff,
        "logged": _artifacts(store, run, viewer=viewer, output=True),
        "used": _artifacts(store, run, viewer=viewer, output=False),
        "can_write": project_access(store, viewer, found) >= WRITE,
    }


def run_files(store: MetadataStore, links: Links, run: Run) -> list[list[Any]]:
    """The run's files for the files tree: [path, size, signed download URL, None]."""
    page = store.list_run_files(run.id, names=None, pattern=None, after=None, first=MAX_FILES)
    return [[f.name, f.size_bytes or 0,
             links.blobs.download_url(run_file_key(run.id, f.name), base_url=links.base_url,
                                      expires_in=links.expires_in), None]
            for f in sorted(page.files, key=lambda f: f.name)]


def _artifacts(store: MetadataStore, run: Run, *, viewer: User | None,
               output: bool) -> list[Artifact]:
    """The versions the run logged or used, less those of projects the viewer cannot see."""
    found, _more, _total = store.run_artifacts(run.id, output=output, after=None,
                                               first=MAX_ARTIFACTS)
    return readable_versions(store, viewer=viewer, found=found)


def run_status(store: MetadataStore, *, viewer: User | None, entity: str, project: str,
               name: str) -> dict[str, Any]:
    """What a page polls while a run is live: state and how far its streams have got."""
    _found, run = readable_run(store, viewer=viewer, entity=entity, project=project, name=name)
    return {"state": run.state, "historyLineCount": run.history_line_count,
            "eventsLineCount": run.events_line_count, "logLineCount": run.log_line_count,
            "runtime": format_duration(runtime_seconds(run, utcnow())),
            "metrics": numeric_keys(run),
            "summary": dict(flat_items(run.summary, unwrap=False))}


def parse_log_start(text: str | None) -> int | None:
    """The `start` of a console page: absent, or a line number (digits, at most MAX_LINE)."""
    if text is None:
        return None
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_LINE:
        raise InvalidInput(f"start must be a line number from 0 to {MAX_LINE}")
    return int(text)


def console_lines(store: MetadataStore, *, viewer: User | None, entity: str, project: str,
                  name: str, start: int | None, search: str = "") -> dict[str, Any]:
    """Log lines from `start` on (None: the last LOG_PAGE lines), or with `search` every
    line containing it (case-insensitive, at most LOG_PAGE). `next` is where to go on."""
    _found, run = readable_run(store, viewer=viewer, entity=entity, project=project, name=name)
    needle = search.casefold()
    if needle:
        rows = [(n, c) for n, c in store.read_log_lines(run.id)
                if needle in split_line(c)[2].casefold()][:LOG_PAGE]
    else:
        first = max(0, run.log_line_count - LOG_PAGE) if start is None else max(0, start)
        rows = store.read_log_lines(run.id, start=first, limit=LOG_PAGE)
    lines = []
    for number, content in rows:
        stderr, stamp, text = split_line(content)
        lines.append({"n": number, "stderr": stderr, "time": stamp, "text": text})
    following = rows[-1][0] + 1 if rows and not needle else max(start or 0, run.log_line_count)
    return {"lines": lines, "next": following, "state": run.state}
