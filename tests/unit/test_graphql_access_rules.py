"""Every Query and Mutation field of the schema (schema.graphql and every topic .graphql
beside it: runs, artifacts, accounts, admin) has an access rule, and the served schema calls
it before the resolver; a root field without a rule cannot be served."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import build_schema

from wbserver.api.graphql import schema as schema_module
from wbserver.api.graphql.access import ROOT_RULES
from wbserver.api.graphql.resolvers import all_resolvers
from wbserver.api.graphql.schema import build

# the entry rule each mutation must keep: writes to a project ask for write access on it
WRITE_RULES = {"project_write", "run_write", "artifact_write", "project_write+artifact_read"}


def _sdl_root_fields() -> dict[str, set[str]]:
    """Query and Mutation fields read straight from the .graphql files."""
    folder = Path(schema_module.__file__).parent
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.graphql")))
    parsed = build_schema(text)
    assert parsed.query_type is not None and parsed.mutation_type is not None
    return {"Query": set(parsed.query_type.fields),
            "Mutation": set(parsed.mutation_type.fields)}


def test_every_root_field_of_every_graphql_file_has_a_rule():
    fields = _sdl_root_fields()
    assert len(fields["Mutation"]) >= 20 and "createArtifact" in fields["Mutation"]
    assert "updateServerSettings" in fields["Mutation"] and "createUser" in fields["Mutation"]
    for root, names in fields.items():
        missing = names - set(ROOT_RULES[root])
        assert not missing, f"{root} fields without an access rule: {sorted(missing)}"
        stale = set(ROOT_RULES[root]) - names
        assert not stale, f"rules for {root} fields not in the schema: {sorted(stale)}"


def test_the_served_schema_guards_every_root_field_with_its_rule():
    served = build(all_resolvers())
    for root in (served.query_type, served.mutation_type):
        assert root is not None
        for name, field in root.fields.items():
            assert getattr(field.resolve, "access_rule", None) is ROOT_RULES[root.name][name], \
                f"{root.name}.{name} is served without its access rule"


def test_a_mutation_without_a_rule_cannot_be_served():
    rules = {root: dict(fields) for root, fields in ROOT_RULES.items()}
    del rules["Mutation"]["stopRun"]
    with pytest.raises(KeyError, match="stopRun"):
        build(all_resolvers(), root_rules=rules)


@pytest.mark.parametrize("mutation", [
    "upsertBucket", "createRunFiles", "notifyScriptableRunAlert", "stopRun",
    "markRunFilesUploaded", "upsertModel", "createArtifact", "createArtifactManifest",
    "updateArtifactManifest", "createArtifactFiles", "commitArtifact", "useArtifact",
    "deleteArtifact", "completeMultipartUploadArtifact"])
def test_mutations_on_projects_ask_for_write_access(mutation):
    assert ROOT_RULES["Mutation"][mutation].name in WRITE_RULES
