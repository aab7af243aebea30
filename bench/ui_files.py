"""Files tree and lineage benchmark: a run with 10,000 files (9,000 in 30 nested folders,
1,000 loose in one folder) and a lineage fan: a dataset logged by one run and used by 500 runs,
each logging a model. Prints the server's time for the run page (every file's signed link in
it) and for the lineage JSON (default limits: 3 hops, 40 nodes), and headless Chromium's time
from navigation to the files tree ready, to open the 1,000-file folder (the first 500 rows and
"show more") and to draw the lineage graph. Figures, not pass/fail.

    .venv/bin/python bench/ui_files.py [--files 10000] [--fan 500]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from ui import serve, sign_in, timed

from wbserver.app import open_store
from wbserver.config.runtime import SettingsSource
from wbserver.domain.clock import utcnow
from wbserver.domain.users import create_user
from wbserver.metadata import tables as t


def _run(store, entity_id, user_id, name):  # type: ignore[no-untyped-def]
    run, _ = store.upsert_run(entity_id=entity_id, project="bench", run_id=None, name=name,
                              user_id=user_id, mutation=lambda _r: {"name": name,
                                                                     "display_name": name})
    return run


def fill(data_dir: Path, files: int, fan: int) -> None:
    store = open_store(SettingsSource(overrides={"data_dir": str(data_dir)}).startup)
    user = create_user(store, username="alice", email="alice@example.com", is_admin=True)
    entity = store.get_entity("alice")
    assert entity is not None
    big = _run(store, entity.id, user.id, "big")
    now = utcnow()
    loose = min(1000, files // 10)
    names = [f"data/shard{i % 30:02d}/part{i:05d}.bin" for i in range(files - loose)]
    names += [f"flat/f{i:05d}.txt" for i in range(loose)]
    rows = [{"run_id": big.id, "name": n, "size_bytes": 1000 + i, "uploaded": True,
             "created_at": now, "updated_at": now, "store": "local"}
            for i, n in enumerate(names)]
    runs = [_run(store, entity.id, user.id, f"user{i:04d}") for i in range(fan)]
    with store.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(t.run_files.insert(), rows)
        ids = {}
        for type_name in ("dataset", "model"):
            ids[type_name] = conn.execute(t.artifact_types.insert().values(
                project_id=big.project_id, name=type_name, created_at=now)).inserted_primary_key[0]

        def version(name: str, type_name: str, run_id: int) -> int:
            seq = conn.execute(t.artifact_sequences.insert().values(
                project_id=big.project_id, type_id=ids[type_name], name=name, created_at=now,
                updated_at=now)).inserted_primary_key[0]
            return int(conn.execute(t.artifacts.insert().values(
                sequence_id=seq, version_index=0, state="COMMITTED", digest=name,
                created_by_run_id=run_id, pending_aliases="[]", created_at=now,
                updated_at=now)).inserted_primary_key[0])

        data = version("data", "dataset", big.id)
        for i, run in enumerate(runs):
            conn.execute(t.artifact_usages.insert().values(artifact_id=data, run_id=run.id,
                                                           created_at=now))
            version(f"model{i:04d}", "model", run.id)
    store.close()  # type: ignore[attr-defined]


TREE = "document.getElementById('files-table').dataset.ready === '1'"
GRAPH = "document.getElementById('lineage').dataset.loaded === '1'"


def wait(page, expression: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 60
    while not page.evaluate(f"() => !!({expression})"):
        if time.monotonic() > deadline:
            raise TimeoutError(expression)
        page.wait_for_timeout(5)


def browser(base: str, cookie: str) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    out: dict[str, list[float]] = {"tree": [], "open": [], "graph": []}
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, headless=True,
                              args=["--no-sandbox", "--disable-gpu"])
        context = b.new_context(viewport={"width": 1280, "height": 800})
        context.add_cookies([{"name": "wbserver_session", "value": cookie, "url": base}])
        page = context.new_page()
        for _ in range(3):
            page.goto("about:blank")
            t0 = time.perf_counter()
            page.goto(base + "/alice/bench/runs/big#files")
            wait(page, TREE)
            out["tree"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            page.click('#files-table tr.folder[data-path="flat"] .tree-toggle')
            wait(page, "document.querySelector('#files-table tr.tree-more')")
            out["open"].append(time.perf_counter() - t0)
            page.goto("about:blank")
            t0 = time.perf_counter()
            page.goto(base + "/alice/bench/artifacts/dataset/data/v0")
            wait(page, GRAPH)
            out["graph"].append(time.perf_counter() - t0)
        b.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--fan", type=int, default=500)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="wbserver-bench-files-"))
    try:
        fill(root / "data", args.files, args.fan)
        base, server = serve(root / "data")
        try:
            client = sign_in(base)
            ms, size = timed(client, "/alice/bench/runs/big")
            print(f"run page with {args.files:,} files: median {ms:.0f} ms, "
                  f"{size / 1024:.0f} KiB")
            ms, size = timed(client, "/_ui/alice/bench/artifacts/dataset/data/v0/lineage")
            print(f"lineage JSON (a dataset used by {args.fan} runs, each logging a model; "
                  f"3 hops, 40 nodes): median {ms:.0f} ms, {size / 1024:.1f} KiB")
            ms, _ = timed(client, "/_ui/alice/bench/artifacts/dataset/data/v0/lineage"
                          "?hops=6&nodes=200")
            print(f"lineage JSON at the limits (6 hops, 200 nodes): median {ms:.0f} ms")
            found = browser(base, client.cookies["wbserver_session"])
            for key, label in (("tree", "navigation to the files tree ready"),
                               ("open", f"open the {min(1000, args.files // 10)}-file folder"),
                               ("graph", "artifact page to the lineage graph drawn")):
                print(f"Chromium, {label}: median {statistics.median(found[key]) * 1000:.0f} ms "
                      f"({', '.join(f'{x * 1000:.0f}' for x in found[key])})")
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
