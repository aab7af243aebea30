"""GraphQL user, key and team management: who may do what."""

from wbserver.domain.users import create_api_key, create_user


def test_only_site_admins_create_users_and_keys_are_personal(api, app):
    store = app.state.services.store
    create_user(store, username="root", email="root@example.com", is_admin=True)
    root_key = create_api_key(store, username="root")
    refused = api.gql('mutation { createUser(input: {email: "x@example.com"}) { user { id } } }',
                      expect=403)
    assert "only site admins" in refused["errors"][0]["message"]
    made = api.client.post("/graphql", auth=("api", root_key), json={
        "query": 'mutation { createUser(input: {email: "alice@other.org"}) { user { username } } }'})
    assert made.json()["data"]["createUser"]["user"]["username"] == "alice2"  # alice is taken
    new = api.gql('mutation { generateApiKey(input: {description: "ci"}) { apiKey { id name } } }')
    key = new["data"]["generateApiKey"]["apiKey"]
    assert key["name"].startswith("local-")
    stolen = api.client.post("/graphql", auth=("api", root_key), json={
        "query": "mutation D($id: String!) { deleteApiKey(input: {id: $id}) { success } }",
        "variables": {"id": key["id"]}})
    assert stolen.status_code == 404
    gone = api.gql("mutation D($id: String!) { deleteApiKey(input: {id: $id}) { success } }",
                   id=key["id"])
    assert gone == {"data": {"deleteApiKey": {"success": True}}}
    assert api.client.post("/graphql", auth=("api", key["name"]),
                           json={"query": "{ viewer { id } }"}).status_code == 401


def test_team_invites_need_team_admins(api, app):
    store = app.state.services.store
    create_user(store, username="bob", email="bob@example.com")
    bob_key = create_api_key(store, username="bob")
    assert api.gql('mutation { createTeam(input: {teamName: "lab"}) { entity { name } } }') == \
        {"data": {"createTeam": {"entity": {"name": "lab"}}}}
    by_bob = api.client.post("/graphql", auth=("api", bob_key), json={
        "query": 'mutation { createInvite(input: {entityName: "lab", username: "bob"}) '
                 '{ invite { name } } }'})
    assert by_bob.status_code == 403
    added = api.gql('mutation { createInvite(input: {entityName: "lab", username: "bob"}) '
                    '{ invite { name toUser { username } } } }')
    assert added["data"]["createInvite"]["invite"]["toUser"] == {"username": "bob"}
    team = api.gql('{ entity(name: "lab") { isTeam members { username admin } } }')
    assert team["data"]["entity"] == {"isTeam": True, "members": [
        {"username": "alice", "admin": True}, {"username": "bob", "admin": False}]}
