"""Editing a run from its page: display name, tags and notes (what upsertBucket changes for
wandb.Api()'s Run.update), and deleting it (deleteRun), under the same rule as the API:
whoever may write the run's project."""

from __future__ import annotations

from typing import Any

from wbserver.domain.clock import utcnow
from wbserver.domain.models import Run, User
from wbserver.domain.permissions import writable_run
from wbserver.domain.run_changes import delete_run
from wbserver.errors import InvalidInput
from wbserver.ports import BlobStore, MetadataStore

MAX_DISPLAY_NAME = 128
MAX_TAG = 64
MAX_TAGS = 100
MAX_NOTES = 64 * 1024


def parse_edit(body: Any) -> dict[str, Any]:
    """The fields of a JSON edit {displayName?, tags?, notes?} as run columns, checked."""
    if not isinstance(body, dict) or not body:
        raise InvalidInput("send a JSON object with displayName, tags and/or notes")
    unknown = set(body) - {"displayName", "tags", "notes"}
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(sorted(unknown))}")
    fields: dict[str, Any] = {}
    if "displayName" in body:
        name = body["displayName"]
        if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_DISPLAY_NAME:
            raise InvalidInput(f"the name must be 1 to {MAX_DISPLAY_NAME} characters")
        fields["display_name"] = name.strip()
    if "tags" in body:
        tags = body["tags"]
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise InvalidInput("tags must be a list of strings")
        clean = list(dict.fromkeys(t.strip() for t in tags if t.strip()))
        if len(clean) > MAX_TAGS or any(len(t) > MAX_TAG for t in clean):
            raise InvalidInput(f"at most {MAX_TAGS} tags of at most {MAX_TAG} characters each")
        fields["tags"] = clean
    if "notes" in body:
        notes = body["notes"]
        if not isinstance(notes, str) or len(notes) > MAX_NOTES:
            raise InvalidInput(f"notes must be text of at most {MAX_NOTES // 1024} KiB")
        fields["notes"] = notes
        fields["description"] = notes  # as upsertBucket keeps them
    return fields


def edit_run(store: MetadataStore, *, viewer: User, run_id: int, body: Any) -> Run:
    fields = parse_edit(body)
    run = writable_run(store, viewer=viewer, run_id=run_id)
    return store.update_run(run.id, lambda _current: {**fields, "updated_at": utcnow()})


def delete_run_from_page(store: MetadataStore, blobs: BlobStore, *, viewer: User,
                         run_id: int) -> None:
    """deleteRun without the artifacts: they stay, without a maker."""
    writable_run(store, viewer=viewer, run_id=run_id)
    delete_run(store, blobs, viewer=viewer, run_id=run_id, delete_artifacts=False)


def edited(run: Run) -> dict[str, Any]:
    return {"name": run.name, "displayName": run.display_name or run.name,
            "tags": list(run.tags), "notes": run.notes or ""}
