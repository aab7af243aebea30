"""The artifact garbage collector: what it frees, what it keeps, dry runs, and the grace
period (time is passed in, never waited for)."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta

import pytest

from wbserver.domain.artifact_gc import collect_garbage, describe
from wbserver.domain.artifact_models import FileSpec
from wbserver.domain.artifact_storage import (
    content_key,
    manifest_key,
    manifest_upload_key,
    staging_key,
)
from wbserver.domain.artifacts import (
    CreateRequest,
    commit_artifact,
    create_artifact,
    delete_artifact,
    plan_files,
)
from wbserver.domain.clock import utcnow
from wbserver.domain.files import blob_landed
from wbserver.metadata.engine import make_engine, upgrade_database
from wbserver.metadata.store import SqlStore
from wbserver.storage.local import LocalBlobStore
from wbserver.storage.signing import UrlSigner

HOUR = 3600.0


@pytest.fixture
def env(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade_database(engine)
    store = SqlStore(engine)
    blobs = LocalBlobStore(str(tmp_path / "files"), UrlSigner(b"test"))
    user = store.create_user(username="alice", email="a@example.com", password_hash=None,
                             is_admin=False)
    yield store, blobs, user
    store.close()


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def log(env, name, files, *, commit=True, in_manifest=None):
    store, blobs, user = env
    digest = md5(json.dumps(sorted((k, md5(v)) for k, v in files.items())).encode())
    art, _ = create_artifact(store, viewer=user, request=CreateRequest(
        entity="alice", project="p", type_name="dataset", sequence_name=name, digest=digest))
    specs = [(art.id, FileSpec(n, base64.b64encode(hashlib.md5(v).digest()).decode()))
             for n, v in files.items()]
    uploaded = []
    for plan, data in zip(plan_files(store, viewer=user, files=specs), files.values(),
                          strict=True):
        if plan.needs_upload:
            info = blobs.write(content_key(plan.md5, store.artifact_layout()), [data])
            blob_landed(store, key=content_key(plan.md5, store.artifact_layout()), info=info, blobs=blobs)
            uploaded.append(plan.name)
    listed = files if in_manifest is None else {n: files[n] for n in in_manifest}
    contents = {n: {"digest": base64.b64encode(hashlib.md5(v).digest()).decode(),
                    "size": len(v)} for n, v in listed.items()}
    blobs.write(manifest_key(art.id), [json.dumps({"version": 1, "contents": contents}).encode()])
    if commit:
        art = commit_artifact(store, blobs, viewer=user, artifact_id=art.id)
    return art, uploaded


def on_disk(env, data):
    return env[1].local_path(content_key(md5(data), env[0].artifact_layout())) is not None


def test_frees_only_content_no_committed_version_references(env):
    store, blobs, user = env
    a, b, c, d, e = b"a" * 10, b"b" * 20, b"c" * 30, b"d" * 40, b"e" * 50
    log(env, "data", {"a": a, "b": b})
    v1, uploaded = log(env, "data", {"a": a, "c": c})
    assert uploaded == ["c"]  # a was stored already
    delete_artifact(store, viewer=user, artifact_id=v1.id, delete_aliases=False)
    log(env, "pending", {"d": d}, commit=False)
    log(env, "orphan", {"e": e, "a": a}, in_manifest=["a"])  # e uploaded, never listed

    # everything is younger than the grace period: nothing goes
    assert collect_garbage(store, blobs, grace_seconds=HOUR, dry_run=True).blobs == []

    later = utcnow() + timedelta(hours=2)
    report = collect_garbage(store, blobs, grace_seconds=HOUR, dry_run=True, now=later)
    assert sorted(x.md5 for x in report.blobs) == sorted(md5(x) for x in (c, d, e))
    assert report.bytes == 30 + 40 + 50 and report.manifests == [manifest_key(v1.id)]
    assert "would free 3 stored file(s), 120 bytes" in describe(report)
    assert all(on_disk(env, x) for x in (a, b, c, d, e))  # a dry run deletes nothing

    report = collect_garbage(store, blobs, grace_seconds=HOUR, dry_run=False, now=later)
    assert sorted(x.md5 for x in report.blobs) == sorted(md5(x) for x in (c, d, e))
    assert [on_disk(env, x) for x in (a, b, c, d, e)] == [True, True, False, False, False]
    assert blobs.local_path(manifest_key(v1.id)) is None
    again = collect_garbage(store, blobs, grace_seconds=HOUR, dry_run=False, now=later)
    assert again.blobs == [] and again.manifests == []

    # freed content is uploaded again when a new version needs it
    _, uploaded = log(env, "data", {"a": a, "c": c, "b": b})
    assert uploaded == ["c"]


def test_content_offered_for_reuse_is_protected_for_the_grace_period(env):
    store, blobs, user = env
    a = b"shared"
    v0, _ = log(env, "data", {"a": a})
    delete_artifact(store, viewer=user, artifact_id=v0.id, delete_aliases=False)
    # a new pending version is told the content is stored (no upload) ...
    _, uploaded = log(env, "other", {"a": a}, commit=False)
    assert uploaded == []
    # ... so it survives a pass, even with no grace for older content
    assert collect_garbage(store, blobs, grace_seconds=0, dry_run=False,
                           now=utcnow() - timedelta(seconds=1)).blobs == []
    assert on_disk(env, a)


def test_staged_uploads_of_a_version_deleted_before_its_commit_go(env):
    """Content another project holds is uploaded to the version's staging key; a commit
    removes it, and so does the collector once the version is deleted uncommitted."""
    store, blobs, alice = env
    a = b"alice's private content"
    log(env, "data", {"a": a})
    bob = store.create_user(username="bob", email="b@example.com", password_hash=None,
                            is_admin=False)
    art, _ = create_artifact(store, viewer=bob, request=CreateRequest(
        entity="bob", project="q", type_name="dataset", sequence_name="copy", digest="d"))
    plan, = plan_files(store, viewer=bob, files=[
        (art.id, FileSpec("a", base64.b64encode(hashlib.md5(a).digest()).decode()))])
    assert plan.needs_upload and plan.staged  # bob may not read alice's project
    blobs.write(staging_key(art.id, md5(a)), [a])
    blobs.write(manifest_upload_key(art.id), [b"{}"])
    delete_artifact(store, viewer=bob, artifact_id=art.id, delete_aliases=False)
    report = collect_garbage(store, blobs, grace_seconds=HOUR, dry_run=False)
    assert report.manifests == [manifest_key(art.id)]
    assert blobs.local_path(staging_key(art.id, md5(a))) is None
    assert blobs.local_path(manifest_upload_key(art.id)) is None
    assert on_disk(env, a)  # alice's committed content stays


def test_versions_past_their_ttl_are_deleted_then_freed(env):
    """A TTL counts from the version's creation; the pass deletes the version (aliases and
    all, as W&B does), `latest` moves back, and its content is freed like a deleted
    version's. Versions without a TTL of their own (inherited, or turned off) stay."""
    from wbserver.domain.artifact_edits import ArtifactChange, update_artifact
    from wbserver.domain.artifact_gc import expire_versions

    store, blobs, user = env
    kept, _ = log(env, "data", {"a": b"kept"})
    short, _ = log(env, "data", {"b": b"short-lived"})
    store.add_artifact_aliases(short.id, ["best"])
    off, _ = log(env, "other", {"c": b"no ttl"})
    update_artifact(store, viewer=user, artifact_id=short.id,
                    change=ArtifactChange(ttl_duration_seconds=2 * 3600))
    update_artifact(store, viewer=user, artifact_id=off.id,
                    change=ArtifactChange(ttl_duration_seconds=-2))
    assert store.get_artifact(short.id).ttl_duration_seconds == 7200
    assert expire_versions(store) == []  # not yet

    later = utcnow() + timedelta(hours=3)
    dry = collect_garbage(store, blobs, grace_seconds=0, dry_run=True, now=later)
    assert dry.expired == ["alice/p/data:v1"] and store.get_artifact(short.id).state == "COMMITTED"
    assert "would delete 1 version(s) past their TTL" in describe(dry)
    report = collect_garbage(store, blobs, grace_seconds=0, dry_run=False, now=later)
    assert report.expired == ["alice/p/data:v1"]
    assert store.get_artifact(short.id).state == "DELETED"
    assert [m.md5 for m in report.blobs] == [md5(b"short-lived")]
    assert report.manifests == [manifest_key(short.id)]
    project = store.get_project_by_id(kept.project_id)
    assert store.find_artifact(project.id, "data", "latest").id == kept.id
    assert store.find_artifact(project.id, "data", "best") is None
    assert store.get_artifact(off.id).state == "COMMITTED"
    assert expire_versions(store, now=later) == []  # deleting twice is harmless
