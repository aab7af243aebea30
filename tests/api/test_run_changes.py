"""deleteRun and updateRunState (wandb.Api()'s Run.delete and Run.update_state)."""

from wbserver.api.graphql.ids import decode_id
from wbserver.domain.users import create_api_key, create_user

from .conftest import Api
from .test_files import CREATE, LIST, local
from .test_runs_and_stream import hist, resume_status

DELETE = """mutation D($id: ID!) { deleteRun(input: {id: $id}) { clientMutationId } }"""
STATE = """mutation S($id: ID!, $s: String!) { updateRunState(input: {id: $id, state: $s}) {
  success } }"""


def test_delete_run_removes_its_rows_and_bytes_and_the_name_starts_afresh(api, app):
    run_gid = api.upsert("r1")["bucket"]["id"]
    api.stream("r1", {"files": {"wandb-history.jsonl": {"offset": 0, "content": hist(0, 5)},
                                "output.log": {"offset": 0, "content": ["hello"]}}})
    put = api.gql(CREATE, entity="alice", project="proj", run="r1", files=["saved.txt"])
    assert api.client.put(local(put["data"]["createRunFiles"]["files"][0]["uploadUrl"]),
                          content=b"bytes").status_code == 200
    key = f"runs/{decode_id('Run', run_gid)}/saved.txt"
    blobs = app.state.services.blobs
    assert blobs.stat(key) is not None

    assert api.gql(DELETE, id=run_gid) == {"data": {"deleteRun": {"clientMutationId": None}}}
    assert resume_status(api, "r1") is None
    assert blobs.stat(key) is None
    store = app.state.services.store
    assert store.read_log_lines(decode_id("Run", run_gid)) == []
    audit = [(a["action"], a["target"]) for a in store.list_audit()]
    assert ("run.delete", "alice/proj/r1") in audit, audit

    # a new run of that name (on SQLite it may even get the same storage id) starts empty
    again = api.upsert("r1")["bucket"]
    assert again["historyLineCount"] == 0
    files = api.gql(LIST, project="proj", entity="alice", name="r1")["data"]["project"]["run"]
    assert files["fileCount"] == 0 and files["files"]["edges"] == []


def test_deleting_an_unknown_run_is_refused(api):
    body = api.gql(DELETE, expect=404, id="UnVuOjk5OTk5")  # Run:99999
    assert body["errors"][0]["message"] == "run not found", body


def test_deleting_a_deleted_run_again_succeeds_for_whoever_may_write_its_project(api, app):
    """W&B keeps deleted runs, so the client's Run.delete() of a run already deleted (a retry,
    a second script) succeeds; it changes nothing, and others still learn nothing."""
    run_gid = api.upsert("r1")["bucket"]["id"]
    done = {"data": {"deleteRun": {"clientMutationId": None}}}
    assert api.gql(DELETE, id=run_gid) == done
    assert api.gql(DELETE, id=run_gid) == done
    assert api.gql(DELETE, id=run_gid) == done
    assert resume_status(api, "r1") is None
    audit = [a["action"] for a in app.state.services.store.list_audit()]
    assert audit.count("run.delete") == 1, audit

    store = app.state.services.store
    create_user(store, username="bob", email="bob@example.com", is_admin=False)
    bob = Api(api.client, create_api_key(store, username="bob"))
    refused = bob.gql(DELETE, expect=404, id=run_gid)
    assert refused["errors"][0]["message"] == "run not found", refused


def test_a_deleted_runs_storage_id_is_never_given_to_a_new_run(api):
    """SQLite gives the highest id + 1 to a new row: once the newest run was deleted, the next
    run got its id, and a retried delete of the old run deleted the new one."""
    api.upsert("r0")
    old_gid = api.upsert("r1")["bucket"]["id"]  # the newest run: the highest id
    api.gql(DELETE, id=old_gid)
    new_gid = api.upsert("r2")["bucket"]["id"]
    assert decode_id("Run", new_gid) > decode_id("Run", old_gid), (old_gid, new_gid)

    assert api.gql(DELETE, id=old_gid)["data"]["deleteRun"] == {"clientMutationId": None}
    assert resume_status(api, "r2") is not None, "the retried delete hit the new run"
    assert resume_status(api, "r0") is not None


def test_update_run_state_moves_only_the_ways_the_client_documents(api):
    run_gid = api.upsert("r1")["bucket"]["id"]
    refused = api.gql(STATE, expect=400, id=run_gid, s="finished")
    assert "pending or failed only" in refused["errors"][0]["message"], refused
    assert api.gql(STATE, id=run_gid, s="pending")["data"]["updateRunState"]["success"]
    again = api.gql(STATE, expect=400, id=run_gid, s="pending")
    # W&B's wording first: clients and scripts match on it
    assert again["errors"][0]["message"].startswith(
        "invalid state transition: a pending run cannot be set to pending"), again
    assert api.gql(STATE, id=run_gid, s="failed")["data"]["updateRunState"]["success"]
    api.stream("r1", {"complete": True, "exitcode": 0})
    done = api.gql(STATE, expect=400, id=run_gid, s="failed")
    assert "a finished run cannot be set to failed" in done["errors"][0]["message"], done


def test_a_sweep_run_keeps_its_state(api):
    run_gid = api.gql("""mutation { upsertBucket(input: {name: "sw1", modelName: "proj",
      entityName: "alice", sweep: "abc"}) { bucket { id } } }""")[
        "data"]["upsertBucket"]["bucket"]["id"]
    body = api.gql(STATE, expect=400, id=run_gid, s="failed")
    assert "sweep" in body["errors"][0]["message"], body
