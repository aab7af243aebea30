"""Deleting an artifact version from its page: write access only, CSRF-checked, refused
while custom aliases exist unless they go too (the API's rule)."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from wbserver.domain.users import create_user

from .artifact_flow import log_version
from .test_web_ui import sign_in

PAGE = "/alice/proj/artifacts/dataset/data"


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def state(api, version: str) -> str | None:
    store = api.client.app.state.services.store
    found = store.find_artifact(store.get_project("alice", "proj").id, "data", version)
    return found.state if found else None


def test_delete_version_from_its_page(api):
    sign_in(api)
    api.upsert("r1")
    log_version(api, "data", {"a.txt": b"alpha"})
    log_version(api, "data", {"a.txt": b"beta"}, aliases=("best",))
    page = api.client.get(PAGE + "/v0").text
    assert 'id="delete-version"' in page and 'action="' + PAGE + '/v0/delete"' in page
    assert 'name="delete_aliases"' not in page  # v0 has no custom alias
    token = csrf(page)

    forged = api.client.post(PAGE + "/v0/delete", data={"csrf_token": "forged"})
    assert forged.status_code == 403 and state(api, "v0") == "COMMITTED"

    done = api.client.post(PAGE + "/v0/delete", data={"csrf_token": token},
                           follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == PAGE
    assert state(api, "v0") in (None, "DELETED")

    page = api.client.get(PAGE + "/v1").text
    assert 'name="delete_aliases"' in page and ">best<" in page
    refused = api.client.post(PAGE + "/v1/delete", data={"csrf_token": token})
    assert refused.status_code == 400 and "best" in refused.text
    assert state(api, "v1") == "COMMITTED"
    done = api.client.post(PAGE + "/v1/delete",
                           data={"csrf_token": token, "delete_aliases": "on"},
                           follow_redirects=False)
    assert done.status_code == 303 and state(api, "best") is None


def test_readers_without_write_access_get_no_button_and_are_refused(api):
    api.upsert("r1")
    log_version(api, "data", {"a.txt": b"alpha"})
    store = api.client.app.state.services.store
    store.set_project_visibility(store.get_project("alice", "proj").id, "open")
    create_user(store, username="bob", email="bob@example.com", is_admin=False)
    with TestClient(api.client.app) as bob_client:
        bob = type(api)(bob_client, api.key)
        sign_in(bob, "bob")
        page = bob_client.get(PAGE + "/v0")
        assert page.status_code == 200 and 'id="delete-version"' not in page.text
        refused = bob_client.post(PAGE + "/v0/delete", data={"csrf_token": csrf(page.text)})
        assert refused.status_code in (403, 404)
    assert state(api, "v0") == "COMMITTED"
