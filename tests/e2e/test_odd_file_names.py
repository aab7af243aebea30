"""File names with characters URLs treat specially (%, space, ?, #, non-ASCII) go through the
signed upload URL and the download route of a live server unchanged, byte for byte."""

from __future__ import annotations

from urllib.parse import quote

import httpx

from .harness import Server, basic_auth, graphql

NAMES = ["%00", "a%b.txt", "100%.txt", "%2e%2e/x.txt", "sp ace.txt", "q?x.txt", "h#x.txt",
         "naïve/ünï.txt", "media/images/a+b=c&d.png"]
FILES = """mutation F($f: [String!]!) { createRunFiles(input: {entityName: "alice",
  projectName: "odd", runName: "r1", files: $f}) { files { name uploadUrl } } }"""


def test_odd_file_names_upload_and_download_unchanged(server: Server) -> None:
    graphql(server, 'mutation { upsertBucket(input: {name: "r1", modelName: "odd", '
                    'entityName: "alice"}) { bucket { id } } }')
    files = graphql(server, FILES, {"f": NAMES})["createRunFiles"]["files"]
    assert [f["name"] for f in files] == NAMES
    for i, entry in enumerate(files):
        put = httpx.put(entry["uploadUrl"], content=f"bytes {i}".encode(), timeout=30)
        assert put.status_code == 200, (entry["name"], put.text)
    for i, name in enumerate(NAMES):
        got = httpx.get(f"{server.url}/files/alice/odd/r1/{quote(name, safe='/')}",
                        headers=basic_auth(server.api_key), timeout=30, follow_redirects=True)
        assert got.status_code == 200 and got.content == f"bytes {i}".encode(), (name, got)
