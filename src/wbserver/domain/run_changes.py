"""Changing a run from outside its process: wandb.Api()'s Run.update_state and Run.delete."""

from __future__ import annotations

from typing import Any

from wbserver.domain.artifacts import delete_artifact
from wbserver.domain.clock import utcnow
from wbserver.domain.files import run_file_key
from wbserver.domain.models import CRASHED, FAILED, PENDING, RUNNING, Run, RunFile, User
from wbserver.domain.permissions import deletable_run, writable_run
from wbserver.errors import InvalidInput
from wbserver.ports import BlobStore, MetadataStore

# target state -> the states a run may be moved there from (W&B's Run.update_state)
STATE_CHANGES = {PENDING: (RUNNING, FAILED, CRASHED), FAILED: (PENDING, RUNNING)}
_PAGE = 500


def update_run_state(store: MetadataStore, *, viewer: User, run_id: int, state: str) -> Run:
    """Requeue a run (to pending) or give it up (to failed); other moves are refused."""
    run = writable_run(store, viewer=viewer, run_id=run_id)
    if state not in STATE_CHANGES:
        raise InvalidInput(f"a run's state can be set to {' or '.join(STATE_CHANGES)} only, "
                           f"not {state!r}")
    if run.sweep_name:
        raise InvalidInput("the state of a sweep's run cannot be changed")

    def change(current: Run | None) -> dict[str, Any]:
        assert current is not None  # update_run passes the locked row
        if current.state not in STATE_CHANGES[state]:
            raise InvalidInput(f"invalid state transition: a {current.state} run cannot be set "
                               f"to {state} (only a "
                               f"{', '.join(STATE_CHANGES[state])} run can)")
        now = utcnow()
        if state == PENDING:
            return {"state": PENDING, "exit_code": None, "finished_at": None, "updated_at": now}
        return {"state": FAILED, "finished_at": current.finished_at or now, "updated_at": now}

    return store.update_run(run.id, change)


def delete_run(store: MetadataStore, blobs: BlobStore, *, viewer: User, run_id: int,
               delete_artifacts: bool) -> None:
    """Delete a run, its history, console, files (their bytes too) and alerts; the artifact
    versions it logged go too with `delete_artifacts`, else they stay without a maker.
    Deleting a run already deleted succeeds and does nothing, as on W&B (which keeps deleted
    runs): for whoever may write its project, others are told it is not found."""
    run = deletable_run(store, viewer=viewer, run_id=run_id)
    if run is None:
        return
    if delete_artifacts:
        for artifact_id in _logged_artifacts(store, run.id):
            delete_artifact(store, viewer=viewer, artifact_id=artifact_id, delete_aliases=True)
    keys = [run_file_key(run.id, f.name) for f in _files(store, run.id)
            if f.store in (None, blobs.name)]
    store.delete_run(run.id)
    store.add_audit(user_id=viewer.id, action="run.delete",
                    target=f"{run.entity_name}/{run.project_name}/{run.name}",
                    detail=f"storage id {run.id}"
                           + ("; with its artifact versions" if delete_artifacts else ""),
                    now=utcnow())
    for key in keys:  # after the rows: a failure here leaves bytes nobody lists, no row
        blobs.delete(key)


def _logged_artifacts(store: MetadataStore, run_id: int) -> list[int]:
    found: list[int] = []
    after: int | None = None
    while True:
        page, has_next, _total = store.run_artifacts(run_id, output=True, after=after,
                                                     first=_PAGE)
        found += [a.id for a in page]
        if not has_next or not page:
            return found
        after = page[-1].id


def _files(store: MetadataStore, run_id: int) -> list[RunFile]:
    found: list[RunFile] = []
    after: int | None = None
    while True:
        page = store.list_run_files(run_id, names=None, pattern=None, after=after, first=_PAGE)
        found += page.files
        if not page.has_next_page or not page.files:
            return found
        after = page.files[-1].id
