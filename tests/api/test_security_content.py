"""User content never runs as a page of this origin; every response carries the security
headers (issue #18, items 1 and 8).

A user's bytes leave the server by three routes: /files/<e>/<p>/<r>/<name> (Basic auth),
/artifactsV2/... (Basic auth) and /storage/<key> (signed URL: the run page's and the
client's directUrl). Each answers as an attachment under a `sandbox` policy (no scripts, an
opaque origin), of an inert type, with nosniff, whatever the name or the bytes; the bytes
are the ones uploaded."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

import pytest

from api.artifact_flow import local, log_version
from wbserver.domain.artifact_storage import content_key
from wbserver.domain.files import run_file_key

CREATE = """mutation CreateRunFiles($entity: String!, $project: String!, $run: String!, $files: [String!]!) {
  createRunFiles(input: {entityName: $entity, projectName: $project, runName: $run, files: $files}) {
    runID files { name uploadUrl } } }"""
LIST = """query RunFiles($project: String!, $entity: String!, $name: String!) {
  project(name: $project, entityName: $entity) { run(name: $name) {
    files(names: [], first: 50) { edges { node { name url directUrl } } } } } }"""

SCRIPT = b"<script>document.title='pwned';fetch('/system-admin/users')</script>"
FILES = {
    "report.html": b"<!doctype html><html><body>" + SCRIPT + b"</body></html>",
    "media/html/h_0_abc.html": b"<html>" + SCRIPT + b"</html>",
    "pic.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "feed.xml": b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml">'
                + SCRIPT + b"</html>",
    "code.js": b"fetch('/system-admin/users')",
    "style.css": b"body { background: url(/x) }",
    "noext": b"<html>" + SCRIPT + b"</html>",
    "fake.png": b"<html>" + SCRIPT + b"</html>",
    "page.htm": b"<html>" + SCRIPT + b"</html>",
    'we"ird \u00e9.html': b"<html>" + SCRIPT + b"</html>",
    "real.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
}
DANGEROUS = ("html", "svg", "xml", "javascript", "ecmascript", "css", "xhtml")


def assert_user_content(response, body: bytes) -> None:
    """The shape every response carrying a user's bytes must have."""
    assert response.status_code == 200, response.text
    assert response.content == body  # byte for byte
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    policy = headers["content-security-policy"]
    directives = [d.strip() for d in policy.split(";")]
    assert "sandbox" in directives, policy  # no allow-scripts, no allow-same-origin
    assert "allow-" not in policy and "frame-ancestors 'none'" in directives, policy
    assert headers["content-disposition"].startswith("attachment;"), headers
    kind = headers["content-type"].lower()
    assert not any(word in kind for word in DANGEROUS), kind


def test_filenames_are_attachments_with_inert_types_only():
    from wbserver.http.user_content import content_disposition, content_type

    assert content_type("a/b/c.png") == "image/png"
    assert content_type("log.txt") == "text/plain"
    assert content_type("data.csv.gz") == "application/octet-stream"
    for name in ("r.html", "r.HTM", "p.svg", "x.xml", "x.xhtml", "c.js", "c.mjs", "s.css",
                 "noext", "p.pdf", ".html"):
        assert content_type(name) == "application/octet-stream", name
    assert content_disposition("media/a b.html") == (
        "attachment; filename=\"a b.html\"; filename*=UTF-8''a%20b.html")
    header = content_disposition('x"y\r\nz\u00e9.txt')
    assert "\r" not in header and "\n" not in header and header.count('"') == 2
    assert header.endswith("filename*=UTF-8''x%22y%0D%0Az%C3%A9.txt")


def _upload_run_files(api) -> dict[str, dict[str, str]]:
    api.upsert("r1")
    created = api.gql(CREATE, entity="alice", project="proj", run="r1",
                      files=list(FILES))["data"]["createRunFiles"]
    for f in created["files"]:
        put = api.client.put(local(f["uploadUrl"]), content=FILES[f["name"]])
        assert put.status_code == 200, put.text
    run = api.gql(LIST, project="proj", entity="alice", name="r1")["data"]["project"]["run"]
    return {e["node"]["name"]: e["node"] for e in run["files"]["edges"]}


@pytest.mark.parametrize("route", ["files", "storage", "storage-streamed"])
def test_run_files_never_run_as_pages_of_this_origin(api, route, monkeypatch):
    nodes = _upload_run_files(api)
    assert set(nodes) == set(FILES)
    if route == "storage-streamed":  # as from a bucket in proxy mode: streamed, not a file
        blobs = api.client.app.state.services.blobs
        monkeypatch.setattr(blobs, "local_path", lambda _key: None)
    for name, body in FILES.items():
        if route == "files":
            response = api.client.get(local(nodes[name]["url"]), headers=api.headers())
        else:
            response = api.client.get(local(nodes[name]["directUrl"]))
        assert_user_content(response, body)


def test_storage_head_carries_the_same_headers(api):
    nodes = _upload_run_files(api)
    response = api.client.head(local(nodes["report.html"]["directUrl"]))
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"].startswith("sandbox")
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["content-type"] == "application/octet-stream"
    for ranges in ("bytes=0-5", "bytes=0-5,10-20"):  # 206 answers keep the same headers
        part = api.client.get(local(nodes["report.html"]["directUrl"]),
                              headers={"Range": ranges})
        assert part.status_code == 206
        assert part.headers["content-security-policy"].startswith("sandbox")
        assert part.headers["content-disposition"].startswith("attachment;")
        assert part.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("streamed", [False, True])
def test_artifact_files_never_run_as_pages_of_this_origin(api, streamed, monkeypatch):
    api.upsert("r1")
    logged = log_version(api, "data", FILES)
    services = api.client.app.state.services
    if streamed:
        monkeypatch.setattr(services.blobs, "local_path", lambda _key: None)
    for name, body in FILES.items():
        md5 = hashlib.md5(body).hexdigest()
        base = quote(name.rsplit("/", 1)[-1])  # the client sends the base name
        path = f"/artifactsV2/default/alice/proj/data/{logged['id']}/{md5}/{base}"
        assert_user_content(api.client.get(path, headers=api.headers()), body)
        signed = services.blobs.download_url(content_key(md5, services.store.artifact_layout()), base_url="http://testserver",
                                             expires_in=60)
        assert_user_content(api.client.get(local(signed)), body)


def test_the_run_page_links_files_to_attachment_urls(api):
    """The run page's file links (signed /storage URLs) lead to the same safe answers."""
    nodes = _upload_run_files(api)
    store = api.client.app.state.services.store
    from wbserver.domain.models import RunKey

    run = store.get_run(RunKey("alice", "proj", "r1"))
    services = api.client.app.state.services
    url = services.blobs.download_url(run_file_key(run.id, "report.html"),
                                      base_url="http://testserver", expires_in=60)
    assert local(url).split("?")[0] == local(nodes["report.html"]["directUrl"]).split("?")[0]
    assert_user_content(api.client.get(local(url)), FILES["report.html"])


# item 8: every response -------------------------------------------------------------------

def assert_app_headers(response) -> None:
    headers = response.headers
    assert headers.get("x-content-type-options") == "nosniff", (response.url, headers)
    assert headers.get("referrer-policy") in ("same-origin", "no-referrer"), headers
    policy = headers.get("content-security-policy", "")
    directives = {d.strip().split(" ")[0]: d.strip() for d in policy.split(";") if d.strip()}
    assert directives.get("frame-ancestors") == "frame-ancestors 'none'", policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, policy
    assert directives.get("script-src") == "script-src 'self'", policy
    assert directives.get("object-src") == "object-src 'none'", policy
    assert "base-uri" in directives, policy


def test_every_response_carries_the_security_headers(api):
    client = api.client
    answers = [
        client.get("/login"),
        client.get("/setup", follow_redirects=False),
        client.get("/", follow_redirects=False),
        client.get("/system-admin", follow_redirects=False),
        client.get("/system-admin/users", follow_redirects=False),
        client.get("/alice/proj", follow_redirects=False),
        client.get("/static/app.css"),
        client.get("/static/ui/run.js"),
        client.get("/favicon.ico", follow_redirects=False),
        client.get("/healthz"),
        client.get("/no/such/page/at/all/here"),
        client.post("/graphql", json={"query": "{ viewer { username } }"},
                    headers=api.headers()),
        client.post("/graphql", json={"query": "{ viewer { username } }"}),
        client.get("/files/alice/proj/r1/missing.txt"),
        client.get("/storage/runs/1/x.html?exp=1&sig=bad"),
        client.get("/artifactsV2/default/alice/proj/data/1/2/3/x.html"),
        client.get("/_ui/alice/proj/runs"),
        client.post("/login", data={"username": "alice", "password": "wrong"}),
    ]
    for response in answers:
        assert_app_headers(response)
    assert client.get("/static/ui/run.js").headers["content-type"].startswith(
        ("text/javascript", "application/javascript"))


def test_a_handlers_own_policy_is_kept(api):
    """User content keeps its sandbox policy: the middleware adds, never overrides."""
    nodes = _upload_run_files(api)
    response = api.client.get(local(nodes["pic.svg"]["directUrl"]))
    assert response.headers.get_list("content-security-policy") == [
        "sandbox; default-src 'none'; frame-ancestors 'none'"]
    assert response.headers.get_list("x-content-type-options") == ["nosniff"]
    assert response.headers["referrer-policy"] == "same-origin"
