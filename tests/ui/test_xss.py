"""The stored-XSS proof of issue #18, item 1, in Chromium.

An ordinary user (mallory) logs a run with the real wandb client: `report.html` and
`evil.svg` saved with `wandb.save`, and a `wandb.Html` (saved by the client as
`media/html/*.html`). Each file's script tries what the issue describes: read the CSRF token
from /system-admin/users, POST mallory to admin, and leave markers (`document.title`, a
request to /xss-marker/...). The admin (alice), signed in, opens each file's link, as the
run page and the client's directUrl give it. No script may run in the server's origin and
mallory must not be admin afterwards; the download still holds the exact bytes.

A second pass forces the browser to render each file inline as HTML/SVG (Content-Disposition
removed, type replaced, every other header kept): the sandbox policy alone must then keep
the page in an opaque origin with scripts off."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from e2e.harness import Client, Server, basic_auth, start_server
from playwright.sync_api import Error as PlaywrightError

from ui.conftest import wait_until
from ui.test_runs_ui import sign_in

PASSWORD = "alice password"
ATTACK = """
document.title = "XSS-RAN";
fetch("/xss-marker/ran?origin=" + encodeURIComponent(location.origin));
fetch("/xss-marker/cookie?c=" + encodeURIComponent(document.cookie));
fetch("/system-admin/users").then(function (r) { return r.text(); }).then(function (page) {
  var token = page.match(/name="csrf_token" value="([^"]+)"/)[1];
  fetch("/xss-marker/token");
  return fetch("/system-admin/users/mallory/make-admin", {method: "POST",
    body: new URLSearchParams({csrf_token: token})});
}).then(function (r) { fetch("/xss-marker/posted?status=" + r.status); });
"""
HTML = f"<!doctype html><html><head><title>report</title></head><body><p>Q3 report</p>" \
       f"<script>{ATTACK}</script></body></html>"
SVG = f'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">' \
      f'<rect width="100" height="100" fill="red"/><script><![CDATA[{ATTACK}]]></script></svg>'
FILES = {"report.html": HTML, "evil.svg": SVG}
FILES_QUERY = """query RunFiles($project: String!, $entity: String!, $name: String!) {
  project(name: $project, entityName: $entity) { run(name: $name) {
    files(names: [], first: 50) { edges { node { name directUrl } } } } } }"""


@pytest.fixture(scope="module")
def attacked(tmp_path_factory) -> dict:
    """A server where mallory (no admin) logged the three files; their links and bytes."""
    server = start_server(tmp_path_factory.mktemp("srv"))
    try:
        server.set_password("alice", PASSWORD)
        server.create_user("mallory", "mallory@example.com")
        key = server.create_key("mallory")
        client = Client(server=server, root=tmp_path_factory.mktemp("mallory"), api_key=key)
        logged, _ = client.script("log_run.py", {
            "init": {"project": "reports", "name": "q3"}, "steps": 1, "html": HTML,
            "save": [{"name": name, "content": text} for name, text in FILES.items()]})
        files = _files(server, key, logged["id"])
        assert {"report.html", "evil.svg"} <= set(files), files
        html_media = [n for n in files if n.startswith("media/html/") and n.endswith(".html")]
        assert len(html_media) == 1, files
        links = {name: files[name] for name in ("report.html", "evil.svg", html_media[0])}
        bodies = {name: httpx.get(url, timeout=30).content for name, url in links.items()}
        assert bodies["report.html"] == HTML.encode() and bodies["evil.svg"] == SVG.encode()
        assert b"XSS-RAN" in bodies[html_media[0]]
        yield {"server": server, "links": links, "bodies": bodies, "run": logged["id"]}
    finally:
        server.stop()


def _files(server: Server, key: str, run: str) -> dict[str, str]:
    response = httpx.post(server.url + "/graphql", headers=basic_auth(key), timeout=30, json={
        "query": FILES_QUERY, "variables": {"entity": "mallory", "project": "reports",
                                            "name": run}})
    assert response.status_code == 200, response.text
    edges = response.json()["data"]["project"]["run"]["files"]["edges"]
    return {e["node"]["name"]: e["node"]["directUrl"] for e in edges}


def _mallory_flags(server: Server) -> str:
    for line in server.cli("users", "list").stdout.splitlines():
        name, _email, flags = (line.split("\t") + [""])[:3]
        if name == "mallory":
            return flags
    raise AssertionError("mallory is not listed")


def _admin_context(browser, server: Server, new_page):
    watched = new_page("admin")
    sign_in(watched, server)
    markers: list[str] = []
    watched.page.context.on("request", lambda r: markers.append(r.url)
                            if "/xss-marker/" in r.url else None)
    return watched, markers


def _link(attacked: dict, kind: str) -> tuple[str, str]:
    """(name, link) of report.html, evil.svg or the wandb.Html media file."""
    return next((n, u) for n, u in attacked["links"].items()
                if n == kind or (kind == "media" and n.startswith("media/")))


@pytest.mark.parametrize("kind", ["report.html", "evil.svg", "media"])
def test_an_uploaded_file_opened_by_the_admin_runs_no_script(attacked, browser, new_page, kind):
    server = attacked["server"]
    watched, markers = _admin_context(browser, server, new_page)
    page = watched.page
    downloads: list = []
    page.on("download", lambda d: downloads.append(d))
    name, url = _link(attacked, kind)
    try:
        page.goto(url)
    except PlaywrightError as exc:  # the file is an attachment: a download, no page
        assert "Download is starting" in str(exc) or "ERR_ABORTED" in str(exc), exc
    page.wait_for_timeout(1500)  # time for a script, had one run, to call home
    assert not markers, f"{name}: script ran in the server's origin: {markers}"
    assert page.title() != "XSS-RAN", name
    assert len(downloads) == 1, "the file was not offered as a download"
    assert Path(downloads[0].path()).read_bytes() == attacked["bodies"][name], name
    assert "admin" not in _mallory_flags(server)


@pytest.mark.parametrize("as_type", ["text/html", "image/svg+xml"])
def test_even_rendered_inline_the_sandbox_keeps_scripts_out(attacked, browser, new_page,
                                                             as_type):
    """Were a browser to render the file (no Content-Disposition, a renderable type), the
    server's sandbox policy still gives it an opaque origin and no scripts."""
    server = attacked["server"]
    watched, markers = _admin_context(browser, server, new_page)
    page = watched.page
    seen: dict[str, dict[str, str]] = {}

    def render_inline(route) -> None:  # type: ignore[no-untyped-def]
        response = route.fetch()
        headers = {k: v for k, v in response.headers.items()
                   if k.lower() not in ("content-disposition", "content-type")}
        headers["content-type"] = as_type
        seen[route.request.url] = headers
        route.fulfill(status=response.status, headers=headers, body=response.body())

    page.route("**/storage/**", render_inline)
    kinds = ["evil.svg"] if as_type == "image/svg+xml" else ["report.html", "media"]
    for kind in kinds:
        _name, url = _link(attacked, kind)
        page.goto(url)
        page.wait_for_timeout(1500)
        assert url in seen, "the route did not intercept the file"
        assert not markers, f"script ran in the server's origin: {markers}"
        assert page.evaluate("() => window.origin") == "null", "not an opaque origin"
        assert page.evaluate("() => { try { document.cookie; return 'read'; }"
                             " catch (e) { return 'refused'; } }") == "refused"
        status = page.evaluate("() => fetch('/system-admin/users').then("
                               "r => String(r.status), () => 'refused')")
        assert status == "refused", "the file's page could fetch /system-admin/users"
        assert page.title() != "XSS-RAN"
    assert "admin" not in _mallory_flags(server)


def test_the_run_pages_html_panel_runs_no_script(attacked, browser, new_page):
    """The run page shows mallory's wandb.Html in a frame. The server drops its scripts, but
    here the frame gets the file as logged, script and all (the server's headers kept): the
    frame's sandbox (the attribute and the response's policy) alone must keep it inert."""
    server = attacked["server"]
    watched, markers = _admin_context(browser, server, new_page)
    page = watched.page
    raw = next(body for name, body in attacked["bodies"].items() if name.startswith("media/"))
    api = f"{server.url}/_ui/mallory/reports/runs/{attacked['run']}"
    path = page.request.get(f"{api}/media/values?key=report").json()["values"][0]["value"]["path"]
    framed = page.request.get(f"{api}/html/{path}", headers={"Sec-Fetch-Dest": "iframe"})
    headers = dict(framed.headers)
    assert headers["content-security-policy"].startswith("sandbox;")
    assert b"xss-marker" not in framed.body()  # the server's copy has no script
    headers.pop("content-length", None)
    page.route("**/html/**", lambda route: route.fulfill(status=200, headers=headers, body=raw))
    page.goto(f"{server.url}/mallory/reports/runs/{attacked['run']}#media")
    wait_until(page, "document.querySelector('[data-key=\"report\"] .panel-body')"
                     ".dataset.ready === '1'")
    page.wait_for_timeout(1500)  # time for a script, had one run, to call home
    frame = page.locator('[data-key="report"] iframe').element_handle().content_frame()
    assert frame is not None and "Q3 report" in frame.content() and "xss-marker" in frame.content()
    assert frame.evaluate("() => window.origin") == "null", "not an opaque origin"
    assert not markers, f"script ran: {markers}"
    assert page.title() != "XSS-RAN" and frame.title() != "XSS-RAN"
    assert "admin" not in _mallory_flags(server)
