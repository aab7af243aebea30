import hashlib
from urllib.parse import urlsplit

CREATE = """mutation CreateRunFiles($entity: String!, $project: String!, $run: String!, $files: [String!]!) {
  createRunFiles(input: {entityName: $entity, projectName: $project, runName: $run, files: $files}) {
    runID uploadHeaders files { name uploadUrl } } }"""
LIST = """query RunFiles($project: String!, $entity: String!, $name: String!) {
  project(name: $project, entityName: $entity) { run(name: $name) { fileCount
    files(names: [], first: 50) { edges { node { id name url directUrl sizeBytes md5 } } } } } }"""


def local(url):
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def test_upload_list_and_download_with_signature_and_basic_auth(api):
    api.upsert("r1")
    created = api.gql(CREATE, entity="alice", project="proj", run="r1",
                      files=["saved.txt", "media/a b.json"])["data"]["createRunFiles"]
    assert [f["name"] for f in created["files"]] == ["saved.txt", "media/a b.json"]
    url = local(created["files"][0]["uploadUrl"])
    assert api.client.put(url, content=b"hello").status_code == 200
    assert api.client.put(local(created["files"][1]["uploadUrl"]), content=b"{}").status_code == 200
    run = api.gql(LIST, project="proj", entity="alice", name="r1")["data"]["project"]["run"]
    assert run["fileCount"] == 2
    node = {e["node"]["name"]: e["node"] for e in run["files"]["edges"]}["saved.txt"]
    assert node["sizeBytes"] == 5
    import base64
    assert base64.b64decode(node["md5"]) == hashlib.md5(b"hello").digest()
    assert api.client.get(local(node["directUrl"])).content == b"hello"
    assert api.client.get(local(node["url"])).status_code == 401
    assert api.client.get(local(node["url"]), headers=api.headers()).content == b"hello"


def test_tampered_or_cross_method_urls_are_refused(api):
    api.upsert("r1")
    created = api.gql(CREATE, entity="alice", project="proj", run="r1", files=["a.txt"])
    url = local(created["data"]["createRunFiles"]["files"][0]["uploadUrl"])
    assert api.client.put(url.replace("a.txt", "b.txt"), content=b"x").status_code == 403
    assert api.client.put(url[:-1] + ("0" if url[-1] != "0" else "1"), content=b"x").status_code == 403
    assert api.client.get(url).status_code == 403  # a PUT signature does not allow GET


def test_names_escaping_the_run_are_refused(api):
    api.upsert("r1")
    body = api.gql(CREATE, expect=400, entity="alice", project="proj", run="r1",
                   files=["ok.txt", "../../etc/passwd"])
    assert "relative path" in body["errors"][0]["message"]


MARK = """mutation Mark($entity: String!, $project: String!, $run: String!, $files: [String!]!) {
  markRunFilesUploaded(input: {entityName: $entity, projectName: $project, runName: $run,
    files: $files}) { success } }"""
STATE = """query S($project: String!, $entity: String!, $name: String!) {
  project(name: $project, entityName: $entity) { run(name: $name) { state } } }"""


def test_mark_run_files_uploaded_commits_bytes_put_straight_to_the_store(api, app):
    """Run.upload_file PUTs to the bucket, then says markRunFilesUploaded (the server says it
    has MARK_RUN_FILES_UPLOADED): with no bucket event, the file is recorded from the store;
    a name with no bytes stays unlisted and the run's state is left alone."""
    from wbserver.api.graphql.ids import decode_id

    run_id = decode_id("Run", api.upsert("r1")["bucket"]["id"])
    app.state.services.blobs.write(f"runs/{run_id}/late/model.bin", [b"weights"])
    body = api.gql(MARK, entity="alice", project="proj", run="r1",
                   files=["late/model.bin", "never-put.txt"])
    assert body == {"data": {"markRunFilesUploaded": {"success": True}}}, body
    run = api.gql(LIST, project="proj", entity="alice", name="r1")["data"]["project"]["run"]
    sizes = {e["node"]["name"]: e["node"]["sizeBytes"] for e in run["files"]["edges"]}
    assert sizes.get("late/model.bin") == 7, sizes
    assert sizes.get("never-put.txt") is None
    state = api.gql(STATE, project="proj", entity="alice", name="r1")["data"]["project"]["run"]
    assert state == {"state": "running"}
