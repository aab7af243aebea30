"""Issue #18, item 2: readers cannot write. Every mutation asks for write access to the
project it touches (api/graphql/access.py), so a viewer of a team project, or anyone on an
open project, cannot stop another user's run, sign uploads over its files, mark its files or
send alerts in its name; and an artifact is created only where the caller may write."""

from __future__ import annotations

import pytest

from wbserver.domain.models import RunKey

from .security_world import PROJECTS, local, world_on

STOP = "mutation S($id: ID!) { stopRun(input: {id: $id}) { success } }"
CREATE_FILES = """mutation F($e: String!, $p: String!) { createRunFiles(input: {entityName: $e,
  projectName: $p, runName: "r1", files: ["a.txt"]}) { files { name uploadUrl } } }"""
MARK = """mutation M($e: String!, $p: String!) { markRunFilesUploaded(input: {entityName: $e,
  projectName: $p, runName: "r1", files: ["a.txt"]}) { success } }"""
ALERT = """mutation A($e: String!, $p: String!) { notifyScriptableRunAlert(input: {
  entityName: $e, projectName: $p, runName: "r1", title: "fake", text: "in your name"}) {
  success } }"""
CREATE_ARTIFACT = """mutation C($e: String!, $p: String!) { createArtifact(input: {
  artifactTypeName: "dataset", artifactCollectionName: "planted", entityName: $e,
  projectName: $p, digest: "d1"}) { artifact { id state } } }"""
# (who, visibility): readers who are not writers
READERS = [("team_viewer", "team"), ("team_viewer", "open"), ("non_member", "open")]


@pytest.fixture(scope="module", params=["sqlite", "mariadb"])
def world(request, tmp_path_factory):
    with world_on(request.param, str(tmp_path_factory.mktemp("mutations"))) as built:
        yield built


def _refused(response, status=403):
    assert response.status_code == status, response.text
    assert response.json()["errors"][0]["message"]


@pytest.mark.parametrize(("who", "visibility"), READERS)
def test_a_reader_cannot_stop_the_run(world, who, visibility):
    _refused(world.gql(who, STOP, id=world.run_ids[visibility]))
    entity, project = PROJECTS[visibility]
    assert not world.store.get_run(RunKey(entity, project, "r1")).stop_requested


@pytest.mark.parametrize(("who", "visibility"), READERS)
def test_a_reader_gets_no_upload_url_and_the_file_stays(world, who, visibility):
    entity, project = PROJECTS[visibility]
    response = world.gql(who, CREATE_FILES, e=entity, p=project)
    _refused(response)
    assert response.json()["data"]["createRunFiles"] is None
    download = world.client.get(f"/files/{entity}/{project}/r1/a.txt",
                                headers=world.headers("owner"))
    assert download.content == b"hi"


@pytest.mark.parametrize(("who", "visibility"), READERS)
def test_a_reader_cannot_mark_files_or_send_alerts(world, who, visibility):
    entity, project = PROJECTS[visibility]
    _refused(world.gql(who, MARK, e=entity, p=project))
    _refused(world.gql(who, ALERT, e=entity, p=project))


def test_someone_who_cannot_read_hears_not_found(world):
    entity, project = PROJECTS["team"]
    _refused(world.gql("non_member", STOP, id=world.run_ids["team"]), 404)
    _refused(world.gql("non_member", CREATE_FILES, e=entity, p=project), 404)


@pytest.mark.parametrize("who", ["team_member", "owner", "site_admin"])
def test_writers_still_stop_upload_and_alert(world, who):
    entity, project = PROJECTS["team"]
    assert world.ok(who, STOP, id=world.run_ids["team"])["stopRun"]["success"]
    target = world.ok(who, CREATE_FILES, e=entity, p=project)["createRunFiles"]["files"][0]
    assert world.client.put(local(target["uploadUrl"]), content=b"hi").status_code == 200
    assert world.ok(who, MARK, e=entity, p=project)["markRunFilesUploaded"]["success"]
    assert world.ok(who, ALERT, e=entity, p=project)["notifyScriptableRunAlert"]["success"]


def test_a_team_member_cannot_plant_an_artifact_in_a_private_project_of_the_team(world):
    """A role in the entity is not enough: createArtifact asks for write on the project."""
    entity, project = PROJECTS["private"]
    _refused(world.gql("team_member", CREATE_ARTIFACT, e=entity, p=project), 404)
    _refused(world.gql("team_viewer", CREATE_ARTIFACT, e=entity, p=PROJECTS["team"][1]))
    assert world.store.get_project(entity, project) is not None


def test_artifact_writes_need_write_on_the_versions_project(world):
    version = world.versions["open"]
    for query in ("mutation { deleteArtifact(input: {artifactID: \"%s\"}) { artifact { id } } }",
                  "mutation { commitArtifact(input: {artifactID: \"%s\"}) { artifact { id } } }"):
        _refused(world.gql("non_member", query % version.id))
        _refused(world.gql("team_viewer", query % version.id))
