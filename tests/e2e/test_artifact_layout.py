"""Where artifact content lives, and the storage regions an operator names (issue 20), with
both client generations:

- a new install keeps artifact file content under `wandb_artifacts/md5/...` (the prefix W&B
  gives artifact blobs, which clients and tools written for W&B recognise); `File.storage_path`
  says so, and manifests stay outside it;
- an install that held artifact content before that layout (migration 0022) keeps
  `artifacts/md5/...`: nothing is moved, dedup and downloads work, and `wbserver export` /
  `import` carries its content into a new install's layout;
- `WBSERVER_STORAGE_REGIONS=minio-local` lets `Artifact(storage_region="minio-local")` log,
  the region stays in the manifest read back; any other region is still refused by name.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from sqlalchemy import text

from wbserver.config.settings import load_settings
from wbserver.metadata.engine import make_engine, upgrade_database

from .harness import Client, each_client, show, start_server
from .test_backup_restore import wbserver

pytestmark = each_client()

OLDER = b"stored by an older install\n"


def _content_keys(files: Path) -> dict[str, set[str]]:
    """The content objects under each layout's prefix, and the manifests, as keys."""
    found: dict[str, set[str]] = {"wandb_artifacts": set(), "artifacts": set(), "manifests": set()}
    for path in files.rglob("*"):
        key = path.relative_to(files).as_posix()
        if path.is_file() and key.startswith(("wandb_artifacts/md5/", "artifacts/md5/")):
            found[key.split("/", 1)[0]].add(key)
        elif path.is_file() and "wandb_manifest.json" in key:
            found["manifests"].add(key)
    return found


def test_a_new_install_uses_wandb_artifacts_and_takes_the_regions_it_names(
        tmp_path: Path, wandb_python: str) -> None:
    server = start_server(tmp_path / "srv",
                          extra_env={"WBSERVER_STORAGE_REGIONS": "minio-local,eu-west"})
    try:
        client = Client(server=server, root=tmp_path / "client", python=wandb_python)
        out, _ = client.script("artifact_storage.py", {
            "project": "regions", "name": "near", "run_id": "near1", "region": "minio-local",
            "files": {"test.txt": "test data\n", "sub/b.txt": "bravo\n"}})
        assert out["error"] is None, out
        assert out["storage_region"] == "minio-local"
        assert out["downloaded"] == {"test.txt": "test data\n", "sub/b.txt": "bravo\n"}
        md5 = hashlib.md5(b"test data\n").hexdigest()
        assert out["storage_paths"]["test.txt"] == f"wandb_artifacts/md5/{md5[:2]}/{md5}"
        keys = _content_keys(server.data_dir / "files")
        assert len(keys["wandb_artifacts"]) == 2 and not keys["artifacts"]
        assert keys["manifests"] and all(k.startswith("artifacts/manifests/")
                                         for k in keys["manifests"])

        refused, _ = client.script("artifact_storage.py", {
            "project": "regions", "name": "far", "run_id": "far1", "region": "coreweave-us",
            "files": {"x.txt": "x\n"}})
        assert refused["error"] and "coreweave-us" in refused["error"], refused
    finally:
        server.stop()


def _older_install(root: Path) -> Path:
    """A data folder as an install before migration 0022 left it: one artifact content row
    and its bytes under artifacts/md5/."""
    data = root / "data"
    data.mkdir(parents=True)
    settings = load_settings({}, {"data_dir": str(data)})
    engine = make_engine(settings.database_url)
    md5 = hashlib.md5(OLDER).hexdigest()
    try:
        upgrade_database(engine, "0021")
        now = datetime(2026, 11, 1, 12, 0, 0)
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO artifact_blobs (md5, size, created_at, referenced_at, upload_count,"
                " store) VALUES (:md5, :size, :now, :now, 1, 'local')"),
                {"md5": md5, "size": len(OLDER), "now": now})
    finally:
        engine.dispose()
    path = Path(settings.files_dir) / "artifacts" / "md5" / md5[:2] / md5
    path.parent.mkdir(parents=True)
    path.write_bytes(OLDER)
    return root


def test_an_older_install_keeps_its_layout_and_exports_into_a_new_one(
        tmp_path: Path, wandb_python: str) -> None:
    one = start_server(_older_install(tmp_path / "one"))
    two = start_server(tmp_path / "two")
    try:
        client = Client(server=one, root=tmp_path / "client", python=wandb_python)
        files = {"a.txt": "alpha\n", "b.txt": "bravo\n"}
        first, _ = client.script("artifact_storage.py", {
            "project": "legacy", "name": "ds", "run_id": "l1", "files": files})
        assert first["error"] is None and first["downloaded"] == files, first
        md5 = hashlib.md5(b"alpha\n").hexdigest()
        assert first["storage_paths"]["a.txt"] == f"artifacts/md5/{md5[:2]}/{md5}"
        keys = _content_keys(one.data_dir / "files")
        assert not keys["wandb_artifacts"] and len(keys["artifacts"]) == 3  # OLDER's too
        # the same content again, one file changed: only that one is uploaded
        second, _ = client.script("artifact_storage.py", {
            "project": "legacy", "name": "ds", "run_id": "l2",
            "files": {**files, "b.txt": "bravo, changed\n"}})
        assert second["version"] == "v1" and second["downloaded"]["a.txt"] == "alpha\n"
        keys = _content_keys(one.data_dir / "files")
        assert not keys["wandb_artifacts"] and len(keys["artifacts"]) == 4

        export = tmp_path / "export"
        result = wbserver(one.env, "export", "--project", "alice/legacy", str(export),
                          "--data-dir", str(one.data_dir))
        assert result.returncode == 0, show(result, "wbserver export")
        result = wbserver(two.env, "import", str(export), "--data-dir", str(two.data_dir))
        assert result.returncode == 0, show(result, "wbserver import")
        moved = _content_keys(two.data_dir / "files")
        assert not moved["artifacts"] and len(moved["wandb_artifacts"]) == 3
        reader = Client(server=two, root=tmp_path / "reader", python=wandb_python)
        read, _ = reader.script("artifact_storage.py", {
            "project": "legacy", "name": "ds", "run_id": "l3",
            "files": {**files, "b.txt": "bravo, changed\n"}})
        assert read["version"] == "v1"  # the imported v1 holds the same files: no new version
        assert read["storage_paths"]["a.txt"] == f"wandb_artifacts/md5/{md5[:2]}/{md5}"
        assert read["downloaded"] == {"a.txt": "alpha\n", "b.txt": "bravo, changed\n"}
    finally:
        one.stop()
        two.stop()
