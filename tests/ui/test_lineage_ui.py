"""The lineage graph and the files tree in Chromium, on runs and artifacts the real wandb
client logged in a chain: run A logs the dataset `corpus` → run B uses it and logs the model
`net` → run C uses `net`. The graph shows every node on the artifact and run pages and its
nodes lead to their pages; the files trees open nested folders and keep the Preview button;
no console error, no request leaving 127.0.0.1; screenshots of both."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from e2e.harness import Client, Server, start_server

from ui.conftest import ARTIFACTS
from ui.test_runs_ui import PASSWORD, sign_in, wait_js

YAML = "lr: 0.5\n"
CHAIN = {"project": "chain", "runs": [
    {"name": "A", "files": {"notes/readme.md": "# Read me\n", "notes/deep/params.yaml": YAML,
                            "top.txt": "top\n"},
     "log": {"name": "corpus", "type": "dataset",
             "files": {"train/a.txt": "a", "train/b.txt": "bb", "test/c.txt": "ccc"}}},
    {"name": "B", "use": ["corpus:latest"],
     "log": {"name": "net", "type": "model", "files": {"weights/w.txt": "w"}}},
    {"name": "C", "use": ["net:latest"]},
]}
NODES = {"A", "corpus:v0", "B", "net:v0", "C"}


@pytest.fixture(scope="module")
def chain(tmp_path_factory) -> Iterator[tuple[Server, dict]]:
    server = start_server(tmp_path_factory.mktemp("srv"))
    try:
        server.set_password("alice", PASSWORD)
        client = Client(server=server, root=tmp_path_factory.mktemp("client"))
        ids, _ = client.script("lineage_chain.py", CHAIN)
        yield server, ids
    finally:
        server.stop()


def graph_labels(page) -> set[str]:
    return set(page.eval_on_selector_all("#lineage-graph a.lineage-node",
                                         "els => els.map(e => e.dataset.label)"))


def tree_rows(page) -> list[str]:
    """The tree's rows as shown: a folder's path with "/", a file's path."""
    return page.eval_on_selector_all(
        "#files-table tbody tr", "rows => rows.map(r => r.dataset.path !== undefined ?"
        " r.dataset.path + '/' : r.dataset.name)")


def toggle(page, path: str) -> None:
    page.locator(f'#files-table tr.folder[data-path="{path}"] .tree-toggle').click()


def test_lineage_graph_on_artifact_and_run_pages_leads_to_each_node(chain, new_page):
    server, ids = chain
    watched = new_page("lineage")
    page = watched.page
    sign_in(watched, server)
    page.goto(f"{server.url}/alice/chain/artifacts/dataset/corpus/v0")
    wait_js(page, "document.getElementById('lineage').dataset.loaded === '1'", server)
    assert graph_labels(page) == NODES
    assert page.locator("#lineage-graph a.lineage-start").get_attribute("data-label") == "corpus:v0"
    assert page.locator("#lineage-graph path.lineage-edge").count() == 4
    # upstream left of the version, downstream right of it, in hop order
    xs = {label: page.locator(f'#lineage-graph a[data-label="{label}"] rect').get_attribute("x")
          for label in NODES}
    assert float(xs["A"]) < float(xs["corpus:v0"]) < float(xs["B"]) < float(xs["net:v0"]) \
        < float(xs["C"])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator("#lineage").screenshot(path=str(ARTIFACTS / "lineage-artifact.png"))

    # the version's files: two folders, opened lazily
    wait_js(page, "document.getElementById('files-table').dataset.ready === '1'", server)
    assert tree_rows(page) == ["test/", "train/"]
    assert page.locator('tr.folder[data-path="train"] td').nth(1).inner_text() == "2 files"
    toggle(page, "train")
    assert tree_rows(page) == ["test/", "train/", "train/a.txt", "train/b.txt"]
    assert page.locator('tr[data-name="train/b.txt"] a[download]').inner_text() == "b.txt"
    page.locator("#files-table").screenshot(path=str(ARTIFACTS / "files-tree-artifact.png"))

    # a click on run C opens its page, whose graph reaches back to A
    page.locator('#lineage-graph a[data-label="C"]').click()
    page.wait_for_url(f"{server.url}/alice/chain/runs/{ids['C']}")
    wait_js(page, "document.getElementById('lineage').dataset.loaded === '1'", server)
    assert graph_labels(page) == NODES - {"A"}  # three hops: net, B, corpus
    assert page.locator('#lineage-graph a.lineage-more').get_attribute("data-more") == "1"
    page.locator('#lineage-graph a[data-label="net:v0"]').click()
    page.wait_for_url(f"{server.url}/alice/chain/artifacts/model/net/v0")
    assert page.locator("h1").inner_text() == "net:v0"
    watched.check_clean()


def test_run_files_tree_opens_nested_folders_and_previews(chain, new_page):
    server, ids = chain
    watched = new_page("files")
    page = watched.page
    sign_in(watched, server)
    page.goto(f"{server.url}/alice/chain/runs/{ids['A']}#files")
    wait_js(page, "document.getElementById('files-table').dataset.ready === '1'", server)
    rows = tree_rows(page)
    assert rows[0] == "notes/" and "top.txt" in rows and "notes/readme.md" not in rows
    toggle(page, "notes")
    toggle(page, "notes/deep")
    rows = tree_rows(page)
    at = rows.index("notes/")
    assert rows[at:at + 4] == ["notes/", "notes/deep/", "notes/deep/params.yaml",
                               "notes/readme.md"]
    assert page.locator('tr.folder[data-path="notes"] td').nth(1).inner_text() == "2 files"
    page.locator('#files-table tr[data-name="notes/deep/params.yaml"] button.preview').click()
    wait_js(page, "document.querySelector('#file-preview pre')?.textContent === 'lr: 0.5\\n'",
            server)
    page.locator("#files").screenshot(path=str(ARTIFACTS / "files-tree-run.png"))
    toggle(page, "notes")
    assert not [r for r in tree_rows(page) if r.startswith("notes/") and r != "notes/"]
    # the run's artifacts section draws its lineage too
    wait_js(page, "document.getElementById('lineage').dataset.loaded === '1'", server)
    assert graph_labels(page) == NODES - {"C"}  # three hops: corpus, B, net
    page.locator("#artifacts").screenshot(path=str(ARTIFACTS / "lineage-run.png"))
    watched.check_clean()
