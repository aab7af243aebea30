"""Client calls the wandb SDK's own system tests make; run as ``python compat_api.py SPEC OUT``.

Each step named in SPEC["steps"] runs through the real client and records its value or the
client's error."""

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
    names = ("FILESTREAM_GZIP", "MARK_RUN_FILES_UPLOADED", "ARTIFACT_TAGS",
             "EXPAND_DEFINED_METRIC_GLOBS", "STRUCTURED_CONSOLE_LOGS")
    return {n: bool(api._service_api.feature_enabled(n)) for n in names}


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


def main(spec_path, out_path):
    spec = json.load(open(spec_path))
    api = wandb.Api(timeout=60)
    steps = {
        "verify_version": lambda: verify_version(api),
        "features": lambda: features(api),
        "create_project": lambda: create_project(api, spec),
        "api_keys": lambda: api_keys(spec),
    }
    out = {name: attempt(steps[name]) for name in spec["steps"]}
    json.dump(out, open(out_path, "w"), indent=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
