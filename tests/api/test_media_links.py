"""A logged table's media cells through signed view links (SQLite and MariaDB): the table's
JSON carries the links of its first rows' files, a page's worth more come in one request,
small images come inline as data: URLs, each link serves the exact bytes as an inert
attachment with no session and no lookup, and a link changed in any part (or expired) is
refused. And the run page's and workspace's scripts and styles joined into one file each
(`web/assets.py`)."""

from __future__ import annotations

import base64
import gzip
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from api.artifact_flow import local, log_version
from wbserver.domain.users import create_user
from wbserver.http.view_links import view_link
from wbserver.web.assets import asset, asset_url

from .test_security_content import CREATE, assert_user_content
from .test_web_ui import sign_in

UI = "/_ui/alice/proj/runs/r1"
# p0 and p1 are over the size of an image sent inline; p2 and p3 are small
PNG = {f"media/images/p{i}.png": b"\x89PNG\r\n\x1a\n" + bytes([i]) * (20_000 if i < 2 else 40)
       for i in range(4)}


def inline(url: str) -> bytes:
    head, _, data = url.partition(",")
    assert head == "data:image/png;base64", head
    return base64.b64decode(data)


def table(paths: list[str]) -> bytes:
    return json.dumps({"columns": ["id", "picture"], "data": [
        [i, {"_type": "image-file", "path": p, "width": 8, "height": 8}]
        for i, p in enumerate(paths)]}).encode()


@pytest.fixture
def logged(api):
    """r1 logs table `t` (as the client does: a run file, and the run-r1-t artifact holding
    the table and its images) and table `f`, a run file only, whose images are run files."""
    api.upsert("r1")
    api.stream("r1", {"files": {"wandb-summary.json": {"offset": 0, "content": [json.dumps({
        "t": {"_type": "table-file", "path": "media/table/t_1_a.table.json"},
        "f": {"_type": "table-file", "path": "media/table/f_1_b.table.json"}})]}}})
    log_version(api, "run-r1-t", {"t.table.json": table(sorted(PNG)), **PNG},
                type_name="run_table")
    run_files = {"media/table/f_1_b.table.json": table(["media/images/f0.png"]),
                 "media/images/f0.png": PNG["media/images/p0.png"]}
    created = api.gql(CREATE, entity="alice", project="proj", run="r1",
                      files=list(run_files))["data"]["createRunFiles"]
    for f in created["files"]:
        assert api.client.put(local(f["uploadUrl"]), content=run_files[f["name"]]).status_code \
            == 200
    sign_in(api)
    return api


def test_the_table_carries_its_first_rows_links_and_a_page_more_in_one_request(logged):
    api = logged
    body = api.client.get(UI + "/media/table?key=t&links=2").json()
    assert body["fromArtifact"] and len(body["data"]) == 4
    paths = sorted(PNG)
    assert sorted(body["links"]) == paths[:2]
    plain = api.client.get(UI + "/media/table?key=t").json()
    assert plain["links"] == {}  # none asked for
    api.client.cookies.clear()  # the links are their own credential
    for path in paths[:2]:
        response = api.client.get(body["links"][path])
        assert_user_content(response, PNG[path])
        assert response.headers["content-type"] == "image/png"
        assert response.headers["cache-control"].startswith("private, max-age=")
    sign_in(api)
    more = api.client.get(UI + "/media/table-links?key=t&name=" + paths[2] + "&name=" + paths[3]
                          + "&name=media/images/nowhere.png").json()
    assert sorted(more["links"]) == paths[2:]  # a name the table does not hold: left out
    for path in paths[2:]:  # small images: their bytes, no request at all
        assert inline(more["links"][path]) == PNG[path]
    # links made within the hour are the same links (the browser's cache answers again)
    assert api.client.get(UI + "/media/table?key=t&links=2").json()["links"] == body["links"]


def test_a_table_logged_as_a_run_file_links_the_runs_files(logged):
    api = logged
    body = api.client.get(UI + "/media/table?key=f&links=25").json()
    assert not body["fromArtifact"]
    assert list(body["links"]) == ["media/images/f0.png"]
    assert body["links"]["media/images/f0.png"].startswith("/_ui/_view/runs/")
    assert_user_content(api.client.get(body["links"]["media/images/f0.png"]),
                        PNG["media/images/p0.png"])


def test_a_changed_or_expired_link_is_refused(logged):
    api = logged
    link = api.client.get(UI + "/media/table?key=t&links=1").json()["links"]["media/images/p0.png"]
    parts = urlsplit(link)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}

    def with_(path: str = parts.path, **changes: str) -> str:
        return path + "?" + "&".join(f"{k}={v}" for k, v in {**query, **changes}.items())

    assert api.client.get(with_()).status_code == 200
    other = sorted(PNG)[1]
    assert api.client.get(with_(name=other.replace("/", "%2F"))).status_code == 403
    assert api.client.get(with_(exp=str(int(query["exp"]) + 3600))).status_code == 403
    assert api.client.get(with_(sig="0" * 64)).status_code == 403
    assert api.client.get(with_(parts.path[:-1] + "0")).status_code == 403
    signer = api.client.app.state.services.signer
    blob = parts.path.removeprefix("/_ui/_view/")
    old = view_link(signer, blob, "media/images/p0.png", ttl=60, now=1_000_000)
    assert api.client.get(old).status_code == 403  # long expired


def test_links_need_read_access_and_bounded_requests(logged, app):
    api = logged
    names = "".join(f"&name=m{i}" for i in range(501))
    assert api.client.get(UI + "/media/table-links?key=t" + names).status_code == 400
    assert api.client.get(UI + "/media/table?key=t&links=201").status_code == 400
    assert api.client.get(UI + "/media/table?key=t&links=x").status_code == 400
    store = app.state.services.store
    create_user(store, username="bob", email="bob@example.com", is_admin=False)
    sign_in(api, "bob")
    response = api.client.get(UI + "/media/table-links?key=t&name=media/images/p0.png")
    assert response.status_code == 404  # alice's private project: not even its existence
    assert api.client.get(UI + "/media/table?key=t&links=2").status_code == 404


def test_media_values_carry_the_links_of_the_files_they_name(api):
    """Images over steps (with a mask and boxes), an image group, audio and html: the run
    page's values and the workspace's media panel come with signed view links of every file
    they name but the html (its frame has a route of its own) and a name no run file can
    have; each link serves the file's bytes with no session."""
    files = {"media/images/a0.png": PNG["media/images/p2.png"],
             "media/images/mask/m0.png": PNG["media/images/p3.png"],
             "media/metadata/boxes/b0.json": b'{"box_data": []}',
             "media/images/g0.png": PNG["media/images/p0.png"],
             "media/images/g1.png": PNG["media/images/p1.png"],
             "media/audio/s0.wav": b"RIFF....WAVE"}
    rows = [{"_step": 0, "pic": {
                "_type": "image-file", "path": "media/images/a0.png",
                "masks": {"pred": {"_type": "mask", "path": "media/images/mask/m0.png"}},
                "boxes": {"pred": {"_type": "boxes2D", "path": "media/metadata/boxes/b0.json"}}},
             "grid": {"_type": "images/separated",
                      "filenames": ["media/images/g0.png", "media/images/g1.png"]},
             "sound": {"_type": "audio-file", "path": "media/audio/s0.wav"},
             "page": {"_type": "html-file", "path": "media/html/h0.html"}},
            {"_step": 1, "pic": {"_type": "image-file", "path": "../../etc/passwd"}}]
    api.upsert("r1")
    api.stream("r1", {"files": {"wandb-history.jsonl": {
        "offset": 0, "content": [json.dumps(r) for r in rows]}}})
    created = api.gql(CREATE, entity="alice", project="proj", run="r1",
                      files=list(files))["data"]["createRunFiles"]
    for f in created["files"]:
        assert api.client.put(local(f["uploadUrl"]), content=files[f["name"]]).status_code \
            == 200
    sign_in(api)
    links = {}
    for key in ("pic", "grid", "sound", "page"):
        body = api.client.get(UI + f"/media/values?key={key}").json()
        links.update(body["links"])
    assert sorted(links) == sorted(files)  # no html, no "../../etc/passwd"
    panel = api.client.get("/_ui/alice/proj/panels/media?keys=pic&runs=r1").json()
    assert panel["keys"]["pic"]["runs"][0]["links"] == {
        k: links[k] for k in ("media/images/a0.png", "media/images/mask/m0.png",
                              "media/metadata/boxes/b0.json")}
    api.client.cookies.clear()  # the links are their own credential
    for name, link in links.items():
        assert link.startswith("/_ui/_view/runs/")
        assert_user_content(api.client.get(link), files[name])


@pytest.mark.parametrize("name", ["run.js", "run.css", "workspace.js", "workspace.css"])
def test_the_pages_scripts_and_styles_are_joined_and_cached_for_good(api, name):
    url = asset_url(name)
    response = api.client.get(url)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    found = asset(name)
    assert found is not None and response.content == found.body
    assert gzip.decompress(found.gzipped) == found.body
    if name.endswith(".js"):
        assert response.headers["content-type"].startswith("text/javascript")
        assert b"WB.media.panels" in found.body or b"M.panels" in found.body
    else:
        assert response.headers["content-type"].startswith("text/css")
    stale = url.replace(found.digest, "0" * 16)
    assert api.client.get(stale).headers["cache-control"] == "no-cache"
    assert api.client.get(stale).content == found.body
    assert api.client.get("/_assets/nothing.0.js").status_code == 404


def test_the_run_page_and_workspace_load_the_joined_files(api):
    api.upsert("r1")
    api.stream("r1", {"files": {"wandb-history.jsonl": {"offset": 0, "content": [
        json.dumps({"_step": 0, "loss": 1.0})]}}})
    sign_in(api)
    run = api.client.get("/alice/proj/runs/r1").text
    assert asset_url("run.js") in run and asset_url("run.css") in run
    assert "/static/ui/" not in run
    workspace = api.client.get("/alice/proj").text
    assert asset_url("workspace.js") in workspace and asset_url("workspace.css") in workspace
    for part in ("panel_line.js", "panel_media.js", "workspace.js", "media_table.js"):
        text = (asset_url.__globals__["STATIC"] / "ui" / part).read_text().strip()
        assert text in asset("workspace.js").body.decode()  # type: ignore[union-attr]
