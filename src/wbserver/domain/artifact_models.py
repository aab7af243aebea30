"""Records for artifacts: types, sequences (collections), versions, aliases, files."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

PENDING = "PENDING"
COMMITTED = "COMMITTED"
DELETED = "DELETED"
LATEST = "latest"
SEQUENCE = "sequence"  # a collection of logged versions
PORTFOLIO = "portfolio"  # a collection of versions linked from sequences (linkArtifact)

# how a version's manifest is built (createArtifactManifest `type`)
FULL = "FULL"  # as uploaded
INCREMENTAL = "INCREMENTAL"  # the base version's entries, then the uploaded ones over them
PATCH = "PATCH"  # a distributed version: the patches its writers uploaded, in order
MANIFEST_TYPES = (FULL, INCREMENTAL, PATCH)

# ttlDurationSeconds as the client sends and reads it; a version keeps None for INHERIT
TTL_INHERIT = -1
TTL_DISABLED = -2


@dataclass(frozen=True)
class ArtifactSequence:
    """A collection of versions of one artifact name in one project."""

    id: int
    project_id: int
    entity_name: str
    project_name: str
    name: str
    type_name: str
    description: str | None
    created_at: datetime
    updated_at: datetime
    kind: str = SEQUENCE
    tags: tuple[str, ...] = ()
    deleted: bool = False


@dataclass(frozen=True)
class ArtifactAlias:
    id: int
    alias: str


@dataclass(frozen=True)
class Artifact:
    """One version. `version_index` is given on commit, in commit order."""

    id: int
    sequence_id: int
    project_id: int
    entity_name: str
    project_name: str
    sequence_name: str
    type_name: str
    version_index: int | None
    state: str
    digest: str
    digest_algorithm: str | None
    description: str | None
    metadata: str | None
    size: int
    file_count: int
    client_id: str | None
    sequence_client_id: str | None
    created_by_run_id: int | None
    history_step: int | None
    manifest_digest: str | None
    created_at: datetime
    updated_at: datetime
    aliases: tuple[ArtifactAlias, ...] = ()
    tags: tuple[str, ...] = ()
    manifest_type: str | None = None  # None: FULL
    base_artifact_id: int | None = None  # the version an INCREMENTAL manifest extends
    manifest_patches: int = 0  # patch uploads handed out (PATCH)
    distributed_id: str | None = None
    ttl_duration_seconds: int | None = None  # None: inherited; TTL_DISABLED; > 0 seconds


@dataclass(frozen=True)
class ArtifactLink:
    """A version linked into a portfolio: its index and aliases there, and the version."""

    id: int
    portfolio_id: int
    version_index: int
    created_at: datetime
    artifact: Artifact
    aliases: tuple[ArtifactAlias, ...] = ()


@dataclass(frozen=True)
class NewArtifact:
    """CreateArtifact's input, checked."""

    entity_id: int
    project: str
    type_name: str
    sequence_name: str
    digest: str
    digest_algorithm: str | None
    description: str | None
    metadata: str | None
    aliases: tuple[str, ...]
    client_id: str | None
    sequence_client_id: str | None
    run_name: str | None
    history_step: int | None
    dedupe: bool
    user_id: int
    tags: tuple[str, ...] = ()
    distributed_id: str | None = None
    ttl_duration_seconds: int | None = None


@dataclass(frozen=True)
class ArtifactFile:
    """A manifest entry. Stored content has an MD5 (hex); a reference has `ref` instead."""

    id: int
    artifact_id: int
    name: str
    md5: str | None
    size: int | None
    birth_artifact_id: str | None  # the opaque id the client wrote into the manifest
    ref: str | None
    mimetype: str | None
    updated_at: datetime


@dataclass(frozen=True)
class FileSpec:
    """One CreateArtifactFiles entry."""

    name: str
    md5: str
    mimetype: str | None = None


@dataclass(frozen=True)
class FilePlan:
    """What CreateArtifactFiles answers for one entry."""

    name: str
    md5: str
    needs_upload: bool
    birth_artifact_id: int
    staged: bool = False  # stored already, but not readable by the uploader: upload to staging
    # the version's own upload of this file landed after it was first announced (a retried
    # announcement): nothing to upload, and commit takes it (stored_since_planned)
    landed: bool = False


@dataclass(frozen=True)
class ManifestEntry:
    name: str
    md5: str | None
    size: int
    birth_artifact_id: str | None
    ref: str | None
    extra: str | None = None


@dataclass(frozen=True)
class GcCandidate:
    md5: str
    size: int


@dataclass
class GcReport:
    blobs: list[GcCandidate] = field(default_factory=list)
    manifests: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)  # "entity/project/name:vN" past TTL
    dry_run: bool = True

    @property
    def bytes(self) -> int:
        return sum(b.size for b in self.blobs)


@dataclass(frozen=True)
class LineageNode:
    """A run or a committed artifact version as the lineage graph shows it (what its node
    says and where it links); `project_id` decides whether a viewer may see it."""

    kind: str  # "run" or "artifact"
    id: int
    project_id: int
    entity_name: str
    project_name: str
    name: str  # the run's id, or the collection's name
    label: str  # the run's display name, or "<collection>:v<index>"
    detail: str  # the run's job type, or the artifact's type


@dataclass(frozen=True)
class LineageEdge:
    """A run that logged (output) or used (input) an artifact version."""

    run_id: int
    artifact_id: int
