"""What the wandb SDK's own system tests found missing (issue 20), pinned with the real
client: server info, Api.create_project, API key ids."""

from __future__ import annotations

from pathlib import Path

import httpx

from .harness import Client, Server, each_client


def test_server_info_gives_cli_versions_and_the_features_the_server_has(client: Client) -> None:
    out, _ = client.script("compat_api.py", {"steps": ["verify_version", "features"]})
    # `wandb verify`'s version check compared the client with a missing max_cli_version
    assert out["verify_version"] == {"value": True}, out["verify_version"]
    assert out["features"]["value"] == {
        "FILESTREAM_GZIP": True, "MARK_RUN_FILES_UPLOADED": True,
        "ARTIFACT_MEMBERSHIP_IN_LINK_ARTIFACT_RESPONSE": True,
        "TOTAL_COUNT_IN_FILE_CONNECTION": True, "UPDATE_RUN_STATE": True,
        # not claimed: the server does not do these
        "ARTIFACT_TAGS": False, "EXPAND_DEFINED_METRIC_GLOBS": False,
        "STRUCTURED_CONSOLE_LOGS": False}


@each_client()  # 0.28 sends UpsertModel with a `repo` input field (so does `wandb init`)
def test_api_create_project(client: Client) -> None:
    out, _ = client.script("compat_api.py", {"steps": ["create_project"],
                                             "project": "made-by-api", "entity": "alice"})
    assert out["create_project"] == {"value": "made-by-api"}, out["create_project"]


def test_api_key_names_are_key_ids_the_client_deletes_by(server: Server, client: Client) -> None:
    out, _ = client.script("compat_api.py", {"steps": ["api_keys"]})
    keys = out["api_keys"]["value"]
    new_key = keys["new_key"]
    assert len(keys["matching"]) == 1, keys  # exactly one listed id starts the new key
    assert keys["matching"][0] != new_key and "made-by-compat" not in keys["names"]
    assert keys["deleted"] is True
    assert keys["matching"][0] not in keys["names_after"]
    viewer = httpx.post(server.url + "/graphql", auth=("api", new_key),
                        json={"query": "{ viewer { username } }"})
    assert viewer.status_code == 401, viewer.text


def test_run_update_state_and_delete(client: Client) -> None:
    out, _ = client.script("compat_api.py", {"steps": ["run_state_and_delete"],
                                             "project": "state-del", "entity": "alice"})
    got = out["run_state_and_delete"]["value"]
    assert got["to_failed"] == {"value": True}, got["to_failed"]
    assert got["after_failed"] == "failed"
    assert got["to_pending"] == {"value": True}, got["to_pending"]
    assert got["after_pending"] == "pending"
    assert got["after_finish"] == "finished"
    # a finished run cannot be requeued: the client raises with the server's reason
    assert ("invalid state transition: a finished run cannot be set to pending"
            in got["finished_to_pending"]["error"]), got["finished_to_pending"]
    assert got["delete"] == {"value": None}, got["delete"]
    assert "error" in got["read_deleted"], got["read_deleted"]
    assert got["artifact_before"] == {"value": "v0"}, got["artifact_before"]
    assert got["delete_with_artifacts"] == {"value": None}, got["delete_with_artifacts"]
    assert "error" in got["artifact_after"], got["artifact_after"]
    assert got["runs_left"] == []


@each_client()  # both ask the files connection for totalCount once the server says it has it
def test_artifact_file_counts_filtered_and_paged(client: Client) -> None:
    out, _ = client.script("compat_api.py", {"steps": ["artifact_file_counts"],
                                             "project": "counts", "entity": "alice"})
    got = out["artifact_file_counts"]["value"]
    names = [f"file{i}.txt" for i in range(7)]
    assert (got["all"], got["one"], got["two"]) == (7, 1, 2), got
    assert got["names"] == names
    assert got["first"] == names[:3] and got["rest"] == names[3:], got


@each_client()
def test_a_team_loads_for_its_members_and_for_others(server: Server, client: Client,
                                                     tmp_path: Path, wandb_python: str) -> None:
    """Api().team(name): a non-member got storageBytes null, which the client's Team model
    refused (the SDK's test_create_team); others now read 0 and no members."""
    server.cli("teams", "create", "lab", "--owner", "alice")  # one server per client version
    server.create_user("carol", "carol@example.com")
    other = Client(server=server, root=tmp_path / "carol", python=wandb_python,
                   api_key=server.create_key("carol"))
    for who, members in ((client, ["alice"]), (other, [])):
        out, _ = who.script("compat_api.py", {"steps": ["team"], "team": "lab"})
        assert out["team"] == {"value": {"name": "lab", "members": members}}, out["team"]


def test_deleting_a_run_twice_succeeds_and_a_retry_never_hits_a_newer_run(client: Client) -> None:
    out, _ = client.script("compat_api.py", {"steps": ["delete_twice"],
                                             "project": "del-twice", "entity": "alice"})
    got = out["delete_twice"]["value"]
    assert got["first"] == {"value": None}, got["first"]
    assert got["second"] == {"value": None}, got["second"]  # W&B keeps deleted runs
    assert got["third"] == {"value": None}, got["third"]
    assert got["runs_left"] == ["deltwice2"], "the retried delete reached the newer run"
