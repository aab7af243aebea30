"""Who may call each GraphQL root field: THE table of access rules.

`schema.build` wraps every Query and Mutation field's resolver with its rule from ROOT_RULES,
and refuses to build a schema with a root field that has no rule: a mutation without one
cannot be served. A rule is the entry check (may this caller touch that project, run,
artifact, team, account at all); the domain still enforces what is finer (who may change a
project's settings, which artifact versions are immutable...). Every rule decides through
domain/permissions.py. The caller is already authenticated (http/auth.py) before any rule runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wbserver.api.graphql.ids import decode_id
from wbserver.api.graphql.resolve_info import GraphQLResolveInfo
from wbserver.domain import permissions
from wbserver.domain.runs import DEFAULT_PROJECT
from wbserver.domain.sweeps import agent_sweep, writable_sweep
from wbserver.errors import InvalidInput

Check = Callable[[GraphQLResolveInfo, dict[str, Any]], None]


@dataclass(frozen=True)
class Rule:
    name: str  # what the rule asks, as the docs and the access-matrix test name it
    check: Check


def _input(args: dict[str, Any]) -> dict[str, Any]:
    value = args.get("input")
    return value if isinstance(value, dict) else {}


def signed_in() -> Rule:
    """Any signed-in user; the resolver answers only what they may read (null otherwise)."""
    return Rule("signed_in", lambda _info, _args: None)


def site_admin(what: str) -> Rule:
    return Rule("site_admin", lambda info, _args: permissions.check_site_admin(
        info.context.viewer, what))


def own_account() -> Rule:
    """Acts on the caller's own account only (the resolver takes the viewer, no user name)."""
    return Rule("self", lambda _info, _args: None)


def own_or_site_admin(field: str) -> Rule:
    """The caller's own name in `field` (or none); another user's: site admins only."""
    def check(info: GraphQLResolveInfo, args: dict[str, Any]) -> None:
        named = _input(args).get(field)
        if named and named != info.context.viewer.username:
            permissions.check_site_admin(info.context.viewer, f"name another user in {field}")
    return Rule("self_or_site_admin", check)


def team_admin(entity_field: str = "entityName") -> Rule:
    def check(info: GraphQLResolveInfo, args: dict[str, Any]) -> None:
        ctx = info.context
        permissions.check_team_admin(ctx.store, viewer=ctx.viewer,
                                     name=str(_input(args).get(entity_field) or ""))
    return Rule("team_admin", check)


def project_write(entity_field: str = "entityName", project_field: str = "projectName",
                  default_project: str | None = None) -> Rule:
    """Write access to the project named in the input (a project not made yet: the right to
    create projects in its entity). The entity defaults to the caller's own."""
    def check(info: GraphQLResolveInfo, args: dict[str, Any]) -> None:
        ctx, given = info.context, _input(args)
        entity = given.get(entity_field) or ctx.viewer.username
        project = given.get(project_field) or default_project
        if not isinstance(project, str) or not isinstance(entity, str):
            raise InvalidInput(f"{project_field} is required")
        permissions.check_project_writable(ctx.store, viewer=ctx.viewer, entity=entity,
                                           project=project)
    return Rule("project_write", check)


def run_write(id_field: str = "id", *, deleted_too: bool = False) -> Rule:
    """Write access to the project of the run whose GraphQL id is in the input (or, with
    `deleted_too`, of the run deleted with that id: deleting it again succeeds)."""
    verify = permissions.deletable_run if deleted_too else permissions.writable_run

    def check(info: GraphQLResolveInfo, args: dict[str, Any]) -> None:
        ctx = info.context
        verify(ctx.store, viewer=ctx.viewer,
               run_id=decode_id("Run", str(_input(args).get(id_field))))
    return Rule("run_write", check)


def upsert_bucket_rule() -> Rule:
    """A run named by id (resume, Api.update): its project; else the project named."""
    by_project = project_write("entityName", "modelName", DEFAULT_PROJECT)
    by_run = run_write("id")

    def check(info: GraphQLResolveInfo, args: dict[str, Any]) -> None:
        (by_run if _input(args).get("id") else by_project).check(info, args)
    return Rule("project_write", check)


def artifact_access(kind: str, id_field: str = "artifactID", *, id_kind: str = "Artifact",
                    listed_in: str | None = None) -> Rule:
    """Read (`kind` "read") or write access to the project of the artifact version(s) named
    in the input: `id_field` of the input, or of each entry of the list `listed_in`."""
    verify = permissions.check_artifact_write if kind == "write" else \
        permissions.check_artifact_read

    def check(info: GraphQLResolveInfo, args: dict[str, Any]) -> None:
        ctx, given = info.context, _input(args)
        entries = (given.get(listed_in) or []) if listed_in else [given]
        for artifact_id in {decode_id(id_kind, str(e.get(id_field))) for e in entries}:
            verify(ctx.store, viewer=ctx.viewer, artifact_id=artifact_id)
    return Rule(f"artifact_{kind}", check)


def sweep_upsert_rule() -> Rule:
    """A sweep named by id (a change of state, config or controller): its project; else the
    project named (a new sweep)."""
    by_project = project_write(default_project=DEFAULT_PROJECT)

    def check(info: GraphQLResolveInfo, args: dict[str, Any]) -> None:
        given = _input(args).get("id")
        if not given:
            return by_project.check(info, args)
        ctx = info.context
        writable_sweep(ctx.store, viewer=ctx.viewer, sweep_id=decode_id("Sweep", str(given)))
    return Rule("project_write", check)


def agent_write() -> Rule:
    """Write access to the project of the sweep of the agent whose id is in the input."""
    def check(info: GraphQLResolveInfo, args: dict[str, Any]) -> None:
        ctx = info.context
        agent_sweep(ctx.store, viewer=ctx.viewer,
                    agent_id=decode_id("Agent", str(_input(args).get("id"))))
    return Rule("sweep_write", check)


def collection_write(id_field: str) -> Rule:
    """Write access to the project of the artifact collection (sequence or portfolio) whose
    GraphQL id is `id_field` of the input."""
    def check(info: GraphQLResolveInfo, args: dict[str, Any]) -> None:
        ctx = info.context
        value = str(_input(args).get(id_field))
        try:
            number = decode_id("ArtifactPortfolio", value)
        except InvalidInput:
            number = decode_id("ArtifactSequence", value)
        permissions.check_collection_write(ctx.store, viewer=ctx.viewer, collection_id=number)
    return Rule("collection_write", check)


def both(first: Rule, second: Rule) -> Rule:
    def check(info: GraphQLResolveInfo, args: dict[str, Any]) -> None:
        first.check(info, args)
        second.check(info, args)
    return Rule(f"{first.name}+{second.name}", check)


ROOT_RULES: dict[str, dict[str, Rule]] = {
    "Query": {
        "viewer": signed_in(), "serverInfo": signed_in(), "entity": signed_in(),
        "model": signed_in(), "project": signed_in(), "models": signed_in(),
        "run": signed_in(), "artifact": signed_in(), "clientIDMapping": signed_in(),
        "artifactCollection": signed_in(),
        "serverSettings": site_admin("read or change server settings"),
        "users": site_admin("list users"),
    },
    "Mutation": {
        "upsertBucket": upsert_bucket_rule(),
        "createRunFiles": project_write(),
        "notifyScriptableRunAlert": project_write(),
        "stopRun": run_write("id"),
        "updateRunState": run_write("id"),
        "deleteRun": run_write("id", deleted_too=True),
        "markRunFilesUploaded": project_write(),
        "upsertModel": project_write("entityName", "name"),
        "createArtifact": project_write(),
        "createArtifactManifest": artifact_access("write"),
        "updateArtifactManifest": artifact_access("write", "artifactManifestID",
                                                  id_kind="ArtifactManifest"),
        "createArtifactFiles": artifact_access("write", listed_in="artifactFiles"),
        "commitArtifact": artifact_access("write"),
        "useArtifact": both(project_write(), artifact_access("read")),
        "deleteArtifact": artifact_access("write"),
        "updateArtifact": artifact_access("write"),
        # the domain asks write to the collection named: the version's own, or a portfolio
        "addAliases": artifact_access("read"),
        "deleteAliases": artifact_access("read"),
        "completeMultipartUploadArtifact": artifact_access("write"),
        "linkArtifact": both(project_write(), artifact_access("read")),
        "unlinkArtifact": collection_write("artifactPortfolioID"),
        "updateArtifactSequence": collection_write("artifactSequenceID"),
        "updateArtifactPortfolio": collection_write("artifactPortfolioID"),
        "createArtifactCollectionTagAssignments": project_write(),
        "deleteArtifactCollectionTagAssignments": project_write(),
        "moveArtifactSequence": collection_write("artifactSequenceID"),
        "deleteArtifactSequence": collection_write("artifactSequenceID"),
        "deleteArtifactPortfolio": collection_write("artifactPortfolioID"),
        "updateServerSettings": site_admin("read or change server settings"),
        "createUser": site_admin("manage users"),
        "generateApiKey": own_account(),
        "deleteApiKey": own_account(),
        "createTeam": own_or_site_admin("teamAdminUserName"),
        "createInvite": team_admin(),
        "upsertSweep": sweep_upsert_rule(),
        "createAgent": project_write(default_project=DEFAULT_PROJECT),
        "agentHeartbeat": agent_write(),
    },
}


def guarded(rule: Rule, resolve: Callable[..., Any]) -> Callable[..., Any]:
    """`resolve`, called only once `rule` lets the caller through."""
    def resolve_guarded(root: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
        rule.check(info, args)
        return resolve(root, info, **args)
    resolve_guarded.access_rule = rule  # type: ignore[attr-defined]
    return resolve_guarded

