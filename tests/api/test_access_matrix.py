"""The access matrix: every identity x every GraphQL root field, REST route, /_ui route and
page, on a private, a team and an open project -> allow or deny, all from ONE table (TABLE).

Each row names what it probes (a route of api/routes.py, a Query or Mutation field, or a
field-level leak), whether it is about a project or the site, the rule its answer follows
(RULES) and the probe. The guard tests fail when a route of api/routes.py or a root field of
the schema has no row. Runs on SQLite in full and on MariaDB for a subset."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from starlette.routing import Mount, Route

from wbserver.api.graphql.resolvers import all_resolvers
from wbserver.api.graphql.schema import build
from wbserver.api.routes import ROUTES
from wbserver.domain.files import run_file_key
from wbserver.domain.models import RunKey
from wbserver.domain.users import create_api_key
from wbserver.http.view_links import view_link
from wbserver.web.assets import asset_url

from .access_probes import (
    Verdict,
    _http_verdict,
    at,
    gid,
    gql,
    lists_project,
    number_of,
    page,
    rest,
    serial,
    where,
)
from .security_world import (
    CREATE_RUN_FILES,
    IDENTITIES,
    PROJECTS,
    TEAM,
    UNAUTHENTICATED,
    UPSERT,
    USERS,
    World,
    local,
    md5_b64,
    world_on,
)

SIGNED_IN = frozenset(IDENTITIES) - UNAUTHENTICATED
READERS = {"private": {"owner", "site_admin"},
           "team": {"team_viewer", "team_member", "owner", "site_admin"},
           "open": set(SIGNED_IN)}
WRITERS = {"private": {"owner", "site_admin"},
           "team": {"team_member", "owner", "site_admin"},
           "open": {"team_member", "owner", "site_admin"}}
# rule -> who is let through, on a project of a visibility ("site" rows ignore it)
RULES: dict[str, Callable[[str, str], bool]] = {
    "everyone": lambda who, vis: True,  # public, or the credential is a signed URL
    "nobody": lambda who, vis: False,  # closed here (a bad token, SSO off, an admin exists)
    "signed_in": lambda who, vis: who in SIGNED_IN,
    "read": lambda who, vis: who in READERS[vis],
    "write": lambda who, vis: who in WRITERS[vis],
    "project_admin": lambda who, vis: who in {"owner", "site_admin"},  # creator, entity admins
    "team_role": lambda who, vis: who in {"team_viewer", "team_member", "owner", "site_admin"},
    "team_admin": lambda who, vis: who in {"owner", "site_admin"},
    "site_admin": lambda who, vis: who == "site_admin",
}
# rules whose denials of unauthenticated callers must say 401 (the others refuse everyone)
IDENTITY_RULES = set(RULES) - {"everyone", "nobody"}


@dataclass(frozen=True)
class Row:
    name: str  # "Mutation.stopRun", "GET /_ui/{entity}/{project}/runs", "leak: ..."
    scope: str  # "project": each visibility; "site": once
    rule: str
    probe: Callable[[World, str, str], Verdict] | None
    why_not_probed: str = ""


def P(name, rule, probe):  # noqa: N802 - a row about a project
    return Row(name, "project", rule, probe)


def S(name, rule, probe):  # noqa: N802 - a row about the site
    return Row(name, "site", rule, probe)


def listed(name, why):
    """A route in the table but outside the matrix (its own tests cover it)."""
    return Row(name, "site", "nobody", None, why)


def _run_vars(world, who, vis):
    return {**where(vis), "r": "r1"}


def _pending(world, vis):
    return world.pending[vis]


def _fresh_run(world, who, vis):
    """A new running run of the owner's, for probes that change or remove it."""
    bucket = world.ok("owner", UPSERT, **where(vis), n=f"m{serial()}")["upsertBucket"]
    return {"id": bucket["bucket"]["id"]}


def _own_key_id(world, who):
    user = world.users.get(who, world.users["owner"])
    create_api_key(world.store, username=user.username, name="matrix")
    return world.store.list_api_keys(user.id)[-1].id


def _fresh_version(world, vis, commit):
    return world.log_version(vis, commit=commit, name=f"m{serial()}")


def _alias_vars(world, vis):
    name = f"m{serial()}"
    return {**where(vis), "c": name, "id": world.log_version(vis, name=name).id}


SWEEP_CONFIG = "method: grid\nparameters:\n  x:\n    values: [1, 2]\n"
UPSERT_SWEEP = """mutation S($e: String, $p: String, $c: String, $id: ID, $s: String) {
  upsertSweep(input: {entityName: $e, projectName: $p, config: $c, id: $id, state: $s}) {
  sweep { id name } } }"""


def _fresh_sweep(world, vis):
    """A new sweep of the owner's in the project (its GraphQL id and name)."""
    return world.ok("owner", UPSERT_SWEEP, **where(vis), c=SWEEP_CONFIG)["upsertSweep"]["sweep"]


def _fresh_agent(world, vis):
    sweep = _fresh_sweep(world, vis)
    agent = world.ok("owner", CREATE_AGENT, **where(vis), s=sweep["name"])
    return {"id": agent["createAgent"]["agent"]["id"]}


CREATE_AGENT = """mutation A($e: String, $p: String, $s: String!) { createAgent(input: {
  host: "h", entityName: $e, projectName: $p, sweep: $s}) { agent { id } } }"""


LINK = """mutation L($e: String!, $p: String!, $id: ID!, $n: String!) { linkArtifact(input: {
  artifactID: $id, artifactPortfolioName: $n, entityName: $e, projectName: $p}) {
  artifactMembership { artifact { id } artifactCollection { id } } } }"""


def _portfolio(world, vis):
    """The owner links the project's version into a new portfolio: its id and the version's."""
    found = world.ok("owner", LINK, **where(vis), id=world.versions[vis].id,
                     n=f"pf{serial()}")["linkArtifact"]["artifactMembership"]
    return {"id": found["artifact"]["id"], "pf": found["artifactCollection"]["id"]}


def _fresh_collection(world, vis):
    """The id of a new collection of one version (for probes that change or delete it)."""
    return _collection_gid(world, vis, _fresh_version(world, vis, commit=True).name)


def _collection_gid(world, vis, name):
    found = world.ok("owner", "query C($e: String!, $p: String!, $n: String!) { project("
                     "entityName: $e, name: $p) { artifactCollection(name: $n) { id } } }",
                     **where(vis), n=name)
    return found["project"]["artifactCollection"]["id"]


def _view(world, vis):
    """A signed view link to r1's table file (what the table's JSON hands a page)."""
    run = world.store.get_run(RunKey(*PROJECTS[vis], "r1"))
    return view_link(world.app.state.services.signer, run_file_key(run.id, "t.table.json"),
                     "t.table.json", ttl=60)


def _layout_put(world, who, vis):
    response = world.page(who, "PUT", at("/_ui/{e}/{p}/workspace/layout")(world, who, vis),
                          content=b'{"version": 1, "smoothing": 0.5}',
                          headers={"X-CSRF-Token": world.csrf(who),
                                   "Content-Type": "application/json"})
    return _http_verdict(response, frozenset())


def _run_change(action, content):
    """POST …/runs/<a new run of the owner's>/ACTION with the page's CSRF token."""
    def probe(world, who, vis):
        name = world.ok("owner", UPSERT, **where(vis), n=f"e{serial()}")["upsertBucket"][
            "bucket"]["name"]
        response = world.page(who, "POST", at(f"/_ui/{{e}}/{{p}}/runs/{name}/{action}")(
            world, who, vis), content=content, headers={
                "X-CSRF-Token": world.csrf(who), "Content-Type": "application/json"})
        return _http_verdict(response, frozenset())
    return probe


ARTIFACT_INPUT = """mutation A($e: String!, $p: String!, $d: String!) { createArtifact(input: {
  artifactTypeName: "dataset", artifactCollectionName: "matrix", entityName: $e,
  projectName: $p, digest: $d}) { artifact { id } } }"""
RUN_FILES = """mutation F($e: String!, $p: String!, $f: String!) { createRunFiles(input: {
  entityName: $e, projectName: $p, runName: "r1", files: [$f]}) { runID } }"""

TABLE: list[Row] = [
    # ---- GraphQL Query roots
    S("Query.viewer", "signed_in", gql("{ viewer { username } }", ("viewer",))),
    S("Query.serverInfo", "signed_in", gql("{ serverInfo { features { name } } }",
                                           ("serverInfo",))),
    S("Query.entity", "signed_in", gql(f'{{ entity(name: "{TEAM}") {{ name }} }}', ("entity",))),
    P("Query.project", "read", gql("query Q($e: String, $p: String) { project(name: $p, "
                                   "entityName: $e) { name } }", ("project",),
                                   lambda w, who, vis: where(vis))),
    P("Query.model", "read", gql("query Q($e: String, $p: String) { model(name: $p, "
                                 "entityName: $e) { name } }", ("model",),
                                 lambda w, who, vis: where(vis))),
    # a team's projects are listed to whoever may read each (members: team-visible ones)
    P("Query.models", "read", lists_project(f'{{ models(entityName: "{TEAM}") {{ edges {{ node '
                                            f'{{ name }} }} }} }}', ("models", "edges"))),
    P("Entity.projects (leak)", "read", lists_project(
        f'{{ entity(name: "{TEAM}") {{ projects {{ edges {{ node {{ name }} }} }} }} }}',
        ("entity", "projects", "edges"))),
    P("Query.run", "read", gql("query Q($e: String, $p: String) { run(entityName: $e, "
                               'projectName: $p, name: "r1") { name } }', ("run",),
                               lambda w, who, vis: where(vis))),
    P("Query.artifact", "read", gql("query Q($id: ID!) { artifact(id: $id) { id } }",
                                    ("artifact",),
                                    lambda w, who, vis: {"id": w.versions[vis].id})),
    P("Query.artifactCollection", "read", gql(
        "query Q($id: ID!) { artifactCollection(id: $id) { id aliases { edges { node { alias "
        "} } } } }", ("artifactCollection",),
        lambda w, who, vis: {"id": _collection_gid(w, vis, "data")})),
    P("Query.clientIDMapping", "read", gql(
        "query Q($c: ID!) { clientIDMapping(clientID: $c) { serverID } }",
        ("clientIDMapping",), lambda w, who, vis: {"c": w.versions[vis].client_id})),
    S("Query.serverSettings", "site_admin", gql("{ serverSettings { name } }",
                                                ("serverSettings",))),
    S("Query.users", "site_admin", gql("{ users { edges { node { username } } } }",
                                       ("users", "edges"), nonempty=True)),
    # ---- field-level leaks (issue #18 item 9)
    S("leak: Entity.storageBytes", "team_role", gql(
        f'{{ entity(name: "{TEAM}") {{ storageBytes }} }}', ("entity", "storageBytes"),
        nonempty=True)),  # others read 0
    P("leak: a project creator's User.email", "project_admin", gql(
        "query Q($e: String, $p: String) { project(name: $p, entityName: $e) { user { email "
        "} } }", ("project", "user", "email"), lambda w, who, vis: where(vis))),
    S("leak: __schema dump", "site_admin", gql("{ __schema { queryType { name } } }",
                                               ("__schema",))),
    S("leak: __type probe", "signed_in", gql('{ __type(name: "Run") { name } }', ("__type",))),
    # ---- GraphQL Mutations
    P("Mutation.upsertBucket", "write", gql(
        "mutation U($e: String, $p: String, $n: String) { upsertBucket(input: {entityName: $e, "
        "modelName: $p, name: $n}) { bucket { id } } }", ("upsertBucket", "bucket"),
        lambda w, who, vis: {**where(vis), "n": f"m{serial()}"})),
    P("Mutation.createRunFiles", "write", gql(RUN_FILES, ("createRunFiles", "runID"),
                                              lambda w, who, vis: {**where(vis), "f": "m.txt"})),
    P("Mutation.notifyScriptableRunAlert", "write", gql(
        "mutation A($e: String!, $p: String!) { notifyScriptableRunAlert(input: {entityName: $e,"
        ' projectName: $p, runName: "r1", title: "t", text: "x"}) { success } }',
        ("notifyScriptableRunAlert",), lambda w, who, vis: where(vis))),
    P("Mutation.stopRun", "write", gql(
        "mutation S($id: ID!) { stopRun(input: {id: $id}) { success } }", ("stopRun",),
        lambda w, who, vis: {"id": w.run_ids[vis]})),
    P("Mutation.updateRunState", "write", gql(
        'mutation U($id: ID!) { updateRunState(input: {id: $id, state: "failed"}) { success } }',
        ("updateRunState", "success"), _fresh_run)),
    P("Mutation.deleteRun", "write", gql(
        "mutation D($id: ID!) { deleteRun(input: {id: $id}) { clientMutationId } }",
        ("deleteRun",), _fresh_run)),
    P("Mutation.markRunFilesUploaded", "write", gql(
        "mutation M($e: String!, $p: String!) { markRunFilesUploaded(input: {entityName: $e, "
        'projectName: $p, runName: "r1", files: ["a.txt"]}) { success } }',
        ("markRunFilesUploaded",), lambda w, who, vis: where(vis))),
    # settings of an existing project: its creator and the entity's admins
    P("Mutation.upsertModel", "project_admin", gql(
        "mutation M($e: String, $p: String!) { upsertModel(input: {entityName: $e, name: $p, "
        'description: "d"}) { project { name } } }', ("upsertModel", "project"),
        lambda w, who, vis: where(vis))),
    P("Mutation.createArtifact", "write", gql(ARTIFACT_INPUT, ("createArtifact", "artifact"),
                                              lambda w, who, vis: {**where(vis),
                                                                   "d": secrets.token_hex(8)})),
    P("Mutation.createArtifactManifest", "write", gql(
        "mutation M($id: ID!, $e: String!, $p: String!) { createArtifactManifest(input: {"
        'artifactID: $id, name: "wandb_manifest.json", digest: "x", entityName: $e, '
        'projectName: $p, runName: "r1"}) { artifactManifest { id } } }',
        ("createArtifactManifest", "artifactManifest"),
        lambda w, who, vis: {**where(vis), "id": _pending(w, vis).id})),
    P("Mutation.updateArtifactManifest", "write", gql(
        "mutation M($id: ID!) { updateArtifactManifest(input: {artifactManifestID: $id}) { "
        "artifactManifest { id } } }", ("updateArtifactManifest", "artifactManifest"),
        lambda w, who, vis: {"id": gid("ArtifactManifest", number_of(_pending(w, vis).id))})),
    P("Mutation.createArtifactFiles", "write", gql(
        "mutation C($input: CreateArtifactFilesInput!) { createArtifactFiles(input: $input) { "
        "files { edges { node { storagePath } } } } }", ("createArtifactFiles", "files"),
        lambda w, who, vis: {"input": {"artifactFiles": [{
            "artifactID": _pending(w, vis).id, "name": f"m{serial()}.bin",
            "md5": md5_b64(secrets.token_bytes(8))}]}})),
    P("Mutation.commitArtifact", "write", gql(
        "mutation K($id: ID!) { commitArtifact(input: {artifactID: $id}) { artifact { id } } }",
        ("commitArtifact", "artifact"),
        lambda w, who, vis: {"id": _fresh_version(w, vis, commit=False).id})),
    P("Mutation.useArtifact", "write", gql(
        "mutation U($e: String!, $p: String!, $id: ID!) { useArtifact(input: {entityName: $e, "
        'projectName: $p, runName: "r1", artifactID: $id}) { artifact { id } } }',
        ("useArtifact", "artifact"), lambda w, who, vis: {**where(vis),
                                                          "id": w.versions[vis].id})),
    P("Mutation.deleteArtifact", "write", gql(
        "mutation D($id: ID!) { deleteArtifact(input: {artifactID: $id}) { artifact { id } } }",
        ("deleteArtifact", "artifact"),
        lambda w, who, vis: {"id": _fresh_version(w, vis, commit=True).id})),
    P("Mutation.updateArtifact", "write", gql(
        "mutation U($id: ID!) { updateArtifact(input: {artifactID: $id, description: \"d\", "
        "tagsToAdd: [{tagName: \"t\"}]}) { artifact { id } } }",
        ("updateArtifact", "artifact"),
        lambda w, who, vis: {"id": _fresh_version(w, vis, commit=True).id})),
    P("Mutation.addAliases", "write", gql(
        "mutation A($id: ID!, $e: String!, $p: String!, $c: String!) { addAliases(input: {"
        "artifactID: $id, aliases: [{alias: \"x\", artifactCollectionName: $c, "
        "entityName: $e, projectName: $p}]}) { success } }",
        ("addAliases", "success"), lambda w, who, vis: _alias_vars(w, vis))),
    P("Mutation.deleteAliases", "write", gql(
        "mutation A($id: ID!, $e: String!, $p: String!, $c: String!) { deleteAliases(input: {"
        "artifactID: $id, aliases: [{alias: \"x\", artifactCollectionName: $c, "
        "entityName: $e, projectName: $p}]}) { success } }",
        ("deleteAliases", "success"), lambda w, who, vis: _alias_vars(w, vis))),
    P("Mutation.completeMultipartUploadArtifact", "write", gql(
        "mutation C($id: ID!, $path: String!) { completeMultipartUploadArtifact(input: {"
        'completeMultipartAction: Complete, completedParts: [{partNumber: 1, hexMD5: "00"}], '
        'artifactID: $id, storagePath: $path, uploadID: "u"}) { digest } }',
        ("completeMultipartUploadArtifact", "digest"),
        lambda w, who, vis: {"id": _pending(w, vis).id,
                             "path": w.versions[vis].storage_path})),
    P("Mutation.linkArtifact", "write", gql(
        "mutation L($e: String!, $p: String!, $id: ID!, $n: String!) { linkArtifact(input: {"
        "artifactID: $id, artifactPortfolioName: $n, entityName: $e, projectName: $p}) { "
        "versionIndex } }", ("linkArtifact", "versionIndex"),
        lambda w, who, vis: {**where(vis), "id": w.versions[vis].id, "n": f"pf{serial()}"})),
    P("Mutation.unlinkArtifact", "write", gql(
        "mutation U($id: ID!, $pf: ID!) { unlinkArtifact(input: {artifactID: $id, "
        "artifactPortfolioID: $pf}) { success } }", ("unlinkArtifact", "success"),
        lambda w, who, vis: _portfolio(w, vis))),
    P("Mutation.updateArtifactSequence", "write", gql(
        "mutation U($id: ID!) { updateArtifactSequence(input: {artifactSequenceID: $id, "
        'description: "d"}) { artifactCollection { id } } }',
        ("updateArtifactSequence", "artifactCollection"),
        lambda w, who, vis: {"id": _collection_gid(w, vis, "data")})),
    P("Mutation.updateArtifactPortfolio", "write", gql(
        "mutation U($pf: ID!) { updateArtifactPortfolio(input: {artifactPortfolioID: $pf, "
        'description: "d"}) { artifactCollection { id } } }',
        ("updateArtifactPortfolio", "artifactCollection"),
        lambda w, who, vis: {"pf": _portfolio(w, vis)["pf"]})),
    P("Mutation.createArtifactCollectionTagAssignments", "write", gql(
        "mutation T($e: String!, $p: String!) { createArtifactCollectionTagAssignments(input: {"
        'entityName: $e, projectName: $p, artifactCollectionName: "data", '
        'tags: [{tagName: "t"}]}) { tags { name } } }',
        ("createArtifactCollectionTagAssignments", "tags"), lambda w, who, vis: where(vis))),
    P("Mutation.deleteArtifactCollectionTagAssignments", "write", gql(
        "mutation T($e: String!, $p: String!) { deleteArtifactCollectionTagAssignments(input: {"
        'entityName: $e, projectName: $p, artifactCollectionName: "data", '
        'tags: [{tagName: "t"}]}) { success } }',
        ("deleteArtifactCollectionTagAssignments", "success"), lambda w, who, vis: where(vis))),
    P("Mutation.moveArtifactSequence", "write", gql(
        "mutation M($id: ID!) { moveArtifactSequence(input: {artifactSequenceID: $id, "
        'destinationArtifactTypeName: "moved"}) { artifactCollection { id } } }',
        ("moveArtifactSequence", "artifactCollection"),
        lambda w, who, vis: {"id": _fresh_collection(w, vis)})),
    P("Mutation.deleteArtifactSequence", "write", gql(
        "mutation D($id: ID!) { deleteArtifactSequence(input: {artifactSequenceID: $id}) { "
        "artifactCollection { state } } }", ("deleteArtifactSequence", "artifactCollection"),
        lambda w, who, vis: {"id": _fresh_collection(w, vis)})),
    P("Mutation.deleteArtifactPortfolio", "write", gql(
        "mutation D($pf: ID!) { deleteArtifactPortfolio(input: {artifactPortfolioID: $pf}) { "
        "artifactCollection { state } } }", ("deleteArtifactPortfolio", "artifactCollection"),
        lambda w, who, vis: {"pf": _portfolio(w, vis)["pf"]})),
    S("Mutation.updateServerSettings", "site_admin", gql(
        "mutation { updateServerSettings(input: {settings: [{name: \"invite_hours\", "
        'value: "72"}]}) { changed } }', ("updateServerSettings",))),
    S("Mutation.createUser", "site_admin", gql(
        "mutation C($m: String!) { createUser(input: {email: $m}) { user { username } } }",
        ("createUser", "user"), lambda w, who, vis: {"m": f"u{serial()}@example.com"})),
    S("Mutation.generateApiKey", "signed_in", gql(
        "mutation { generateApiKey(input: {description: \"m\"}) { apiKey { id } } }",
        ("generateApiKey", "apiKey"))),
    S("Mutation.deleteApiKey", "signed_in", gql(
        "mutation D($id: String!) { deleteApiKey(input: {id: $id}) { success } }",
        ("deleteApiKey",), lambda w, who, vis: {"id": gid("ApiKey", _own_key_id(w, who))})),
    S("Mutation.createTeam", "signed_in", gql(
        "mutation T($n: String!) { createTeam(input: {teamName: $n}) { entity { name } } }",
        ("createTeam", "entity"), lambda w, who, vis: {"n": f"t{serial()}"})),
    S("Mutation.createInvite", "team_admin", gql(
        "mutation I($e: String!, $u: String!) { createInvite(input: {entityName: $e, "
        "username: $u}) { invite { name } } }", ("createInvite", "invite"),
        lambda w, who, vis: {"e": TEAM, "u": USERS["invitee"]})),
    # ---- REST
    S("POST /graphql", "signed_in", gql("{ __typename }", ("__typename",))),
    P("POST /files/{entity}/{project}/{run}/file_stream", "write",
      rest("POST", at("/files/{e}/{p}/r1/file_stream"), lambda w, who, vis: {"json": {}})),
    P("GET /files/{entity}/{project}/{run}/{name:path}", "read",
      rest("GET", at("/files/{e}/{p}/r1/a.txt"))),
    # a signed URL is the credential: whoever holds it (no key needed); unsigned: nobody
    P("PUT /storage/{key:path}", "everyone",
      rest("PUT", lambda w, who, vis: w.signed_put[vis], lambda w, who, vis: {"content": b"c"})),
    P("PUT /storage/{key:path} unsigned", "nobody",
      rest("PUT", lambda w, who, vis: w.signed_put[vis].split("?")[0],
           lambda w, who, vis: {"content": b"c"})),
    P("GET /storage/{key:path}", "everyone", rest("GET", lambda w, who, vis: w.signed_get[vis])),
    P("GET /storage/{key:path} unsigned", "nobody",
      rest("GET", lambda w, who, vis: w.signed_get[vis].split("?")[0])),
    P("GET /artifactsV2/{path:path}", "read", rest("GET", lambda w, who, vis: "/".join((
        "/artifactsV2/default", *PROJECTS[vis], w.versions[vis].name,
        str(number_of(w.versions[vis].id)), hashlib.md5(w.versions[vis].content).hexdigest(),
        "f.bin")))),
    S("GET /healthz", "everyone", rest("GET", lambda w, who, vis: "/healthz")),
    S("GET /readyz", "everyone", rest("GET", lambda w, who, vis: "/readyz")),
    # a site admin's API key, or Bearer WBSERVER_METRICS_TOKEN (tests/api/test_observability.py)
    S("GET /metrics", "site_admin", rest("GET", lambda w, who, vis: "/metrics")),
    # ---- JSON the pages fetch (session cookie)
    P("GET /_ui/{entity}/{project}/runs", "read", page("GET", at("/_ui/{e}/{p}/runs"))),
    P("GET /_ui/{entity}/{project}/compare", "read",
      page("GET", at("/_ui/{e}/{p}/compare?runs=r1&keys=loss"))),
    P("GET /_ui/{entity}/{project}/runs/{run}/series", "read",
      page("GET", at("/_ui/{e}/{p}/runs/r1/series?keys=loss"))),
    P("GET /_ui/{entity}/{project}/runs/{run}/system", "read",
      page("GET", at("/_ui/{e}/{p}/runs/r1/system"))),
    P("GET /_ui/{entity}/{project}/runs/{run}/status", "read",
      page("GET", at("/_ui/{e}/{p}/runs/r1/status"))),
    P("GET /_ui/{entity}/{project}/runs/{run}/logs", "read",
      page("GET", at("/_ui/{e}/{p}/runs/r1/logs"))),
    P("GET /_ui/{entity}/{project}/workspace", "read", page("GET", at("/_ui/{e}/{p}/workspace"))),
    P("GET /_ui/{entity}/{project}/workspace/runs", "read",
      page("GET", at("/_ui/{e}/{p}/workspace/runs"))),
    # a reader saves a layout of their own (never anyone else's); the page's CSRF token
    P("PUT /_ui/{entity}/{project}/workspace/layout", "read", _layout_put),
    # the run page's edits: the project's writers, as upsertBucket and deleteRun
    P("POST /_ui/{entity}/{project}/runs/{run}/edit", "write",
      _run_change("edit", b'{"displayName": "renamed", "tags": ["t"], "notes": "n"}')),
    P("POST /_ui/{entity}/{project}/runs/{run}/delete", "write", _run_change("delete", b"")),
    P("GET /_ui/{entity}/{project}/panels/{kind}", "read",
      page("GET", at("/_ui/{e}/{p}/panels/line?keys=loss&runs=r1"))),
    P("GET /_ui/{entity}/{project}/runs/{run}/media", "read",
      page("GET", at("/_ui/{e}/{p}/runs/r1/media"))),
    P("GET /_ui/{entity}/{project}/runs/{run}/media/values", "read",
      page("GET", at("/_ui/{e}/{p}/runs/r1/media/values?key=img"))),
    P("GET /_ui/{entity}/{project}/runs/{run}/media/table", "read",
      page("GET", at("/_ui/{e}/{p}/runs/r1/media/table?key=t"))),
    P("GET /_ui/{entity}/{project}/runs/{run}/media/table-file", "read",
      page("GET", at("/_ui/{e}/{p}/runs/r1/media/table-file?key=t&name=f.bin"))),
    P("GET /_ui/{entity}/{project}/runs/{run}/media/table-links", "read",
      page("GET", at("/_ui/{e}/{p}/runs/r1/media/table-links?key=t&name=t.table.json"))),
    # a signed view link is the credential (web/ui_api.view_file): whoever holds it
    P("GET /_ui/_view/{key:path}", "everyone", page("GET", lambda w, who, vis: _view(w, vis))),
    P("GET /_ui/_view/{key:path} unsigned", "nobody",
      page("GET", lambda w, who, vis: _view(w, vis).split("&exp=")[0])),
    P("GET /_ui/{entity}/{project}/runs/{run}/file/{name:path}", "read",
      page("GET", at("/_ui/{e}/{p}/runs/r1/file/a.txt"))),
    P("GET /_ui/{entity}/{project}/runs/{run}/html/{name:path}", "read",
      page("GET", at("/_ui/{e}/{p}/runs/r1/html/a.txt"))),
    P("GET /_ui/{entity}/{project}/runs/{run}/lineage", "read",
      page("GET", at("/_ui/{e}/{p}/runs/r1/lineage"))),
    P("GET /_ui/{entity}/{project}/artifacts/{type}/{name}/{version}/lineage", "read",
      page("GET", at("/_ui/{e}/{p}/artifacts/dataset/data/v0/lineage"))),
    # ---- pages
    S("MOUNT /static", "everyone", page("GET", lambda w, who, vis: "/static/favicon.svg")),
    S("GET /_assets/{name}", "everyone", page("GET", lambda w, who, vis: asset_url("run.js"))),
    S("GET /favicon.ico", "everyone", page("GET", lambda w, who, vis: "/favicon.ico")),
    S("GET /", "signed_in", page("GET", lambda w, who, vis: "/")),
    S("GET|POST /setup", "nobody", page("GET", lambda w, who, vis: "/setup")),  # an admin exists
    S("GET|POST /login", "everyone", page("GET", lambda w, who, vis: "/login")),
    listed("POST /", "the provider's form_post when the SSO callback is HOST itself (404 "
           "otherwise); tests/sso/test_guide_auth0.py"),
    listed("GET|POST /logout", "ends the session; tests/api/test_web_accounts.py"),
    S("GET|POST /invite/{token}", "nobody", page("GET", lambda w, who, vis: "/invite/bogus")),
    S("GET|POST /reset/{token}", "nobody", page("GET", lambda w, who, vis: "/reset/bogus")),
    S("GET /oidc/login", "nobody", page("GET", lambda w, who, vis: "/oidc/login")),  # SSO off
    S("GET|POST /oidc/callback", "nobody",
      page("GET", lambda w, who, vis: "/oidc/callback?state=x&code=y")),
    # 400 past the access check: Slack is not set up here
    S("GET /slack/connect", "team_admin",
      page("GET", lambda w, who, vis: f"/slack/connect?entity={TEAM}", passed=frozenset({400}))),
    listed("GET /slack/callback", "needs Slack's OAuth round trip; tests/notify"),
    S("POST /slack/disconnect", "team_admin",
      page("POST", lambda w, who, vis: "/slack/disconnect", lambda w, who, vis: {"entity": TEAM})),
    S("POST /notifications", "team_admin",
      page("POST", lambda w, who, vis: "/notifications", lambda w, who, vis: {"entity": TEAM})),
    S("GET /teams/{name}", "team_role", page("GET", lambda w, who, vis: f"/teams/{TEAM}")),
    S("POST /teams/{name}/members", "team_admin",
      page("POST", lambda w, who, vis: f"/teams/{TEAM}/members",
           lambda w, who, vis: {"username": USERS["invitee"], "role": "member"})),
    S("GET /settings", "signed_in", page("GET", lambda w, who, vis: "/settings")),
    listed("POST /lang", "anyone with the page's form token sets the `lang` cookie of their "
           "own browser (no account touched); tests/api/test_web_i18n.py"),
    S("POST /settings/keys", "signed_in",
      page("POST", lambda w, who, vis: "/settings/keys", lambda w, who, vis: {"name": "m"})),
    S("POST /settings/keys/{key_id:int}/revoke", "signed_in",
      page("POST", lambda w, who, vis: f"/settings/keys/{_own_key_id(w, who)}/revoke")),
    # 400 past the access check: these users have no password to give
    S("POST /settings/password", "signed_in",
      page("POST", lambda w, who, vis: "/settings/password",
           lambda w, who, vis: {"current": "nope", "new": "long-enough-pass-1"},
           passed=frozenset({400}))),
    S("GET /system-admin", "site_admin", page("GET", lambda w, who, vis: "/system-admin")),
    S("GET /admin-settings", "everyone",  # a redirect to /system-admin, which checks
      page("GET", lambda w, who, vis: "/admin-settings")),
    listed("POST /system-admin/settings", "every setting's form; tests/api/test_settings_admin.py"),
    S("GET /system-admin/users", "site_admin",
      page("GET", lambda w, who, vis: "/system-admin/users")),
    S("POST /system-admin/users", "site_admin",
      page("POST", lambda w, who, vis: "/system-admin/users",
           lambda w, who, vis: {"username": f"p{serial()}", "email": f"p{serial()}@x.io",
                                "password": "long-enough-pass-1"})),
    S("POST /system-admin/invites", "site_admin",
      page("POST", lambda w, who, vis: "/system-admin/invites")),
    S("POST /system-admin/users/{username}/{action}", "site_admin",
      page("POST", lambda w, who, vis: f"/system-admin/users/{USERS['invitee']}/reset-link")),
    S("GET /system-admin/audit", "site_admin",
      page("GET", lambda w, who, vis: "/system-admin/audit")),
    P("GET /{entity}/{project}/runs/{run}", "read", page("GET", at("/{e}/{p}/runs/r1"))),
    P("GET /{entity}/{project}/compare", "read", page("GET", at("/{e}/{p}/compare?runs=r1"))),
    P("GET /{entity}/{project}/table", "read", page("GET", at("/{e}/{p}/table"))),
    P("GET /{entity}/{project}/artifacts", "read", page("GET", at("/{e}/{p}/artifacts"))),
    P("GET /{entity}/{project}/artifacts/{type}/{name}", "read",
      page("GET", at("/{e}/{p}/artifacts/dataset/data"))),
    P("GET /{entity}/{project}/artifacts/{type}/{name}/{version}", "read",
      page("GET", at("/{e}/{p}/artifacts/dataset/data/v0"))),
    P("POST /{entity}/{project}/artifacts/{type}/{name}/{version}/delete", "write",
      page("POST", lambda w, who, vis: "/{}/{}/artifacts/dataset/{}/v0/delete".format(
          *PROJECTS[vis], _fresh_version(w, vis, commit=True).name))),
    P("Mutation.upsertSweep", "write", gql(UPSERT_SWEEP, ("upsertSweep", "sweep"),
                                           lambda w, who, vis: {**where(vis), "c": SWEEP_CONFIG})),
    P("Mutation.upsertSweep of a sweep (by id: pause)", "write", gql(
        UPSERT_SWEEP, ("upsertSweep", "sweep"),
        lambda w, who, vis: {**where(vis), "id": _fresh_sweep(w, vis)["id"], "s": "PAUSED"})),
    P("Mutation.createAgent", "write", gql(CREATE_AGENT, ("createAgent", "agent"),
                                           lambda w, who, vis: {**where(vis),
                                                                "s": _fresh_sweep(w, vis)["name"]})),
    P("Mutation.agentHeartbeat", "write", gql(
        'mutation H($id: ID!) { agentHeartbeat(input: {id: $id, runState: "{}"}) { commands } }',
        ("agentHeartbeat", "commands"), lambda w, who, vis: _fresh_agent(w, vis))),
    P("GET /{entity}/{project}/sweeps", "read", page("GET", at("/{e}/{p}/sweeps"))),
    P("GET /{entity}/{project}/sweeps/{sweep}", "read", page(
        "GET", lambda w, who, vis: "/{}/{}/sweeps/{}".format(*PROJECTS[vis],
                                                            _fresh_sweep(w, vis)["name"]))),
    P("GET /_ui/{entity}/{project}/sweeps/{sweep}/analysis", "read", page(
        "GET", lambda w, who, vis: "/_ui/{}/{}/sweeps/{}/analysis".format(
            *PROJECTS[vis], _fresh_sweep(w, vis)["name"]))),
    P("POST /{entity}/{project}/sweeps/{sweep}/state", "write", page(
        "POST", lambda w, who, vis: "/{}/{}/sweeps/{}/state".format(
            *PROJECTS[vis], _fresh_sweep(w, vis)["name"]), lambda w, who, vis: {"action": "pause"})),
    P("GET /{entity}/{project}", "read", page("GET", at("/{e}/{p}"))),
]


def cells(rows: list[Row]) -> list[tuple[Row, str, str]]:
    out = []
    for row in rows:
        if row.probe is None:
            continue
        for vis in (PROJECTS if row.scope == "project" else ("team",)):
            out.extend((row, vis, who) for who in IDENTITIES)
    return out


CELLS = cells(TABLE)
# the MariaDB subset: item 2's mutations, a read, file_stream and a page's JSON
MARIADB_ROWS = {"Mutation.stopRun", "Mutation.deleteRun", "Mutation.createRunFiles", "Mutation.markRunFilesUploaded",
                "Mutation.notifyScriptableRunAlert", "Mutation.createArtifact", "Query.project",
                "POST /files/{entity}/{project}/{run}/file_stream",
                "GET /_ui/{entity}/{project}/runs"}


def _cell_id(cell: tuple[Row, str, str]) -> str:
    row, vis, who = cell
    return f"{row.name}|{vis if row.scope == 'project' else 'site'}|{who}"


def _world(kind, tmp_path_factory):
    with world_on(kind, str(tmp_path_factory.mktemp(f"matrix-{kind}"))) as world:
        for vis, (entity, project) in PROJECTS.items():
            world.pending[vis] = world.log_version(vis, commit=False, name="pending")
            put = world.ok("owner", RUN_FILES.replace("{ runID }", "{ files { uploadUrl } }"),
                           e=entity, p=project, f="cap.txt")
            world.signed_put[vis] = put["createRunFiles"]["files"][0]["uploadUrl"].replace(
                "http://testserver", "")
            files = world.ok("owner", "query Q($e: String, $p: String) { project(name: $p, "
                             'entityName: $e) { run(name: "r1") { files(names: ["a.txt"]) { '
                             "edges { node { directUrl } } } } } }", e=entity, p=project)
            url = files["project"]["run"]["files"]["edges"][0]["node"]["directUrl"]
            world.signed_get[vis] = url.replace("http://testserver", "")
            _table(world, entity, project, vis)
        yield world


def _table(world, entity, project, vis):
    """A table `t` of r1 (its file, in the summary) and an artifact run-r1-t (a table's
    media files), for the media table probes."""
    stream = {"files": {"wandb-summary.json": {"offset": 0, "content": [json.dumps(
        {"t": {"_type": "table-file", "path": "t.table.json"}})]}}}
    assert world.client.post(f"/files/{entity}/{project}/r1/file_stream", json=stream,
                             headers=world.headers("owner")).status_code == 200
    target = world.ok("owner", CREATE_RUN_FILES, e=entity, p=project, r="r1",
                      files=["t.table.json"])["createRunFiles"]["files"][0]
    assert world.client.put(local(target["uploadUrl"]),
                            content=b'{"columns": ["a"], "data": [[1]]}').status_code == 200
    world.log_version(vis, name="run-r1-t")


@pytest.fixture(scope="module")
def sqlite_world(tmp_path_factory):
    yield from _world("sqlite", tmp_path_factory)


@pytest.fixture(scope="module")
def mariadb_world(tmp_path_factory):
    yield from _world("mariadb", tmp_path_factory)


def _check(world: World, row: Row, vis: str, who: str) -> None:
    assert row.probe is not None
    verdict = row.probe(world, who, vis)
    expected = RULES[row.rule](who, vis)
    assert verdict.allowed == expected, (
        f"{row.name} on the {vis} project as {who}: expected "
        f"{'allow' if expected else 'deny'}, got {verdict.status}: {verdict.detail}")
    if not expected and who in UNAUTHENTICATED and row.rule in IDENTITY_RULES:
        assert verdict.status == 401, f"{row.name} as {who}: {verdict.status} {verdict.detail}"


@pytest.mark.parametrize("cell", CELLS, ids=_cell_id)
def test_matrix_on_sqlite(sqlite_world, cell):
    _check(sqlite_world, *cell)


@pytest.mark.parametrize("cell", [c for c in CELLS if c[0].name in MARIADB_ROWS], ids=_cell_id)
def test_matrix_on_mariadb(mariadb_world, cell):
    _check(mariadb_world, *cell)


def _route_names() -> set[str]:
    names = set()
    for route in ROUTES:
        if isinstance(route, Mount):
            names.add(f"MOUNT {route.path}")
        else:
            assert isinstance(route, Route)
            methods = sorted((route.methods or set()) - {"HEAD"})
            names.add(f"{'|'.join(methods)} {route.path}")
    return names


def test_every_route_of_the_route_table_has_a_row():
    rows = {row.name for row in TABLE}
    missing = _route_names() - rows
    assert not missing, f"routes of api/routes.py missing from the access table: {missing}"


def test_every_query_and_mutation_field_has_a_row():
    schema = build(all_resolvers())
    rows = {row.name for row in TABLE}
    for root in (schema.query_type, schema.mutation_type):
        assert root is not None
        missing = {f"{root.name}.{name}" for name in root.fields} - rows
        assert not missing, f"root fields missing from the access table: {sorted(missing)}"


def test_rows_name_real_routes_and_rules():
    known = _route_names()
    for row in TABLE:
        assert row.rule in RULES, row.name
        if row.name.startswith(("GET", "POST", "PUT", "MOUNT")):
            assert row.name.split(" unsigned")[0] in known, row.name


def test_matrix_size(capsys):
    per_identity = {who: sum(1 for _r, _v, w in CELLS if w == who) for who in IDENTITIES}
    with capsys.disabled():
        print(f"\naccess matrix: {len(CELLS)} cells on SQLite "
              f"({sum(1 for r in TABLE if r.probe)} probed rows, "
              f"{sum(1 for r in TABLE if not r.probe)} listed only), "
              f"{sum(1 for c in CELLS if c[0].name in MARIADB_ROWS)} on MariaDB; "
              f"per identity: {per_identity}")
    assert len(set(per_identity.values())) == 1 and len(CELLS) > 1000
