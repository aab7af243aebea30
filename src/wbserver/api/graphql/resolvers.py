"""All resolvers, merged per GraphQL type."""

from __future__ import annotations

from wbserver.api.graphql import (
    accounts,
    admin_users,
    artifact_collections,
    artifact_edits,
    artifact_links,
    artifact_reads,
    artifact_types,
    artifacts,
    projects,
    run_changes,
    run_files,
    run_history,
    runs,
    sweeps,
    viewer,
)
from wbserver.api.graphql.schema import Resolver


def all_resolvers() -> dict[str, dict[str, Resolver]]:
    merged: dict[str, dict[str, Resolver]] = {}
    for module in (viewer, projects, runs, run_history, run_files, artifacts, artifact_reads,
                   accounts, admin_users, run_changes, artifact_edits,
                   artifact_types, artifact_links, artifact_collections, sweeps):
        for type_name, fields in module.RESOLVERS.items():
            clash = merged.setdefault(type_name, {}).keys() & fields.keys()
            if clash:
                raise RuntimeError(f"{type_name} fields resolved twice: {sorted(clash)}")
            merged[type_name].update(fields)
    return merged
