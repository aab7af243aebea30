"""The run page's edits in-process (SQLite and MariaDB): rename, tags and notes as the API
(wandb.Api()) then reads them; checked input; the page's CSRF token; delete as deleteRun
(the run's rows go, a second delete is fine). Who may do it is in the access matrix."""

from __future__ import annotations

import json

from .test_web_ui import sign_in

UI = "/_ui/alice/proj/runs/r1"
RUN = """query R { project(name: "proj", entityName: "alice") { run(name: "r1") {
  displayName tags notes } } }"""


def csrf_of(api) -> str:
    page = api.client.get("/alice/proj/runs/r1").text
    return json.loads(page.split('id="run-data">')[1].split("</script>")[0])["csrf"]


def test_rename_tags_notes_and_delete(api):
    api.upsert("r1", displayName="before", tags=["old"])
    sign_in(api)
    token = csrf_of(api)
    assert token
    post = api.client.post
    change = {"displayName": " after ", "tags": ["a", " b", "a", ""], "notes": "line 1\nline 2"}
    assert post(UI + "/edit", json=change).status_code == 403  # no token
    assert post(UI + "/edit", json=change, headers={"X-CSRF-Token": "forged"}).status_code == 403
    response = post(UI + "/edit", json=change, headers={"X-CSRF-Token": token})
    assert response.status_code == 200, response.text
    assert response.json() == {"name": "r1", "displayName": "after", "tags": ["a", "b"],
                               "notes": "line 1\nline 2"}
    run = api.gql(RUN)["data"]["project"]["run"]
    assert (run["displayName"], run["tags"], run["notes"]) == ("after", ["a", "b"],
                                                               "line 1\nline 2")
    page = api.client.get("/alice/proj/runs/r1").text
    assert "<h1>after</h1>" in page and 'id="run-edit"' in page
    # a retry writes the same; one field alone leaves the others
    assert post(UI + "/edit", json={"tags": []}, headers={"X-CSRF-Token": token}).json()[
        "displayName"] == "after"
    assert api.gql(RUN)["data"]["project"]["run"]["tags"] == []
    for bad, why in (({"displayName": ""}, "name"), ({"displayName": "x" * 129}, "name"),
                     ({"tags": "a,b"}, "tags"), ({"tags": ["x" * 65]}, "tags"),
                     ({"notes": 5}, "notes"), ({"state": "failed"}, "unknown"), ({}, "JSON"),
                     ([1], "JSON")):
        response = post(UI + "/edit", json=bad, headers={"X-CSRF-Token": token})
        assert response.status_code == 400 and why in response.json()["error"], (bad, response.text)
    response = post(UI + "/edit", content=b"{nope", headers={"X-CSRF-Token": token})
    assert response.status_code == 400 and "JSON" in response.json()["error"]
    assert post("/_ui/alice/proj/runs/nope/edit", json=change,
                headers={"X-CSRF-Token": token}).status_code == 404

    assert post(UI + "/delete", headers={"X-CSRF-Token": "forged"}).status_code == 403
    response = post(UI + "/delete", headers={"X-CSRF-Token": token})
    assert response.status_code == 200 and response.json() == {"deleted": "r1"}
    assert api.gql(RUN)["data"]["project"]["run"] is None
    assert api.client.get("/alice/proj/runs/r1").status_code == 404
    assert post(UI + "/delete", headers={"X-CSRF-Token": token}).status_code == 404
