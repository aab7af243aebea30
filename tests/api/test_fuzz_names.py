"""Names and storage paths fuzzed in-process (issue #19): project, run and file names of any
text, and unsigned or forged /storage and /files paths, never get a 5xx; a name the server
accepts reads back exactly as written, and a file stored under it downloads byte for byte."""

from __future__ import annotations

import itertools
import os
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.postgres import on_every_database
from wbserver.app import create_app
from wbserver.config.runtime import SettingsSource

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES_API", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
# Any text the client could send: control, zero-width and direction characters, dots, slashes,
# percent signs, very long names (no lone surrogates: JSON from a client cannot carry them).
NAME = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), min_size=0, max_size=40),
    st.sampled_from(["..", ".", "../../etc/passwd", "a/../../b", "%2e%2e", "a\x00b", "a\nb",
                     "\u202egnp.exe", "\u200b", "x" * 300, "/abs", "a//b", "CON", "a\\b"]))
RUN = """query R($p: String!, $r: String!) { project(name: $p, entityName: "alice") {
  run(name: $r) { name } } }"""
FILES = """mutation F($p: String!, $r: String!, $f: [String!]!) { createRunFiles(input: {
  entityName: "alice", projectName: $p, runName: $r, files: $f}) { files { name uploadUrl } } }"""


@pytest.fixture
def app(tmp_path, database):
    """Without rate limits: the fuzz sends far more requests a second than a client does."""
    environ = {**database, "WBSERVER_RATE_LIMIT_RUN": "0", "WBSERVER_RATE_LIMIT_PROJECT": "0"}
    app = create_app(SettingsSource(environ=environ,
                                    overrides={"data_dir": str(tmp_path / "data")}))
    yield app
    app.state.services.store.close()


def _gql(api, query, **variables):
    response = api.client.post("/graphql", json={"query": query, "variables": variables},
                               headers=api.headers())
    assert response.status_code < 500, (variables, response.text)
    return response


def test_project_and_run_names_never_get_a_5xx_and_read_back_as_written(api):
    """Each example in a project of its own: runs whose names the database's collation takes
    for equal are the next test's subject."""
    counter = itertools.count()

    @FUZZ
    @given(NAME, NAME)
    def one(project, run):
        project = f"p{next(counter)}{project}"
        response = _gql(api, """mutation U($p: String!, $r: String!) { upsertBucket(input: {
          name: $r, modelName: $p, entityName: "alice"}) { bucket { name project { name } } } }""",
                        p=project, r=run)
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            assert body.get("errors") and body["errors"][0].get("message"), body
            return
        bucket = body["data"]["upsertBucket"]["bucket"]
        # An empty name is the client asking the server to choose one (as W&B does).
        assert bucket["name"] == run or (run == "" and bucket["name"])
        assert bucket["project"]["name"] == project
        read = _gql(api, RUN, p=project, r=bucket["name"]).json()
        assert read["data"]["project"]["run"]["name"] == bucket["name"], (project, run, read)

    one()


@pytest.mark.parametrize("first, second", [("Run", "run"), ("\U0001F680", "\U0001F389"),
                                           ("a\U00010000", "a\U000C3C86")])
def test_names_that_differ_only_in_case_or_beyond_the_bmp_stay_apart(api, first, second):
    """Found by the fuzz tests here: on MySQL/MariaDB, run and file names (and project and
    entity names) compared with the database's default collation, which ignores case and
    takes every character beyond the BMP (emoji among them) for equal: a second run was
    written into the first, and a second file name failed with a 500. Migration 0015 made
    those columns utf8mb4_bin; SQLite always compared byte-wise."""
    for name in (first, second):
        api.upsert(name, project="collide")
    for name in (first, second):
        read = _gql(api, RUN, p="collide", r=name).json()
        assert read["data"]["project"]["run"]["name"] == name
    api.upsert("files", project="collide")
    for name in (first, second):
        response = api.client.post("/graphql", json={"query": FILES, "variables": {
            "p": "collide", "r": "files", "f": [name]}}, headers=api.headers())
        assert response.status_code == 200 and not response.json().get("errors"), response.text


def test_file_names_never_get_a_5xx_and_accepted_ones_download_byte_for_byte(api):
    """Each example in a run of its own (see the collation test below)."""
    counter = itertools.count()

    @FUZZ
    @given(NAME, st.binary(max_size=64))
    def one(name, content):
        run = f"files{next(counter)}"
        api.upsert(run)
        response = _gql(api, FILES, p="proj", r=run, f=[name])
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            assert body.get("errors") and body["errors"][0].get("message"), body
            return
        (entry,) = body["data"]["createRunFiles"]["files"]
        assert entry["name"] == name
        if "%" in name:
            # Starlette's TestClient percent-decodes a path twice ("%2500" reaches the app as
            # "\x00"); tests/e2e/test_odd_file_names.py takes such names through a live server.
            return
        put = api.client.put(entry["uploadUrl"].replace("http://testserver", ""), content=content)
        assert put.status_code == 200, put.text
        download = api.client.get(f"/files/alice/proj/{run}/{quote(name, safe='/')}",
                                  headers=api.headers())
        assert download.status_code == 200 and download.content == content, (name, download)

    one()


PATH = st.lists(NAME, min_size=1, max_size=4).map(lambda parts: "/".join(parts))
QUERY = st.one_of(st.just(""), st.builds(lambda a, b: f"?expires={a}&signature={b}",
                                         st.text(max_size=12), st.text(max_size=40)))


def test_forged_storage_and_file_paths_never_get_a_5xx_or_bytes(api):
    api.upsert("paths")
    secret = b"the bytes of a real file"
    entry = _gql(api, FILES, p="proj", r="paths", f=["real.txt"]).json()
    url = entry["data"]["createRunFiles"]["files"][0]["uploadUrl"]
    assert api.client.put(url.replace("http://testserver", ""), content=secret).status_code == 200

    @FUZZ
    @given(PATH, QUERY, st.sampled_from(["GET", "HEAD", "PUT"]))
    def one(path, query, method):
        target = f"/storage/{quote(path, safe='/')}{quote(query, safe='?&=')}"
        response = api.client.request(method, target, content=b"x" if method == "PUT" else None)
        assert response.status_code < 500, (target, response.text)
        # ("/storage/.." is normalised away by the HTTP client before it is sent)
        if response.request.url.path.startswith("/storage/"):
            assert response.status_code >= 400, (target, response.status_code)
        assert secret not in response.content
        download = api.client.get(f"/files/alice/proj/paths/{quote(path, safe='/')}",
                                  headers=api.headers())
        assert download.status_code < 500, (path, download.text)
        if path != "real.txt":
            assert secret not in download.content, path

    one()


@on_every_database()
def test_a_nul_character_is_refused_or_stored_never_a_5xx(api, app):
    """PostgreSQL's text holds no NUL: a name with one is refused with a message (400 or a
    GraphQL error) instead of an internal error; a console line keeps its place, the NUL
    shown as U+FFFD there (SQLite and MariaDB keep it)."""
    response = _gql(api, """mutation U($p: String!) { upsertBucket(input: {name: "r",
      modelName: $p, entityName: "alice"}) { bucket { name } } }""", p="p\x00q")
    body = response.json()
    assert response.status_code == 400 or body.get("errors") or \
        body["data"]["upsertBucket"]["bucket"]["name"] == "r", body
    run = api.upsert("withnul")["bucket"]
    api.stream("withnul", {"files": {"output.log": {"offset": 0, "content": ["a\x00b", "c"]}}})
    store = app.state.services.store
    from wbserver.api.graphql.ids import decode_id

    lines = [line for _, line in store.read_log_lines(decode_id("Run", run["id"]))]
    assert lines in (["a\x00b", "c"], ["a\ufffdb", "c"]), lines
