"""Client calls the wandb SDK's own system tests make; run as ``python compat_api.py SPEC OUT``.

Each step named in SPEC["steps"] runs through the real client and records its value or the
client's error."""

import itertools
import json
import sys
import traceback

import wandb


def attempt(fn):
    try:
        return {"value": fn()}
    except BaseException as exc:  # the client's own error text is what the test checks
        return {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()}


def verify_version(api):
    from wandb.sdk.verify.verify import check_wandb_version

    check_wandb_version(api)  # prints its verdict; raises on an unusable answer
    return True


def features(api):
    names = ("FILESTREAM_GZIP", "MARK_RUN_FILES_UPLOADED",
             "ARTIFACT_MEMBERSHIP_IN_LINK_ARTIFACT_RESPONSE", "TOTAL_COUNT_IN_FILE_CONNECTION",
             "UPDATE_RUN_STATE", "ARTIFACT_TAGS",
             "EXPAND_DEFINED_METRIC_GLOBS", "STRUCTURED_CONSOLE_LOGS")
    # server_supports looks a name up in what the server sent, as the SDK's tests do
    # (feature_enabled knows only the names in the client's own enum: no UPDATE_RUN_STATE)
    from wandb.sdk.artifacts._gqlutils import server_supports

    return {n: bool(server_supports(api._service_api, n)) for n in names}


def create_project(api, spec):
    api.create_project(spec["project"], spec["entity"])
    return api.project(spec["project"], spec["entity"]).name


def api_keys(spec):
    me = wandb.Api(timeout=60).viewer
    new_key = me.generate_api_key("made-by-compat")
    names = wandb.Api(timeout=60).viewer.api_keys
    matching = [n for n in names if new_key.startswith(n)]
    deleted = wandb.Api(timeout=60).viewer.delete_api_key(matching[0]) if matching else None
    return {"new_key": new_key, "names": names, "matching": matching, "deleted": deleted,
            "names_after": wandb.Api(timeout=60).viewer.api_keys}


def run_state_and_delete(spec):
    project, entity = spec["project"], spec["entity"]
    path = f"{entity}/{project}/statedel1"
    out = {}
    live = wandb.init(project=project, entity=entity, id="statedel1")
    live.log({"loss": 1.0})
    state = lambda: wandb.Api(timeout=60).run(path).state  # noqa: E731
    out["to_failed"] = attempt(lambda: wandb.Api(timeout=60).run(path).update_state("failed"))
    out["after_failed"] = state()
    out["to_pending"] = attempt(lambda: wandb.Api(timeout=60).run(path).update_state("pending"))
    out["after_pending"] = state()
    live.finish()
    out["after_finish"] = state()
    out["finished_to_pending"] = attempt(
        lambda: wandb.Api(timeout=60).run(path).update_state("pending"))
    out["delete"] = attempt(lambda: wandb.Api(timeout=60).run(path).delete())
    out["read_deleted"] = attempt(lambda: wandb.Api(timeout=60).run(path).id)
    # a run that logged an artifact, deleted with it
    maker = wandb.init(project=project, entity=entity, id="statedel2")
    art = wandb.Artifact("made-by-deleted", type="dataset")
    with art.new_file("a.txt") as f:
        f.write("hello")
    maker.log_artifact(art).wait()
    maker.finish()
    name = f"{entity}/{project}/made-by-deleted:v0"
    out["artifact_before"] = attempt(lambda: wandb.Api(timeout=60).artifact(name).version)
    out["delete_with_artifacts"] = attempt(
        lambda: wandb.Api(timeout=60).run(f"{entity}/{project}/statedel2").delete(
            delete_artifacts=True))
    out["artifact_after"] = attempt(lambda: wandb.Api(timeout=60).artifact(name).version)
    out["runs_left"] = [r.id for r in wandb.Api(timeout=60).runs(f"{entity}/{project}")]
    return out


def delete_twice(spec):
    """The SDK's test_run_delete: one Run object deleted twice; then, once a newer run exists,
    a third time (a retry must never reach another run)."""
    project, entity = spec["project"], spec["entity"]
    wandb.init(project=project, entity=entity, id="deltwice1").finish()
    run = wandb.Api(timeout=60).run(f"{entity}/{project}/deltwice1")
    out = {"first": attempt(run.delete), "second": attempt(run.delete)}
    wandb.init(project=project, entity=entity, id="deltwice2").finish()
    out["third"] = attempt(run.delete)
    out["runs_left"] = [r.id for r in wandb.Api(timeout=60).runs(f"{entity}/{project}")]
    return out


def artifact_file_counts(spec):
    """The SDK's test_artifacts_files_filtered_length: with TOTAL_COUNT_IN_FILE_CONNECTION the
    client asks the files connection for totalCount, which len() reads (filtered or not), and
    pages on with the cursor it kept."""
    project, entity = spec["project"], spec["entity"]
    with wandb.init(project=project, entity=entity) as run:
        art = wandb.Artifact("counted", type="text")
        for i in range(7):
            with art.new_file(f"file{i}.txt") as f:
                f.write(str(i))
        run.log_artifact(art).wait()
    got = wandb.Api(timeout=60).artifact(f"{entity}/{project}/counted:v0")
    pages = got.files(per_page=3)
    first = [f.name for f in itertools.islice(pages, 3)]
    return {"all": len(got.files()), "one": len(got.files(names=["file0.txt"])),
            "two": len(got.files(names=["file0.txt", "file1.txt", "nope.txt"])),
            "names": [f.name for f in got.files(per_page=3)],
            "first": first, "rest": [f.name for f in got.files(per_page=3, start=pages.cursor)]}


def team(spec):
    """Api().team(NAME) loads the team's entity (GetTeamEntity), whose storageBytes the
    client's model needs as a number, for members and non-members alike."""
    found = wandb.Api(timeout=60).team(spec["team"])
    return {"name": found.name, "members": sorted(m.username for m in found.members)}


def main(spec_path, out_path):
    spec = json.load(open(spec_path))
    api = wandb.Api(timeout=60)
    steps = {
        "verify_version": lambda: verify_version(api),
        "features": lambda: features(api),
        "create_project": lambda: create_project(api, spec),
        "api_keys": lambda: api_keys(spec),
        "run_state_and_delete": lambda: run_state_and_delete(spec),
        "delete_twice": lambda: delete_twice(spec),
        "artifact_file_counts": lambda: artifact_file_counts(spec),
        "team": lambda: team(spec),
    }
    out = {name: attempt(steps[name]) for name in spec["steps"]}
    json.dump(out, open(out_path, "w"), indent=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
