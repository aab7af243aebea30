VIEWER = "query Viewer { viewer { id entity username email flags teams { edges { node { name } } } } }"


def test_viewer_answers_with_the_entity(api):
    viewer = api.gql(VIEWER)["data"]["viewer"]
    assert viewer["entity"] == "alice" and viewer["username"] == "alice"
    assert viewer["teams"]["edges"][0]["node"]["name"] == "alice"


def test_missing_and_bad_keys_get_401_with_a_message(api):
    response = api.client.post("/graphql", json={"query": VIEWER})
    assert response.status_code == 401
    assert "API key" in response.json()["errors"][0]["message"]
    response = api.client.post("/graphql", json={"query": VIEWER},
                               headers=api.headers("local-" + "x" * 40))
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "invalid api key"


def test_malformed_graphql_requests_get_400(api):
    response = api.client.post("/graphql", content=b"{nope", headers=api.headers())
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["errors"][0]["message"]
    body = api.gql("query { viewer { noSuchField } }", expect=400)
    assert "noSuchField" in body["errors"][0]["message"]


def test_operation_name_is_not_needed_and_may_be_wrong(api):
    response = api.client.post("/graphql", headers=api.headers(),
                               json={"query": VIEWER, "operationName": "SomethingElse"})
    assert response.status_code == 200
    assert response.json()["data"]["viewer"]["entity"] == "alice"


def test_server_features_and_organization(api):
    body = api.gql("query { serverInfo { features { name isEnabled } } "
                   "entity(name: \"alice\") { organization { coreWeaveOrganizationId } } }")
    assert body["data"] == {"serverInfo": {"features": [
        {"name": "FILESTREAM_GZIP", "isEnabled": True},
        {"name": "MARK_RUN_FILES_UPLOADED", "isEnabled": True},
        {"name": "ARTIFACT_MEMBERSHIP_IN_LINK_ARTIFACT_RESPONSE", "isEnabled": True},
        {"name": "TOTAL_COUNT_IN_FILE_CONNECTION", "isEnabled": True},
        {"name": "UPDATE_RUN_STATE", "isEnabled": True}]},
        "entity": {"organization": None}}


def test_writing_to_someone_elses_entity_is_refused(api, app):
    from wbserver.domain.users import create_user

    create_user(app.state.services.store, username="bob", email="bob@example.com")
    body = api.gql("mutation { upsertBucket(input: {name: \"r\", modelName: \"p\", "
                   "entityName: \"bob\"}) { bucket { id } } }", expect=403)
    assert "may not write" in body["errors"][0]["message"]
    body = api.gql("mutation { upsertBucket(input: {name: \"r\", modelName: \"p\", "
                   "entityName: \"nobody\"}) { bucket { id } } }", expect=404)
    assert body["errors"][0]["message"] == "entity nobody not found"
