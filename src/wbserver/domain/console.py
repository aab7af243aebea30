"""The console log: lines the client streams as `[ERROR ]<timestamp> <text>`, and the
output.log file made from them for runs whose client never uploaded one (crashed runs)."""

from __future__ import annotations

import re

from wbserver.domain.files import blob_landed, run_file_key
from wbserver.ports import BlobStore, MetadataStore

OUTPUT_LOG = "output.log"
_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+Z? ?")


def split_line(line: str) -> tuple[bool, str, str]:
    """(is stderr, timestamp, text) of one streamed console line."""
    stderr = line.startswith("ERROR ")
    rest = line[6:] if stderr else line
    match = _STAMP.match(rest)
    stamp = match.group(0).strip() if match else ""
    return stderr, stamp, rest[match.end():] if match else rest


def write_output_log(store: MetadataStore, blobs: BlobStore, *, run_id: int) -> bool:
    """Make output.log from the streamed lines unless the client uploaded one."""
    existing = store.get_run_file(run_id, OUTPUT_LOG)
    if existing is not None and existing.size_bytes is not None:
        return False
    lines = store.read_log_lines(run_id)
    if not lines:
        return False
    text = "".join(split_line(content)[2] + "\n" for _number, content in lines)
    key = run_file_key(run_id, OUTPUT_LOG)
    info = blobs.write(key, [text.encode("utf-8")])
    blob_landed(store, key=key, info=info, where=blobs.name)
    return True
