"""A logged `wandb.Table` as its panel reads it.

The client writes a table twice: as a run file (`media/table/<key>_<step>_<hash>.table.json`,
where media cells are only their type's name, e.g. "Image") and into an artifact of type
`run_table` named `run-<run id>-<key>` (entry `<key>.table.json`, media cells as
`{"_type": "image-file", "path": "media/images/…"}` with the files beside it in the same
artifact). The panel gets the artifact's version when the run logged one, else the file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wbserver.domain.artifact_models import COMMITTED, Artifact
from wbserver.domain.artifact_storage import content_key
from wbserver.domain.files import run_file_key
from wbserver.domain.json_text import loads
from wbserver.domain.models import Run
from wbserver.errors import InvalidInput, NotFound
from wbserver.ports import BlobStore, MetadataStore

MAX_TABLE = 64 * 2**20  # bytes of table JSON a page is sent
MAX_LINKS = 500  # files of a table looked up at once (a page of its rows)
TABLE_KINDS = ("table-file", "incremental-table-file")


@dataclass(frozen=True)
class TableSource:
    key: str  # the blob holding the table's JSON
    artifact: Artifact | None  # where its media cells' files are, if an artifact


def latest_table_value(run: Run, key: str) -> dict[str, Any]:
    """The table the run logged last under KEY (the summary holds it)."""
    summary = loads(run.summary or "{}")
    value = summary.get(key) if isinstance(summary, dict) else None
    if not isinstance(value, dict) or value.get("_type") not in TABLE_KINDS:
        raise NotFound(f"no table logged under {key!r}")
    return value


def run_table_artifact(store: MetadataStore, run: Run, key: str) -> Artifact | None:
    """The newest committed `run-<run>-<key>` version this run logged, if any."""
    sequence = store.find_sequence(run.project_id, f"run-{run.name}-{key}")
    if sequence is None:
        return None
    mine = [a for a in store.list_sequence_versions(sequence.id)
            if a.created_by_run_id == run.id and a.state == COMMITTED]
    return max(mine, key=lambda a: a.version_index or 0, default=None)


def _artifact_file_key(store: MetadataStore, artifact: Artifact, name: str) -> str | None:
    found, _more, _total = store.list_artifact_files(artifact.id, names=[name], after=None,
                                                     first=1)
    md5 = found[0].md5 if found else None
    return content_key(md5, store.artifact_layout()) if md5 else None


def table_source(store: MetadataStore, run: Run, key: str) -> TableSource:
    value = latest_table_value(run, key)
    artifact = run_table_artifact(store, run, key)
    if artifact is not None:
        blob = _artifact_file_key(store, artifact, f"{key}.table.json")
        if blob is not None:
            return TableSource(key=blob, artifact=artifact)
    path = value.get("path")
    if not isinstance(path, str) or store.get_run_file(run.id, path) is None:
        raise NotFound(f"the table file of {key!r} is not uploaded")
    return TableSource(key=run_file_key(run.id, path), artifact=None)


def read_table(store: MetadataStore, blobs: BlobStore, run: Run, key: str) -> dict[str, Any]:
    """{columns, data, fromArtifact}: the table's JSON as the client wrote it."""
    source = table_source(store, run, key)
    data = bytearray()
    try:
        for chunk in blobs.open_read(source.key):
            data += chunk
            if len(data) > MAX_TABLE:
                raise InvalidInput(f"this table is over {MAX_TABLE // 2**20} MiB")
    except FileNotFoundError:
        raise NotFound(f"the table file of {key!r} is missing from storage") from None
    try:
        table = loads(bytes(data).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(f"the table of {key!r} is not JSON") from None
    if not isinstance(table, dict):
        raise InvalidInput(f"the table of {key!r} is not a table")
    columns = table.get("columns") if isinstance(table.get("columns"), list) else []
    rows = table.get("data") if isinstance(table.get("data"), list) else []
    return {"key": key, "columns": columns, "data": rows,
            "fromArtifact": source.artifact is not None}


def table_file_key(store: MetadataStore, run: Run, key: str, name: str) -> str:
    """The blob of file NAME (an image of a cell, say) of KEY's table artifact."""
    artifact = run_table_artifact(store, run, key)
    blob = _artifact_file_key(store, artifact, name) if artifact is not None else None
    if blob is None:
        raise NotFound(f"no file {name!r} in the table of {key!r}")
    return blob


def cell_paths(rows: list[Any]) -> list[str]:
    """The files the media cells of ROWS name (`{"_type": "image-file", "path": …}`), each
    once, in order."""
    out: dict[str, None] = {}
    for row in rows:
        for cell in row if isinstance(row, list) else ():
            if isinstance(cell, dict) and "_type" in cell and isinstance(cell.get("path"), str):
                out[cell["path"]] = None
    return list(out)


@dataclass(frozen=True)
class TableFile:
    key: str  # the blob
    size: int | None


def table_files(store: MetadataStore, run: Run, key: str,
                names: list[str]) -> dict[str, TableFile]:
    """The blobs of the files NAMES of KEY's table, all in one lookup (a page of the table
    at a time): the run's `run-<run>-<key>` artifact's files, else (a table the run logged
    only as a file) the run's own. Names found in neither are left out."""
    wanted = list(dict.fromkeys(n for n in names if n))
    if len(wanted) > MAX_LINKS:
        raise InvalidInput(f"at most {MAX_LINKS} files of a table at once")
    if not wanted:
        return {}
    out: dict[str, TableFile] = {}
    artifact = run_table_artifact(store, run, key)
    if artifact is not None:
        found, _more, _total = store.list_artifact_files(artifact.id, names=wanted, after=None,
                                                         first=len(wanted))
        layout = store.artifact_layout()
        out.update({f.name: TableFile(content_key(f.md5, layout), f.size)
                    for f in found if f.md5})
    rest = [n for n in wanted if n not in out]
    if rest:
        page = store.list_run_files(run.id, names=rest, pattern=None, after=None,
                                    first=len(rest))
        out.update({f.name: TableFile(run_file_key(run.id, f.name), f.size_bytes)
                    for f in page.files})
    return out
