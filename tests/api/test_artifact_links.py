"""Portfolios through the GraphQL API (the real client's flows are in tests/e2e/
test_artifacts.py): linking again keeps the version's index, names of the other kind are
refused, a version is linked from a project its linker only reads, unlink and aliases, and
a collection's tags and name, on SQLite and MariaDB."""

from __future__ import annotations

import pytest

from .security_world import PROJECTS, World, world_on

LINK = """mutation L($e: String!, $p: String!, $id: ID!, $n: String!, $a: [ArtifactAliasInput!])
{ linkArtifact(input: {artifactID: $id, artifactPortfolioName: $n, entityName: $e,
  projectName: $p, aliases: $a}) { versionIndex artifactMembership { id versionIndex
  aliases { alias } artifactCollection { __typename id name } artifact { id } } } }"""
READ = """query R($e: String!, $p: String!, $n: String!) { project(entityName: $e, name: $p) {
  artifactCollectionMembership(name: $n) { versionIndex aliases { alias }
    artifactCollection { __typename name } artifact { id artifactSequence { name } } }
  artifact(name: $n) { id } } }"""
COLLECTION = """query C($e: String!, $p: String!, $n: String!) { project(entityName: $e,
  name: $p) { artifactCollection(name: $n) { __typename id name description
  tags { edges { node { name } } }
  artifacts { totalCount edges { version node { id } } } } } }"""


@pytest.fixture(scope="module", params=["sqlite", "mariadb"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    with world_on(request.param, str(tmp_path_factory.mktemp("links"))) as built:
        yield built


def _link(world: World, who: str, vis: str, artifact_id: str, name: str,
          aliases: tuple[str, ...] = ()) -> dict:
    entity, project = PROJECTS[vis]
    return world.gql(who, LINK, e=entity, p=project, id=artifact_id, n=name,
                     a=[{"alias": a, "artifactCollectionName": name} for a in aliases]).json()


def test_links_number_versions_and_relinking_keeps_the_index(world: World):
    entity, project = PROJECTS["team"]
    first, second = world.log_version("team", name="src"), world.log_version("team", name="src")
    one = _link(world, "owner", "team", first.id, "best", ("prod",))["data"]["linkArtifact"]
    assert one["versionIndex"] == 0
    assert one["artifactMembership"]["artifactCollection"]["__typename"] == "ArtifactPortfolio"
    assert sorted(a["alias"] for a in one["artifactMembership"]["aliases"]) == ["latest", "prod"]
    two = _link(world, "owner", "team", second.id, "best")["data"]["linkArtifact"]
    assert two["versionIndex"] == 1
    again = _link(world, "owner", "team", first.id, "best", ("again",))["data"]["linkArtifact"]
    assert again["versionIndex"] == 0
    read = world.ok("owner", READ, e=entity, p=project, n="best:prod")["project"]
    member = read["artifactCollectionMembership"]
    assert member["versionIndex"] == 0 and member["artifact"]["id"] == first.id
    assert member["artifact"]["artifactSequence"]["name"] == "src"
    assert sorted(a["alias"] for a in member["aliases"]) == ["again", "prod"]
    assert read["artifact"]["id"] == first.id
    latest = world.ok("owner", READ, e=entity, p=project, n="best:latest")["project"]
    assert latest["artifactCollectionMembership"]["artifact"]["id"] == second.id
    listed = world.ok("owner", COLLECTION, e=entity, p=project, n="best")
    versions = listed["project"]["artifactCollection"]["artifacts"]
    assert [(e["version"], e["node"]["id"]) for e in versions["edges"]] == [
        ("v1", second.id), ("v0", first.id)]


def test_names_of_the_other_kind_are_refused(world: World):
    logged = world.log_version("team", name="plain")
    mixed = _link(world, "owner", "team", logged.id, "plain")
    assert "not a portfolio" in mixed["errors"][0]["message"]
    _link(world, "owner", "team", logged.id, "linked-here")
    other = world.log_version("team", name="rows")  # type dataset as well: allowed
    assert "errors" not in _link(world, "owner", "team", other.id, "linked-here")
    with pytest.raises(AssertionError, match="is a portfolio"):
        world.log_version("team", name="linked-here")


def test_a_reader_of_the_source_links_into_a_project_they_write(world: World):
    """The team viewer reads the team project and writes nothing there; the team member
    reads the open project's version and writes the team project."""
    source = world.log_version("open", name="pub")
    entity, project = PROJECTS["team"]
    denied = world.gql("team_viewer", LINK, e=entity, p=project, id=source.id, n="mine",
                       a=[]).json()
    assert denied["errors"]
    allowed = _link(world, "team_member", "team", source.id, "mine")
    assert allowed["data"]["linkArtifact"]["versionIndex"] == 0
    hidden = world.log_version("private", name="hidden")
    refused = _link(world, "team_member", "team", hidden.id, "mine")
    assert "not found" in refused["errors"][0]["message"]


def test_unlink_moves_latest_and_collection_edits(world: World):
    entity, project = PROJECTS["team"]
    first, second = world.log_version("team", name="u"), world.log_version("team", name="u")
    made = _link(world, "owner", "team", first.id, "pf")["data"]["linkArtifact"]
    portfolio_id = made["artifactMembership"]["artifactCollection"]["id"]
    _link(world, "owner", "team", second.id, "pf")
    gone = world.ok("owner", "mutation U($a: ID!, $p: ID!) { unlinkArtifact(input: {"
                    "artifactID: $a, artifactPortfolioID: $p}) { success } }",
                    a=second.id, p=portfolio_id)
    assert gone["unlinkArtifact"]["success"]
    latest = world.ok("owner", READ, e=entity, p=project, n="pf:latest")["project"]
    assert latest["artifactCollectionMembership"]["artifact"]["id"] == first.id
    assert world.ok("owner", READ, e=entity, p=project,
                    n="pf:v1")["project"]["artifactCollectionMembership"] is None
    again = world.gql("owner", "mutation U($a: ID!, $p: ID!) { unlinkArtifact(input: {"
                      "artifactID: $a, artifactPortfolioID: $p}) { success } }",
                      a=second.id, p=portfolio_id).json()
    assert "not linked" in again["errors"][0]["message"]

    world.ok("owner", "mutation T($e: String!, $p: String!) { "
             "createArtifactCollectionTagAssignments(input: {entityName: $e, projectName: $p, "
             'artifactCollectionName: "u", tags: [{tagName: "a"}, {tagName: "b c"}]}) '
             "{ tags { name } } }", e=entity, p=project)
    world.ok("owner", "mutation T($e: String!, $p: String!) { "
             "deleteArtifactCollectionTagAssignments(input: {entityName: $e, projectName: $p, "
             'artifactCollectionName: "u", tags: [{tagName: "a"}]}) { success } }',
             e=entity, p=project)
    sequence = world.ok("owner", COLLECTION, e=entity, p=project, n="u")
    sequence_id = sequence["project"]["artifactCollection"]["id"]
    taken = world.gql("owner", "mutation S($id: ID!) { updateArtifactSequence(input: {"
                      'artifactSequenceID: $id, name: "pf"}) { artifactCollection { id } } }',
                      id=sequence_id).json()
    assert "exists" in taken["errors"][0]["message"]
    world.ok("owner", "mutation S($id: ID!) { updateArtifactSequence(input: {"
             'artifactSequenceID: $id, name: "u2", description: "words"}) '
             "{ artifactCollection { id } } }", id=sequence_id)
    renamed = world.ok("owner", COLLECTION, e=entity, p=project, n="u2")
    found = renamed["project"]["artifactCollection"]
    assert (found["name"], found["description"], found["__typename"]) == (
        "u2", "words", "ArtifactSequence")
    assert [e["node"]["name"] for e in found["tags"]["edges"]] == ["b c"]
    assert [e["version"] for e in found["artifacts"]["edges"]] == ["v1", "v0"]
    wrong_kind = world.gql("owner", "mutation S($id: ID!) { updateArtifactPortfolio(input: {"
                           'artifactPortfolioID: $id, description: "x"}) '
                           "{ artifactCollection { id } } }", id=sequence_id).json()
    assert wrong_kind["errors"]


DELETE_VERSION = """mutation D($id: ID!) { deleteArtifact(input: {artifactID: $id,
  deleteAliases: true}) { artifact { id } } }"""
DELETE_SEQUENCE = """mutation D($id: ID!) { deleteArtifactSequence(input: {
  artifactSequenceID: $id}) { artifactCollection { state } } }"""


def test_deleting_a_version_or_its_collection_drops_its_links(world: World):
    entity, project = PROJECTS["team"]
    first, second = world.log_version("team", name="d"), world.log_version("team", name="d")
    _link(world, "owner", "team", first.id, "dpf", ("keep",))
    _link(world, "owner", "team", second.id, "dpf")
    world.ok("owner", DELETE_VERSION, id=second.id)
    latest = world.ok("owner", READ, e=entity, p=project, n="dpf:latest")["project"]
    assert latest["artifactCollectionMembership"]["artifact"]["id"] == first.id
    sequence_id = world.ok("owner", COLLECTION, e=entity, p=project,
                           n="d")["project"]["artifactCollection"]["id"]
    gone = world.ok("owner", DELETE_SEQUENCE, id=sequence_id)
    assert gone["deleteArtifactSequence"]["artifactCollection"]["state"] == "DELETED"
    assert world.ok("owner", READ, e=entity, p=project,
                    n="dpf:keep")["project"]["artifactCollectionMembership"] is None
    assert world.ok("owner", COLLECTION, e=entity, p=project,
                    n="d")["project"]["artifactCollection"] is None
    assert world.ok("owner", "query Q($id: ID!) { artifactCollection(id: $id) { id } }",
                    id=sequence_id)["artifactCollection"] is None
    again = world.log_version("team", name="d")  # the name is free again: a new collection
    read = world.ok("owner", READ, e=entity, p=project, n="d:v0")["project"]
    assert read["artifact"]["id"] == again.id


def test_links_into_projects_a_reader_cannot_read_stay_hidden(world: World):
    """A version of the open project linked into the private one: a reader of the open
    project alone sees neither the portfolio's aliases nor the membership."""
    source = world.log_version("open", name="shown")
    _link(world, "owner", "private", source.id, "hidden-pf", ("secret-alias",))
    query = ("query Q($id: ID!) { artifact(id: $id) { aliases { alias artifactCollection { "
             "name } } artifactMemberships { edges { node { artifactCollection { name } } } } "
             "} }")
    seen = world.ok("team_member", query, id=source.id)["artifact"]
    assert {a["artifactCollection"]["name"] for a in seen["aliases"]} == {"shown"}
    assert [e["node"]["artifactCollection"]["name"]
            for e in seen["artifactMemberships"]["edges"]] == ["shown"]
    owner = world.ok("owner", query, id=source.id)["artifact"]
    assert "secret-alias" in {a["alias"] for a in owner["aliases"]}
    assert len(owner["artifactMemberships"]["edges"]) == 2


def test_pages_show_a_portfolio_and_its_linked_versions(world: World):
    entity, project = PROJECTS["team"]
    source = world.log_version("team", name="page-src")
    _link(world, "owner", "team", source.id, "page-pf", ("shown-alias",))
    base = f"/{entity}/{project}/artifacts"
    listing = world.page("owner", "GET", base)
    assert listing.status_code == 200
    row = listing.text[listing.text.index('/dataset/page-pf"'):]
    assert "<td>1</td>" in row[:200] and "page-pf/v0" in row[:400]
    versions = world.page("owner", "GET", base + "/dataset/page-pf")
    assert versions.status_code == 200 and "shown-alias" in versions.text
    assert base + '/dataset/page-pf/v0"' in versions.text
    version = world.page("owner", "GET", base + "/dataset/page-pf/shown-alias")
    assert version.status_code == 200 and "page-pf:v0" in version.text
    assert 'id="delete-version"' not in version.text  # delete the source version instead


ORDERED = """query C($e: String!, $p: String!, $n: String!, $o: String) { project(entityName: $e,
  name: $p) { artifactCollection(name: $n) { artifacts(order: $o) { edges { version } } } } }"""


def test_versions_come_in_the_order_as_the_client_writes_it(world: World):
    """The client signs the field its user named: `+version_index`, `-version_index`."""
    entity, project = PROJECTS["team"]
    first = world.log_version("team", name="ord")
    world.log_version("team", name="ord")
    _link(world, "owner", "team", first.id, "ord-pf")
    for order, expected in (("+version_index", ["v0", "v1"]), ("-version_index", ["v1", "v0"]),
                            ("versionIndex", ["v0", "v1"]), ("-createdAt", ["v1", "v0"]),
                            ("+created_at", ["v0", "v1"]), (None, ["v1", "v0"])):
        found = world.ok("owner", ORDERED, e=entity, p=project, n="ord", o=order)
        edges = found["project"]["artifactCollection"]["artifacts"]["edges"]
        assert [e["version"] for e in edges] == expected, order
    linked = world.ok("owner", ORDERED, e=entity, p=project, n="ord-pf", o="+version_index")
    assert [e["version"] for e in linked["project"]["artifactCollection"]["artifacts"][
        "edges"]] == ["v0"]
    refused = world.gql("owner", ORDERED, e=entity, p=project, n="ord", o="+size").json()
    assert "not supported" in refused["errors"][0]["message"]


LINK_ALIASES = """mutation A($id: ID!, $a: [ArtifactCollectionAliasInput!]!) {
  %s(input: {artifactID: $id, aliases: $a}) { success } }"""


def test_saving_a_link_that_drops_latest_with_its_aliases_succeeds(world: World):
    """Artifact.save() on a link sends every alias it drops, `latest` included: `latest` moves
    by itself and is left alone, the others go."""
    entity, project = PROJECTS["team"]
    version = world.log_version("team", name="lsrc")
    _link(world, "owner", "team", version.id, "lpf", ("prod", "old"))

    def aliases_input(*names: str) -> list[dict]:
        return [{"alias": a, "artifactCollectionName": "lpf", "entityName": entity,
                 "projectName": project} for a in names]
    world.ok("owner", LINK_ALIASES % "deleteAliases", id=version.id,
             a=aliases_input("latest", "old"))
    world.ok("owner", LINK_ALIASES % "addAliases", id=version.id, a=aliases_input("latest"))
    member = world.ok("owner", READ, e=entity, p=project,
                      n="lpf:prod")["project"]["artifactCollectionMembership"]
    assert sorted(a["alias"] for a in member["aliases"]) == ["latest", "prod"]
    still = world.ok("owner", READ, e=entity, p=project, n="lpf:latest")["project"]
    assert still["artifactCollectionMembership"]["artifact"]["id"] == version.id
