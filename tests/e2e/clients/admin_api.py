"""Manage users, keys and teams with wandb.Api(); run as ``python admin_api.py SPEC OUT``."""

import json
import sys
import traceback

import wandb


def attempt(fn):
    try:
        return {"value": fn()}
    except Exception as exc:  # the client's own error text is what the test checks
        return {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()}


def main(spec_path, out_path):
    spec = json.load(open(spec_path))
    api = wandb.Api(timeout=60)
    out = {"created": [attempt(lambda e=e: api.create_user(e).username) for e in spec["emails"]]}
    me = api.users(spec["me"])[0]
    out["new_key"] = attempt(lambda: me.generate_api_key("from-the-api"))
    out["keys_after"] = wandb.Api(timeout=60).users(spec["me"])[0].api_keys
    out["team"] = attempt(lambda: api.create_team(spec["team"]).name)
    team = api.team(spec["team"])
    out["invite"] = attempt(lambda: team.invite(spec["invite"]))
    out["members"] = attempt(lambda: sorted(m.username for m in api.team(spec["team"]).members))
    out["found"] = attempt(lambda: [u.email for u in api.users(spec["search"])])
    json.dump(out, open(out_path, "w"), indent=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
