"""Editing a logged version: what updateArtifact / addAliases / deleteAliases refuse."""

from __future__ import annotations

from .artifact_flow import log_version

UPDATE = """mutation U($input: UpdateArtifactInput!) {
	updateArtifact(input: $input) { artifact { description metadata tags { name } } }
}"""
ADD = """mutation A($input: AddAliasesInput!) { addAliases(input: $input) { success } }"""


def test_edits_are_checked(api):
    api.upsert("r1")
    art = log_version(api, "data", {"a.txt": b"a"}, tags=("one",))["id"]
    done = api.gql(UPDATE, input={"artifactID": art, "tagsToAdd": [{"tagName": "two"}],
                                  "tagsToDelete": [{"tagName": "one"}],
                                  "metadata": '{"k": 1}'})["data"]["updateArtifact"]["artifact"]
    assert done == {"description": "desc", "metadata": '{"k": 1}', "tags": [{"name": "two"}]}
    for change, message in (({"ttlDurationSeconds": 0}, "invalid ttlDurationSeconds 0"),
                            ({"ttlDurationSeconds": -3}, "invalid ttlDurationSeconds -3"),
                            ({"metadata": "[1]"}, "metadata must be a JSON object"),
                            ({"tagsToAdd": [{"tagName": "a/b"}]}, "invalid tag 'a/b'")):
        body = api.gql(UPDATE, expect=400, input={"artifactID": art, **change})
        assert message in body["errors"][0]["message"], body
    where = {"entityName": "alice", "projectName": "proj"}
    for alias, collection, message in (("x", "other", "own collection alice/proj/data"),
                                       ("latest", "data", "'latest' names the newest"),
                                       ("v3", "data", "reserved")):
        body = api.gql(ADD, expect=400, input={"artifactID": art, "aliases": [
            {"alias": alias, "artifactCollectionName": collection, **where}]})
        assert message in body["errors"][0]["message"], body
