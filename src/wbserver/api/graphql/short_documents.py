"""Which GraphQL documents are short: answered with a few keyed lookups and writes, whatever
the size of the data behind them (http/store_threads.py runs those on the event loop on
SQLite).

A document is short when every field it selects, at any depth and in any fragment, is one of
SHORT_FIELDS: the fields of the `wandb` client's run-start and run-end calls (UpsertBucket,
CreateRunFiles, ServerFeaturesQuery, the organization probe) and the viewer's own record.
A field that lists or scans (runs, history, files' edges, artifacts...) is not among them,
so a document that selects one is not short, whatever else it asks. Nor is a document of
more than SHORT_MAX_SELECTIONS selections (a thousand aliases of upsertBucket are a
thousand writes), nor one whose estimated cost with its variables (api/graphql/limits.py:
CreateRunFiles of a hundred thousand files) is over SHORT_MAX_COST.
"""

from __future__ import annotations

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

SHORT_FIELDS = frozenset({
    "__typename",
    # UpsertBucket
    "upsertBucket", "bucket", "inserted", "updateAvailable", "id", "name", "displayName",
    "description", "config", "sweepName", "project", "entity", "historyLineCount",
    # ServerFeaturesQuery, the organization probe, the viewer
    "serverInfo", "features", "isEnabled", "organization", "coreWeaveOrganizationId",
    "viewer", "username", "email", "admin", "flags", "isTeam", "defaultEntity",
    # CreateRunFiles (signs upload URLs: short only while files stay on the local disk)
    "createRunFiles", "runID", "uploadHeaders", "files", "uploadUrl",
})
# fields that stay short only while BUCKET is empty (a bucket's SDK may reach the network)
LOCAL_STORAGE_ONLY = frozenset({"createRunFiles", "uploadUrl"})
SHORT_MAX_SELECTIONS = 100  # the client's UpsertBucket has 20
SHORT_MAX_COST = 1000  # CreateRunFiles of about 500 files


def selected_fields(document: DocumentNode) -> frozenset[str]:
    """Every field name the document selects, fragments included."""
    names: set[str] = set()
    pending: list[SelectionSetNode] = []
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode):
            pending.append(definition.selection_set)
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                names.add(selection.name.value)
                if selection.selection_set is not None:
                    pending.append(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            # a fragment spread's own fields are walked with its definition above
    return frozenset(names)


def selection_count(document: DocumentNode) -> int:
    """How many fields, fragment spreads and inline fragments the document writes out."""
    count = 0
    pending: list[SelectionSetNode] = [d.selection_set for d in document.definitions
                                       if isinstance(d, OperationDefinitionNode |
                                                     FragmentDefinitionNode)]
    while pending:
        for selection in pending.pop().selections:
            count += 1
            inner = getattr(selection, "selection_set", None)
            if inner is not None:
                pending.append(inner)
    return count


def is_short(fields: frozenset[str], *, local_storage: bool) -> bool:
    if not fields <= SHORT_FIELDS:
        return False
    return local_storage or not (fields & LOCAL_STORAGE_ONLY)
