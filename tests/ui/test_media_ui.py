"""The run page's media panels and file previews in Chromium, on a run the real wandb client
filled with every media type: images (masks, boxes, class labels, captions, a group of two,
a step slider), a table with image cells, histograms, html, audio, video and the wandb.plot
custom charts. Each panel is checked by what it drew (pixels, DOM) against what was logged;
no console error, no request leaving 127.0.0.1; a screenshot of every panel kind."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from e2e.harness import RUN_RESUME_STATUS, Client, Server, graphql, start_server

from ui.conftest import ARTIFACTS
from ui.test_runs_ui import sign_in, wait_js

PASSWORD = "alice password"
MARKDOWN = ("# Notes\n\nSome **bold** and `code`, a [link](https://example.org/x).\n\n"
            "- one\n- two\n\n<script>document.title='MD-RAN'</script>"
            "<img src=x onerror=\"document.title='MD-IMG'\">\n")
YAML = "lr: 0.001\nlayers:\n  - 64\n  - 32\n"
JSON_TEXT = '{"b": [1, 2], "a": {"c": "d"}}'
CHART_KEYS = ("line_chart", "scatter_chart", "bar_chart", "hist_chart", "confusion", "roc")
MEDIA_KEYS = ("samples", "grid", "predictions", "weights", "report", "tone", "clip")


@pytest.fixture(scope="module")
def media_run(tmp_path_factory) -> Iterator[tuple[Server, dict]]:
    server = start_server(tmp_path_factory.mktemp("srv"))
    try:
        server.set_password("alice", PASSWORD)
        client = Client(server=server, root=tmp_path_factory.mktemp("client"))
        logged, _ = client.script("log_media.py", {
            "init": {"project": "media", "name": "m1"}, "steps": 3, "table_rows": 30,
            "big_rows": [28],
            "files": {"notes.md": MARKDOWN, "params.yaml": YAML, "info.json": JSON_TEXT}})
        yield server, logged
    finally:
        server.stop()


def pixel(page, selector: str, x: int, y: int) -> list[int]:
    """The RGB of image pixel (x, y) of a panel canvas (drawn scaled by an integer factor)."""
    return page.evaluate("""([sel, x, y]) => {
        const c = document.querySelector(sel);
        const s = c.width / Number(c.dataset.width);
        return Array.from(c.getContext('2d').getImageData(x * s + s / 2, y * s + s / 2, 1, 1).data)
            .slice(0, 3); }""", [selector, x, y])


def ready(key: str) -> str:
    return f"document.querySelector('[data-key=\"{key}\"] .panel-body').dataset.ready === '1'"


def shot(page, key: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator(f'[data-key="{key}"]').screenshot(path=str(ARTIFACTS / f"media-{key}.png"))


def test_every_media_panel_shows_what_was_logged(media_run, new_page):
    server, logged = media_run
    watched = new_page("media")
    page = watched.page
    sign_in(watched, server)
    page.goto(f"{server.url}/alice/media/runs/{logged['id']}#media")
    wait_js(page, "document.getElementById('media').dataset.loaded === '1'", server)
    for key in MEDIA_KEYS + CHART_KEYS:
        wait_js(page, ready(key), server)
    shown = page.evaluate("WB.media.shown")

    # images: the last step first, its colour away from mask and box, caption, box label
    # (its caption and score), the mask's and boxes' class names in the legend
    last = logged["images"][-1]
    sel = '[data-key="samples"] canvas'
    assert pixel(page, sel, 1, 1) == last["colour"]
    assert pixel(page, sel, 20, 2) != last["colour"]  # the mask (class "road") over it
    panel = page.locator('[data-key="samples"]')
    assert panel.locator("figcaption").inner_text() == last["caption"]
    assert panel.locator(".box-list li").inner_text() == f"predictions: box {last['step']} conf=0.90"
    legend = panel.locator(".media-legend").inner_text()
    assert "road" in legend and "car" in legend and "cat" in legend
    shot(page, "samples")
    panel.locator(".step-slider").fill("0")
    wait_js(page, "WB.media.shown.samples.step === 0", server)
    wait_js(page, "document.querySelector('[data-key=\"samples\"] figcaption')"
                  ".textContent === 'sample 0'", server)
    assert pixel(page, sel, 1, 1) == logged["images"][0]["colour"]
    assert "dog" not in panel.locator(".media-legend").inner_text()
    # a group of two images per step
    grid = page.locator('[data-key="grid"] figure')
    assert grid.count() == 2
    assert pixel(page, '[data-key="grid"] figure:nth-child(1) canvas', 0, 0) == [255, 0, 0]
    assert pixel(page, '[data-key="grid"] figure:nth-child(2) canvas', 0, 0) == [0, 0, 255]
    assert grid.locator("figcaption").all_inner_texts() == ["grid 0", "grid 1"]
    shot(page, "grid")

    # the table: rows as logged, image cells drawn, sort, filter, pages
    table = page.locator('[data-key="predictions"]')
    assert table.locator(".table-status").inner_text() == "30 / 30 rows · page 1 / 2"
    rows = table.locator("tbody tr")
    assert rows.count() == 25
    first = logged["table"][0]
    cells = rows.nth(0).locator("td").all_inner_texts()
    assert (int(cells[0]), cells[1], float(cells[2])) == tuple(first[:3])
    wait_js(page, "document.querySelector('[data-key=\"predictions\"] tbody img').complete", server)
    colour = page.evaluate("""() => { const img = document.querySelector(
        '[data-key="predictions"] tbody img'); const c = document.createElement('canvas');
        c.width = img.naturalWidth; c.height = img.naturalHeight; const x = c.getContext('2d');
        x.drawImage(img, 0, 0); return Array.from(x.getImageData(1, 1, 1, 1).data).slice(0, 3); }""")
    assert colour == first[3]
    shot(page, "predictions")
    table.locator("th button", has_text="score").click()
    table.locator("th button", has_text="score").click()
    assert rows.nth(0).locator("td").first.inner_text() == str(logged["table"][-1][0])
    table.locator(".table-filter").fill("dog")
    wait_js(page, "WB.media.shown.predictions.rows === 10", server)
    assert set(table.locator("tbody tr td:nth-child(2)").all_inner_texts()) == {"dog"}
    # small images came inside the table's JSON; row 28's (100x100 noise) through a signed
    # view link the page asked for with the rest of its page
    table.locator(".table-filter").fill("")
    wait_js(page, "WB.media.shown.predictions.rows === 30", server)
    table.locator("th button", has_text="id").click()  # ascending: rows 25 to 29 on page 2
    table.locator("button[aria-label='Next page']").click()
    big = '[data-key="predictions"] tbody tr:nth-child(4) img'
    wait_js(page, f"document.querySelector('{big}').complete && "
                  f"document.querySelector('{big}').naturalWidth === 100", server)
    assert "/_ui/_view/" in page.get_attribute(big, "src")
    assert page.get_attribute('[data-key="predictions"] tbody tr:nth-child(3) img',
                              "src").startswith("data:image/png;base64,")

    # histograms: the counts of every step, the latest as bars and values
    assert shown["weights"]["steps"] == [h["step"] for h in logged["histograms"]]
    assert shown["weights"]["counts"] == [h["counts"] for h in logged["histograms"]]
    counts = page.locator('[data-key="weights"] .hist-values td.num').all_text_contents()
    assert [int(c) for c in counts] == logged["histograms"][-1]["counts"]
    shot(page, "weights")

    # html in a sandboxed frame: rendered (with its inline style), its script never run
    frame_el = page.locator('[data-key="report"] iframe')
    assert frame_el.get_attribute("sandbox") == ""
    frame = frame_el.element_handle().content_frame()
    assert frame is not None
    assert frame.locator("h1").inner_text() == "Media report"
    assert frame.title() != "SCRIPT-RAN"
    assert frame.locator("p").evaluate("p => getComputedStyle(p).color") == "rgb(200, 0, 0)"
    assert frame.evaluate("() => document.scripts.length") == 0
    shot(page, "report")

    # audio plays in the browser's player (its duration read from the file), video (a GIF)
    duration = page.evaluate("document.querySelector('[data-key=\"tone\"] audio').duration")
    assert abs(duration - 0.5) < 0.01
    assert page.evaluate("document.querySelector('[data-key=\"clip\"] img').naturalWidth") == 16
    # images, masks, boxes, audio and video came through the signed view links that came
    # with their values: no permission check per file
    fetched = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    viewed = [u for u in fetched if "/_ui/_view/runs/" in u]
    assert any("/media/images/" in u for u in viewed) and any("/media/audio/" in u for u in viewed)
    assert not [u for u in fetched if f"/runs/{logged['id']}/file/media/" in u]
    shot(page, "tone")
    shot(page, "clip")

    # custom charts: the preset drawn from the logged table's rows
    assert shown["line_chart"]["specId"] == "wandb/line/v0"
    assert [[r["x"], r["y"]] for r in shown["line_chart"]["rows"]] == logged["line"]
    assert [[r["class"], r["accuracy"]] for r in shown["bar_chart"]["rows"]] == logged["bars"]
    assert shown["confusion"]["specId"] == "wandb/confusion_matrix/v1"
    assert sum(r["nPredictions"] for r in shown["confusion"]["rows"]) == 5
    assert shown["roc"]["specId"] == "wandb/area-under-curve/v0"
    for key in CHART_KEYS:
        painted = page.evaluate("""key => { const c = document.querySelector(
            `[data-key="${key}"] canvas`); const d = c.getContext('2d').getImageData(
            0, 0, c.width, c.height).data; let n = 0; for (let i = 3; i < d.length; i += 4)
            if (d[i] > 0) n++; return n; }""", key)
        assert painted > 1000, key
        shot(page, key)

    # no placeholders left: the summary links to the panels
    text = page.inner_text("body")
    assert "(table-file)" not in text and "(images/separated)" not in text
    assert page.locator('#summary-table a[href="#media-predictions"]').count() == 1
    watched.shot("page")

    # a phone: the panels fit the width (wide tables and charts scroll inside their panel)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    wait_js(page, "document.getElementById('media').dataset.loaded === '1'", server)
    for key in MEDIA_KEYS + CHART_KEYS:
        wait_js(page, ready(key), server)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    page.locator("#media").screenshot(path=str(ARTIFACTS / "media-phone.png"))
    watched.check_clean()


def test_file_previews_show_text_json_yaml_images_and_safe_markdown(media_run, new_page):
    server, logged = media_run
    watched = new_page("preview")
    page = watched.page
    sign_in(watched, server)
    page.goto(f"{server.url}/alice/media/runs/{logged['id']}#files")
    preview = page.locator("#file-preview")

    def open_preview(name: str) -> None:
        page.locator(f'#files-table tr[data-name="{name}"] button.preview').click()
        wait_js(page, f"document.querySelector('#file-preview h3')?.textContent === {json.dumps(name)}"
                      " && document.querySelector('#file-preview h3').nextElementSibling", server)

    open_preview("notes.md")
    assert preview.locator("h3").nth(1).inner_text() == "Notes"
    assert preview.locator("strong").inner_text() == "bold"
    assert preview.locator("li").all_inner_texts() == ["one", "two"]
    link = preview.locator("a")
    assert link.get_attribute("href") == "https://example.org/x"
    assert "noreferrer" in (link.get_attribute("rel") or "")
    assert "<script>" in preview.inner_text()  # raw HTML shows as text
    assert preview.locator("script, img").count() == 0
    assert page.title() not in ("MD-RAN", "MD-IMG")
    preview.screenshot(path=str(ARTIFACTS / "media-preview-markdown.png"))
    open_preview("params.yaml")
    assert preview.locator("pre").inner_text() == YAML
    open_preview("info.json")
    assert json.loads(preview.locator("pre").inner_text()) == json.loads(JSON_TEXT)
    preview.screenshot(path=str(ARTIFACTS / "media-preview-json.png"))
    assert preview.locator("pre").inner_text().startswith('{\n  "b"')
    # an image under media/images/: its folders open in the files tree first
    name = page.evaluate("JSON.parse(document.getElementById('files-data').textContent)"
                         ".files.map(f => f[0]).find(n => n.endsWith('.png'))")
    parts = name.split("/")
    for depth in range(1, len(parts)):
        folder = "/".join(parts[:depth])
        page.locator(f'#files-table tr.folder[data-path="{folder}"] .tree-toggle').click()
    open_preview(name)
    wait_js(page, "document.querySelector('#file-preview img').naturalWidth > 0", server)
    preview.screenshot(path=str(ARTIFACTS / "media-preview-image.png"))
    watched.check_clean()


def test_a_runs_html_is_inline_only_in_a_frame_and_never_active(media_run, new_page):
    """The html endpoint: a frame's request gets the HTML under a sandbox policy (no
    scripts, no same origin); anything else, e.g. the link opened in a tab, the inert
    attachment that every user file is."""
    server, logged = media_run
    watched = new_page("html")
    page = watched.page
    sign_in(watched, server)
    base = f"{server.url}/_ui/alice/media/runs/{logged['id']}"
    values = page.request.get(f"{base}/media/values?key=report").json()
    url = f"{base}/html/{values['values'][0]['value']['path']}"
    framed = page.request.get(url, headers={"Sec-Fetch-Dest": "iframe"})
    assert framed.headers["content-type"].startswith("text/html")
    policy = framed.headers["content-security-policy"]
    assert policy.startswith("sandbox;") and "allow-" not in policy and "script-src" not in policy
    assert b"<script" not in framed.body() and b"Media report" in framed.body()
    plain = page.request.get(url)
    assert plain.headers["content-disposition"].startswith("attachment")
    assert plain.headers["content-type"] == "application/octet-stream"
    body = logged["html"].split("<body>")[1].encode()  # the client adds to the head
    assert body in plain.body()  # the bytes as logged, script included
    with page.expect_download():
        page.evaluate("url => { location.href = url; }", url)


def test_media_keys_are_panels_in_the_workspace(media_run, new_page):
    """The project workspace shows each media key and custom chart as a panel per shown run,
    drawn by the run page's renderers: the image's pixels, the histogram's counts, the chart
    painted; the panel says how many runs it shows."""
    server, logged = media_run
    watched = new_page("workspace-media")
    page = watched.page
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(watched, server)
    page.goto(f"{server.url}/alice/media")
    wait_js(page, "document.body.dataset.loaded === '1'", server)
    run = logged["id"]

    def panel(panel_id: str) -> str:
        selector = f'.panel[data-panel="{panel_id}"]'
        page.locator(selector).scroll_into_view_if_needed()
        wait_js(page, f"document.querySelector('{selector} > div').dataset.ready === '1'", server)
        return selector

    samples = panel("media:samples")
    assert page.locator(f"{samples} .media-run").evaluate("el => el.dataset.run") == run
    canvas = f'{samples} .media-run[data-run="{run}"] canvas'
    assert page.locator(canvas).count() == 1, page.inner_html(samples)
    last = logged["images"][-1]
    assert pixel(page, canvas, 1, 1) == last["colour"]
    assert page.locator(f"{samples} .step-slider").count() == 1
    page.locator(f"{samples} .step-slider").evaluate(
        "el => { el.value = '0'; el.dispatchEvent(new Event('input')); }")
    wait_js(page, "WB.media.shown.samples.step === 0", server)
    assert pixel(page, canvas, 1, 1) == logged["images"][0]["colour"]
    assert page.locator(f"{samples} .media-cap").inner_text().startswith("1 of 1")

    weights = panel("media:weights")
    counts = page.locator(f"{weights} .hist-values td.num").all_text_contents()
    assert [int(c) for c in counts] == logged["histograms"][-1]["counts"]
    assert page.evaluate("WB.media.shown.weights.counts") == \
        [h["counts"] for h in logged["histograms"]]

    chart = panel("chart:line_chart")
    painted = page.evaluate("""sel => { const c = document.querySelector(sel + ' canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }""", chart)
    assert painted > 1000
    # a chart's table is the chart's, not a panel of its own; no placeholder left
    ids = page.eval_on_selector_all(".panel", "els => els.map(e => e.dataset.panel)")
    assert "media:line_chart_table" not in ids
    for key in ("predictions", "report", "tone", "clip"):
        panel(f"media:{key}")
    assert "no viewer yet" not in page.inner_text("body")
    page.locator(samples).screenshot(path=str(ARTIFACTS / "workspace-media-image.png"))
    page.locator(weights).screenshot(path=str(ARTIFACTS / "workspace-media-histogram.png"))
    watched.check_clean()


def test_run_edits_and_delete_with_undo(media_run, new_page):
    """A project writer renames a run, sets its tags and notes on the run page (the API then
    reads them), deletes it, undoes, and deletes it for good. Last in this module: it runs on
    a run of its own, made as the client makes one (upsertBucket)."""
    server, _logged = media_run
    graphql(server, "mutation { upsertBucket(input: {entityName: \"alice\", modelName: "
                    "\"media\", name: \"edit1\", displayName: \"before\"}) { bucket { id } } }")

    def read() -> dict | None:
        return graphql(server, RUN_RESUME_STATUS, {"project": "media", "entity": "alice",
                                                   "name": "edit1"})["model"]["bucket"]

    watched = new_page("run-edit")
    page = watched.page
    sign_in(watched, server)
    page.goto(f"{server.url}/alice/media/runs/edit1")
    page.click("#run-edit > summary")
    page.fill("#edit-name", "after <b>")
    page.fill("#edit-tags", "red, blue ,red")
    page.fill("#edit-notes", "line 1\nline 2")
    page.click("#run-edit-form button[type=submit]")
    wait_js(page, "document.body.dataset.edited === '1'", server)
    assert page.inner_text(".title-row h1") == "after <b>"
    assert page.eval_on_selector_all("#overview-tags .tag", "els => els.map(e => e.textContent)") \
        == ["red", "blue"]
    assert page.inner_text("#overview-notes") == "line 1\nline 2"
    run = read()
    assert run is not None
    assert (run["displayName"], run["tags"], run["notes"]) == ("after <b>", ["red", "blue"],
                                                               "line 1\nline 2")
    page.fill("#edit-name", "")
    page.locator("#edit-name").evaluate("el => el.removeAttribute('required')")
    page.click("#run-edit-form button[type=submit]")
    wait_js(page, "document.getElementById('run-edit-status').textContent.includes('name')",
            server)
    assert watched.errors == [  # the refused save, as the browser logs any 400
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"]
    watched.errors.clear()

    page.evaluate("WB.undoSeconds = 2")
    page.click("#run-delete")
    assert page.is_visible("#run-undo")
    assert "2" in page.inner_text("#run-undo-text")
    page.click("#run-undo-button")
    assert page.is_hidden("#run-undo")
    page.wait_for_timeout(2500)
    assert read() is not None  # undone: nothing was sent
    page.click("#run-delete")
    page.wait_for_url(f"{server.url}/alice/media", timeout=15000)
    assert read() is None
    watched.check_clean()


def test_run_overview_shows_what_the_client_sent(media_run, new_page, tmp_path):
    """A real client run from a git checkout with a GitHub remote and an uncommitted change:
    the overview shows its OS, Python, command and arguments, the remote (no credentials)
    with the commit linked on GitHub, the client's diff.patch, CPU and memory from
    wandb-metadata.json; system charts carry units."""
    import subprocess

    server, _logged = media_run
    client = Client(server=server, root=tmp_path, extra_env={"WANDB_DISABLE_GIT": "false",
                                                          "WANDB_DISABLE_CODE": "false"})
    work = client.workdir

    def git(*args: str) -> str:
        return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org",
                               *args], cwd=work, check=True, capture_output=True,
                              text=True).stdout.strip()

    git("init", "-q")
    git("remote", "add", "origin", "https://someone:s3cret@github.com/example/project.git")
    (work / "train.txt").write_text("one\n")
    git("add", "train.txt")
    git("commit", "-q", "-m", "first")
    commit = git("rev-parse", "HEAD")
    (work / "train.txt").write_text("one\ntwo\n")  # uncommitted: the client sends diff.patch
    out, _ = client.script("log_run.py", {
        "init": {"project": "media", "name": "envrun"}, "steps": 20,
        "console": True, "settings": {"x_stats_sampling_interval": 0.1, "save_code": True}})
    watched = new_page("run-env")
    page = watched.page
    sign_in(watched, server)
    page.goto(f"{server.url}/alice/media/runs/{out['id']}")
    version = subprocess.run([client.python, "-c", "import platform; print("
                              "platform.python_version())"], capture_output=True, text=True,
                             check=True).stdout.strip()
    assert version in page.inner_text("#env-python")
    assert "Linux" in page.inner_text("#env-os")
    command = page.inner_text("#env-command")
    assert "log_run.py" in command and ".spec.json" in command  # the script and its arguments
    git_text = page.inner_text("#env-git")
    assert "github.com/example/project" in git_text and "s3cret" not in page.content()
    assert page.get_attribute("#env-commit", "href") == \
        f"https://github.com/example/project/commit/{commit}"
    files = page.eval_on_selector_all("#files-table tr[data-name]", "els => els.map(e => e.dataset.name)")
    assert "diff.patch" in files, files
    diff = page.get_attribute("#env-diff", "href")
    assert diff
    patch = page.request.get(diff if diff.startswith("http") else server.url + diff)
    assert patch.ok and b"+two" in patch.body()
    assert "cores" in page.inner_text("#env-cpu")
    assert page.inner_text("#env-memory").endswith(" GB")
    wait_js(page, "document.querySelector('#system-charts figure h3')", server)
    titles = page.eval_on_selector_all("#system-charts figure h3",
                                       "els => els.map(e => e.textContent)")
    assert any(t.startswith("system.cpu") and t.endswith("(%)") for t in titles), titles
    assert any(t.endswith("(MB)") for t in titles), titles
    page.locator("#overview").screenshot(path=str(ARTIFACTS / "run-overview-environment.png"))
    watched.check_clean()
