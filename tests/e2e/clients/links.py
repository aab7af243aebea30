"""Portfolios with the real client: link, read back, collections; run as
``python links.py SPEC OUT``.

Spec keys: `entity`; `project` (where the versions are logged); `portfolio`
("entity/project/name", where they are linked). One run logs two versions of "weights"
(model), links v0 with run.link_artifact (alias "production") and v1 with Artifact.link
(alias "staging"), and links a model with run.link_model ("registered"). Then wandb.Api()
reads the portfolio by alias and version, lists both collections, edits the source
collection (description, tags, name) and the portfolio's description, unlinks v0, lists
the links of a version and the aliases of the portfolio, deletes the portfolio, changes
the source collection's type, and a second run reads the registered model with use_model. Everything seen is written to OUT.
"""

import json
import os
import sys

import wandb


def read_tree(root):
    found = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            with open(os.path.join(folder, name), encoding="utf-8") as handle:
                found[os.path.relpath(os.path.join(folder, name), root)] = handle.read()
    return found


def seen(art, download=False):
    got = {"name": art.name, "version": art.version, "aliases": sorted(art.aliases),
           "is_link": art.is_link, "source": art.source_name, "type": art.type}
    if download:
        got["files"] = read_tree(art.download(root=os.path.join(os.getcwd(),
                                                                  art.name.replace(":", "-"))))
    return got


def new_version(run, text):
    art = wandb.Artifact("weights", type="model")
    with art.new_file("w.txt", mode="w", encoding="utf-8") as handle:
        handle.write(text)
    logged = run.log_artifact(art)
    logged.wait()
    return logged


def main(spec_path, out_path):
    with open(spec_path) as handle:
        spec = json.load(handle)
    entity, project, portfolio = spec["entity"], spec["project"], spec["portfolio"]
    out = {}
    run = wandb.init(entity=entity, project=project)
    first = new_version(run, "zero\n")
    out["link0"] = seen(run.link_artifact(first, portfolio, aliases=["production"]))
    second = new_version(run, "one\n")
    out["link1"] = seen(second.link(portfolio, aliases=["staging"]))
    with open("model.txt", "w", encoding="utf-8") as handle:
        handle.write("registered model\n")
    run.link_model("model.txt", registered_model_name="registered", name="mdl")
    run.finish()

    api = wandb.Api()
    out["production"] = seen(api.artifact(f"{portfolio}:production"), download=True)
    out["latest"] = seen(api.artifact(f"{portfolio}:latest"), download=True)
    out["v0"] = seen(api.artifact(f"{portfolio}:v0"))
    out["source_aliases"] = sorted(api.artifact(f"{entity}/{project}/weights:v0").aliases)
    linked = api.artifact_collection("model", portfolio)
    out["portfolio"] = {"is_sequence": linked.is_sequence(),
                        "versions": [a.name for a in linked.artifacts()]}
    out["sequence_versions"] = [a.name for a in api.artifacts("model",
                                                             f"{entity}/{project}/weights")]
    source = api.artifact_collection("model", f"{entity}/{project}/weights")
    source.description = "all the weights"
    source.tags = ["gold", "two words"]
    source.save()
    back = wandb.Api().artifact_collection("model", f"{entity}/{project}/weights")
    out["edited"] = {"description": back.description, "tags": sorted(back.tags),
                     "is_sequence": back.is_sequence()}
    back.tags = ["two words"]
    back.name = "renamed-weights"
    back.save()
    renamed = wandb.Api().artifact_collection("model", f"{entity}/{project}/renamed-weights")
    out["renamed"] = {"name": renamed.name, "tags": sorted(renamed.tags),
                      "versions": [a.name for a in renamed.artifacts()]}
    linked.description = "the best ones"
    linked.save()
    out["portfolio_description"] = wandb.Api().artifact_collection(
        "model", portfolio).description

    api.artifact(f"{portfolio}:v0").unlink()
    try:
        wandb.Api().artifact(f"{portfolio}:production")
        out["after_unlink"] = "still there"
    except Exception as exc:  # noqa: BLE001 - the client's own error type varies
        out["after_unlink"] = type(exc).__name__
    out["after_unlink_versions"] = [a.name for a in wandb.Api().artifact_collection(
        "model", portfolio).artifacts()]

    source = f"{entity}/{project}/renamed-weights"
    out["linked_artifacts"] = sorted(
        a.name for a in wandb.Api().artifact(f"{source}:v1").linked_artifacts)
    out["portfolio_aliases"] = sorted(wandb.Api().artifact_collection("model", portfolio).aliases)
    wandb.Api().artifact_collection("model", portfolio).delete()
    try:
        wandb.Api().artifact(f"{portfolio}:latest")
        out["after_delete"] = "still there"
    except Exception as exc:  # noqa: BLE001 - the client's own error type varies
        out["after_delete"] = type(exc).__name__
    retyped = wandb.Api().artifact_collection("model", source)
    retyped.type = "checkpoint"
    retyped.save()
    out["retyped"] = wandb.Api().artifact(f"{source}:v1").type

    user = wandb.init(entity=entity, project=project)
    path = user.use_model(f"{entity}/model-registry/registered:latest")
    with open(path, encoding="utf-8") as handle:
        out["use_model"] = handle.read()
    user.finish()
    with open(out_path, "w") as handle:
        json.dump(out, handle, indent=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
