"""Issue #18, item 9: small leaks. An entity's storage size is for its members; a project's
or run's creator shows to its readers without email or teams; the whole-schema dump is for
site admins (`__type` probes stay open for older clients); names with control, zero-width or
text-direction characters are refused for entities, projects and files."""

from __future__ import annotations

import pytest

from .security_world import PROJECTS, USERS, world_on

STORAGE = "query S($e: String!) { entity(name: $e) { name storageBytes } }"
CREATOR = """query C($e: String!, $p: String!) { project(name: $p, entityName: $e) {
  user { username email teams { edges { node { name } } } }
  run(name: "r1") { user { username email teams { edges { node { name } } } } } } }"""
SCHEMA_DUMP = "query IntrospectionQuery { __schema { queryType { name } types { name } } }"
TYPE_PROBE = '{ ProjectType: __type(name: "Project") { fields { name } } }'
UPSERT = """mutation U($e: String, $p: String, $n: String) {
  upsertBucket(input: {entityName: $e, modelName: $p, name: $n}) { bucket { id } } }"""
CREATE_FILES = """mutation F($e: String!, $p: String!, $name: String!) { createRunFiles(input: {
  entityName: $e, projectName: $p, runName: "r1", files: [$name]}) { files { uploadUrl } } }"""
MARK = """mutation M($e: String!, $p: String!, $name: String!) { markRunFilesUploaded(input: {
  entityName: $e, projectName: $p, runName: "r1", files: [$name]}) { success } }"""
ARTIFACT_FILES = """mutation A($input: CreateArtifactFilesInput!) {
  createArtifactFiles(input: $input) { files { edges { node { uploadUrl } } } } }"""
CREATE_TEAM = "mutation T($n: String!) { createTeam(input: {teamName: $n}) { entity { name } } }"


@pytest.fixture(scope="module", params=["sqlite", "mariadb"])
def world(request, tmp_path_factory):
    with world_on(request.param, str(tmp_path_factory.mktemp("leaks"))) as built:
        yield built


@pytest.mark.parametrize(("who", "sees"), [("non_member", False), ("team_viewer", True),
                                           ("team_member", True), ("owner", True),
                                           ("site_admin", True)])
def test_storage_size_is_for_the_entitys_members(world, who, sees):
    entity = world.ok(who, STORAGE, e=PROJECTS["team"][0])["entity"]
    assert entity["name"] == PROJECTS["team"][0]
    # a number for everyone (the client's Team model needs one), the real one for members
    assert (entity["storageBytes"] > 0) is sees, entity


def test_a_reader_of_an_open_project_sees_the_creator_by_name_only(world):
    entity, project = PROJECTS["open"]
    found = world.ok("non_member", CREATOR, e=entity, p=project)["project"]
    for user in (found["user"], found["run"]["user"]):
        assert user == {"username": USERS["owner"], "email": None, "teams": {"edges": []}}


@pytest.mark.parametrize("who", ["owner", "site_admin"])
def test_the_user_and_site_admins_still_see_email_and_teams(world, who):
    entity, project = PROJECTS["open"]
    user = world.ok(who, CREATOR, e=entity, p=project)["project"]["user"]
    assert user["email"] == f"{USERS['owner']}@example.com"
    assert "lab" in [e["node"]["name"] for e in user["teams"]["edges"]]


def test_the_viewer_reads_their_own_email(world):
    me = world.ok("non_member", "{ viewer { username email } }")["viewer"]
    assert me == {"username": USERS["non_member"], "email": f"{USERS['non_member']}@example.com"}


@pytest.mark.parametrize("who", ["non_member", "team_member", "owner"])
def test_the_schema_dump_is_refused_to_users(world, who):
    response = world.gql(who, SCHEMA_DUMP)
    assert response.status_code == 403, response.text
    assert "site admins" in response.json()["errors"][0]["message"]
    hidden = world.gql(who, "query Q { a: viewer { username } ...F } fragment F on Query { "
                            "__schema { types { name } } }")
    assert hidden.status_code == 403


def test_site_admins_may_dump_the_schema(world):
    dump = world.ok("site_admin", SCHEMA_DUMP)["__schema"]
    assert dump["queryType"]["name"] == "Query"


def test_type_probes_of_older_clients_stay_open(world):
    fields = world.ok("non_member", TYPE_PROBE)["ProjectType"]["fields"]
    assert "name" in [f["name"] for f in fields]


HIDDEN = ["a\u200bb", "a\u202eb", "a\u2066b", "a\ufeffb", "a\x7fb", "a\x85b", "ab\n",
          "a\u2028b"]


def _refused_name(response, what):
    assert response.status_code == 400, response.text
    message = response.json()["errors"][0]["message"]
    assert what in message and "U+" in message, message


@pytest.mark.parametrize("name", HIDDEN)
def test_project_names_with_hidden_characters_are_refused(world, name):
    _refused_name(world.gql("owner", UPSERT, e="lab", p=name, n="r9"), "project name")
    assert world.store.get_project("lab", name) is None


@pytest.mark.parametrize("name", HIDDEN)
def test_file_names_with_hidden_characters_are_refused(world, name):
    entity, project = PROJECTS["team"]
    _refused_name(world.gql("owner", CREATE_FILES, e=entity, p=project, name=f"x/{name}.txt"),
                  "file name")
    _refused_name(world.gql("owner", MARK, e=entity, p=project, name=name), "file name")
    version = world.log_version("team", commit=False)
    _refused_name(world.gql("owner", ARTIFACT_FILES, input={"artifactFiles": [
        {"artifactID": version.id, "name": name, "md5": "1B2M2Y8AsgTpgAmY7PhCfg=="}]}),
        "file name")


@pytest.mark.parametrize("name", ["lab2\n", "te\u200bam", "team\u202e"])
def test_entity_names_with_hidden_characters_are_refused(world, name):
    response = world.gql("owner", CREATE_TEAM, n=name)
    assert response.status_code == 400, response.text
    assert world.store.get_entity(name) is None


def test_ordinary_unicode_names_still_work(world):
    bucket = world.ok("owner", UPSERT, e="lab", p="résultats-日本", n="r9")["upsertBucket"]
    assert bucket["bucket"]["id"]
