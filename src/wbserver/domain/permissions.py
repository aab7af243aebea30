"""Who may read and write what: the one place authorization is decided.

Roles on an entity: its owner (personal entity) and team admins are `admin`; team members are
`member`; team viewers are `viewer`; site admins act as `admin` everywhere. Project
visibility: `private` (the project's creator and the entity's admins), `team` (every member of
the entity; viewers read only), `open` (any signed-in user reads). Nobody anonymous reads.
"""

from __future__ import annotations

from wbserver.domain.artifact_models import Artifact, ArtifactSequence
from wbserver.domain.models import Entity, Project, Run, User
from wbserver.errors import NotFound, PermissionDenied
from wbserver.ports import MetadataStore

ROLES = ("admin", "member", "viewer")
VISIBILITIES = ("private", "team", "open")
NONE, READ, WRITE = 0, 1, 2


def entity_role(store: MetadataStore, viewer: User | None, entity: Entity) -> str | None:
    if viewer is None or not viewer.is_active:
        return None
    if viewer.is_admin or entity.user_id == viewer.id:
        return "admin"
    if entity.is_team:
        return store.team_role(entity_id=entity.id, user_id=viewer.id)
    return None


def project_access(store: MetadataStore, viewer: User | None, project: Project,
                   entity: Entity | None = None) -> int:
    if viewer is None or not viewer.is_active:
        return NONE
    entity = entity or project.owner or store.get_entity(project.entity_name)
    role = entity_role(store, viewer, entity) if entity else None
    creator = project.created_by == viewer.id
    level = NONE
    if role == "admin":
        level = WRITE
    elif role in ("member", "viewer") and (project.visibility != "private" or creator):
        level = WRITE if role == "member" else READ
    if level == NONE and project.visibility == "open":
        level = READ
    return level


def readable_project(store: MetadataStore, *, viewer: User | None, entity: str,
                     project: str) -> Project | None:
    """The project if it exists and the viewer may read it; None otherwise (no leak)."""
    owner, found = store.get_entity_and_project(entity, project)
    if found is None or project_access(store, viewer, found, owner) < READ:
        return None
    return found


def readable_project_and_run(store: MetadataStore, *, viewer: User | None, entity: str,
                             project: str, run: str) -> tuple[Project | None, Run | None]:
    """`readable_project`, and that project's run named `run` (or None), in one lookup: the
    run is only returned with a project the viewer may read."""
    owner, found, found_run = store.get_project_and_run(entity, project, run)
    if found is None or project_access(store, viewer, found, owner) < READ:
        return None, None
    return found, found_run


def check_project_write(store: MetadataStore, *, viewer: User, project: Project,
                        entity: Entity | None = None) -> None:
    """`entity`, when the caller has it, is the project's own (saves looking it up again)."""
    level = project_access(store, viewer, project, entity)
    if level == WRITE:
        return
    if level == READ:
        raise PermissionDenied(f"{viewer.username} may read but not write "
                               f"{project.entity_name}/{project.name}")
    raise NotFound(f"project {project.entity_name}/{project.name} not found")


def writable_entity(store: MetadataStore, *, viewer: User, name: str,
                    found: Entity | None = None) -> Entity:
    """An entity the viewer may create projects in (owner, team admin or member); `found`,
    when the caller has looked it up already."""
    entity = found or store.get_entity(name)
    if entity is None:
        raise NotFound(f"entity {name} not found")
    role = entity_role(store, viewer, entity)
    if role not in ("admin", "member"):
        raise PermissionDenied(f"{viewer.username} may not write to entity {name}")
    return entity


def check_project_writable(store: MetadataStore, *, viewer: User, entity: str,
                           project: str) -> Entity:
    """Writing into entity/project: the project's own rights if it exists, else the
    entity's (a new project is created there)."""
    owner, found = store.get_entity_and_project(entity, project)
    if found is not None:
        assert owner is not None
        check_project_write(store, viewer=viewer, project=found, entity=owner)
        return owner
    return writable_entity(store, viewer=viewer, name=entity, found=owner)


def default_visibility(entity: Entity) -> str:
    return "team" if entity.is_team else "private"


def check_site_admin(viewer: User, what: str) -> None:
    if not viewer.is_admin:
        raise PermissionDenied(f"only site admins {what}")


def check_team_admin(store: MetadataStore, *, viewer: User, name: str) -> Entity:
    """A team whose members the viewer may change (its admins and site admins)."""
    entity = store.get_entity(name)
    if entity is None or not entity.is_team:
        raise NotFound(f"team {name!r} not found")
    if entity_role(store, viewer, entity) != "admin":
        raise PermissionDenied(f"only admins of {name} change its members")
    return entity


def writable_run(store: MetadataStore, *, viewer: User, run_id: int) -> Run:
    """A run (by its storage id) in a project the viewer may write; NotFound when they may
    not even read it (no leak), PermissionDenied when they may only read it."""
    run = store.get_run_by_id(run_id)
    project = store.get_project_by_id(run.project_id) if run is not None else None
    if run is None or project is None or project_access(store, viewer, project) < READ:
        raise NotFound("run not found")
    check_project_write(store, viewer=viewer, project=project)
    return run


def deletable_run(store: MetadataStore, *, viewer: User, run_id: int) -> Run | None:
    """`writable_run`, or None for a run already deleted from a project the viewer may
    write: W&B keeps deleted runs, so deleting one again succeeds. Others are told it is not
    found (which ids were deleted does not leak)."""
    try:
        return writable_run(store, viewer=viewer, run_id=run_id)
    except NotFound:
        project_id = store.deleted_run_project(run_id)
        project = store.get_project_by_id(project_id) if project_id is not None else None
        if project is None or project_access(store, viewer, project) < READ:
            raise
    check_project_write(store, viewer=viewer, project=project)
    return None


def _artifact_project(store: MetadataStore, viewer: User,
                      artifact_id: int) -> tuple[Artifact, Project]:
    artifact = store.get_artifact(artifact_id)
    project = store.get_project_by_id(artifact.project_id) if artifact is not None else None
    if artifact is None or project is None or project_access(store, viewer, project) < READ:
        raise NotFound("artifact not found")
    return artifact, project


def check_artifact_read(store: MetadataStore, *, viewer: User, artifact_id: int) -> Artifact:
    return _artifact_project(store, viewer, artifact_id)[0]


def check_artifact_write(store: MetadataStore, *, viewer: User, artifact_id: int) -> Artifact:
    """An artifact version in a project the viewer may write (not merely a role in its
    entity: a team member may not write into a private project of the team)."""
    artifact, project = _artifact_project(store, viewer, artifact_id)
    check_project_write(store, viewer=viewer, project=project)
    return artifact


def check_collection_write(store: MetadataStore, *, viewer: User,
                           collection_id: int) -> ArtifactSequence:
    """An artifact collection (sequence or portfolio) in a project the viewer may write;
    NotFound when they may not read it."""
    found = store.get_sequence(collection_id)
    project = None if found is None else store.get_project_by_id(found.project_id)
    if found is None or project is None or project_access(store, viewer, project) < READ:
        raise NotFound("artifact collection not found")
    check_project_write(store, viewer=viewer, project=project)
    return found
