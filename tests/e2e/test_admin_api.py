"""wandb.Api() managing users, keys and teams: the seat limit holds there too."""

from __future__ import annotations

import httpx

from .harness import Client, Server


def test_users_keys_and_teams_through_the_public_api(server: Server, client: Client) -> None:
    out, _ = client.script("admin_api.py", {
        "emails": ["ann@example.com", "ben@example.com", "cid@example.com", "dot@example.com"],
        "me": "alice", "team": "vision", "invite": "ann", "search": "example.com"})
    created = out["created"]
    assert [c.get("value") for c in created[:3]] == ["ann", "ben", "cid"], created
    assert "at most 4 active users" in created[3]["error"], created[3]

    key = out["new_key"]["value"]
    assert key and key.startswith("local-"), out["new_key"]
    viewer = httpx.post(server.url + "/graphql", auth=("api", key),
                        json={"query": "{ viewer { username } }"}).json()
    assert viewer == {"data": {"viewer": {"username": "alice"}}}
    # the keys are listed by id (the start of the key, as W&B shows it), never by secret
    assert [n for n in out["keys_after"] if key.startswith(n)] and key not in out["keys_after"]

    assert out["team"] == {"value": "vision"}
    assert out["invite"] == {"value": True}
    assert out["members"] == {"value": ["alice", "ann"]}
    assert sorted(out["found"]["value"]) == ["alice@example.com", "ann@example.com",
                                              "ben@example.com", "cid@example.com"]
