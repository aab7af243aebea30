"""GraphQL documents the wandb client sends, verbatim, that no e2e flow of ours reaches."""

from __future__ import annotations

# `wandb init` of client 0.28 (internal_api.upsert_project) names a `repo` input field
UPSERT_MODEL_028 = """
mutation UpsertModel($name: String!, $id: String, $entity: String!, $description: String,
                     $repo: String)  {
    upsertModel(input: { id: $id, name: $name, entityName: $entity, description: $description,
                         repo: $repo }) {
        model {
            name
            description
        }
    }
}
"""


def test_wandb_init_of_a_028_client_creates_its_project(api):
    body = api.gql(UPSERT_MODEL_028, name="from-init", entity="alice", description="d")
    assert "errors" not in body, body
    assert body["data"]["upsertModel"]["model"] == {"name": "from-init", "description": "d"}
