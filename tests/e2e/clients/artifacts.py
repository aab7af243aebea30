"""Artifacts with the real client, driven by a JSON spec; run as ``python artifacts.py SPEC OUT``.

Spec keys:
  action   "log": one run logs an artifact made of `files` ({path: text}) with `aliases`,
                  `metadata`, `tags` and, with `table`, also logs a wandb.Table in history
           "use": one run uses every name in `use` ("name:alias"), downloads each into
                  its own folder and reports the files' text
           "api": wandb.Api() reads `artifact` (files, metadata, aliases, logged_by,
                  used_by, download), `run` (logged/used artifacts, history tables),
                  and deletes `delete` ("entity/project/name:vN", delete_aliases=True);
                  `types` ("entity/project"): artifact_types(), artifact_type("model"),
                  the collections of the type and of the project
           "edit": wandb.Api() edits `artifact` with `edit` and .save() (see edit())
  init     kwargs for wandb.init
Every action writes what it saw to OUT; tracebacks fail the process.
"""

import json
import os
import sys

import wandb


def read_tree(root):
    found = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as handle:
                found[os.path.relpath(path, root).replace(os.sep, "/")] = handle.read()
    return found


def log(spec, out):
    run = wandb.init(**spec["init"])
    if spec.get("table"):
        table = wandb.Table(columns=["a", "b"], data=spec["table"])
        run.log({"table": table, "x": 1})
    art = wandb.Artifact(spec["name"], type=spec.get("type", "dataset"),
                         description="e2e", metadata=spec.get("metadata"))
    for path, text in spec["files"].items():
        with art.new_file(path, mode="w", encoding="utf-8") as handle:
            handle.write(text)
    for name, uri in spec.get("refs", {}).items():
        art.add_reference(uri, name=name, checksum=False)
    logged = run.log_artifact(art, aliases=spec.get("aliases", []), tags=spec.get("tags"))
    logged.wait()
    out.update(id=logged.id, version=logged.version, digest=logged.digest,
               aliases=sorted(logged.aliases), run_id=run.id)
    run.finish()


def use(spec, out):
    run = wandb.init(**spec["init"])
    out["used"] = {}
    for index, name in enumerate(spec["use"]):
        art = run.use_artifact(name)
        root = art.download(root=os.path.join(os.getcwd(), f"dl-{index}"))
        out["used"][name] = {"id": art.id, "version": art.version, "files": read_tree(root)}
    out["run_id"] = run.id
    run.finish()


def api_read(spec, out):
    api = wandb.Api()
    if spec.get("artifact"):
        art = api.artifact(spec["artifact"])
        root = art.download(root=os.path.join(os.getcwd(), "api-dl"))
        creator = art.logged_by()
        out["artifact"] = {
            "id": art.id, "version": art.version, "metadata": art.metadata,
            "aliases": sorted(art.aliases), "type": art.type,
            "files": sorted(f.name for f in art.files()),
            "sizes": sorted(f.size for f in art.files()),
            "downloaded": read_tree(root), "logged_by": creator.id if creator else None,
            "used_by": sorted(r.id for r in art.used_by()),
            "file_count": art.file_count, "size": art.size, "tags": sorted(art.tags),
        }
    if spec.get("run"):
        run = api.run(spec["run"])
        out["logged"] = sorted(f"{a.name}" for a in run.logged_artifacts())
        out["used"] = sorted(f"{a.name}" for a in run.used_artifacts())
        history = run.history(pandas=False)
        out["tables"] = [row["table"] for row in history if isinstance(row.get("table"), dict)]
        tables = [a for a in run.logged_artifacts() if a.type == "run_table"]
        if tables:
            table = tables[0].get("table")
            out["table_data"] = [list(r) for r in table.data]
    if spec.get("types"):  # "entity/project"
        out["types"] = sorted(t.name for t in api.artifact_types(spec["types"]))
        out["type"] = api.artifact_type("model", spec["types"]).name
        out["collections"] = sorted(c.name for c in api.artifact_collections(spec["types"],
                                                                             "model"))
        found = api.artifact_collection("model", spec["types"] + "/weights")
        out["collection"] = {"name": found.name, "type": found.type, "tags": found.tags}
        out["exists"] = [api.artifact_collection_exists(spec["types"] + "/" + name, "model")
                         for name in ("weights", "nothing")]
        entity, project = spec["types"].split("/")
        out["project_collections"] = sorted(
            c.name for c in api.project(project, entity).collections())
    if spec.get("delete"):
        api.artifact(spec["delete"]).delete(delete_aliases=True)
        out["deleted"] = spec["delete"]
        try:
            api.artifact(spec["delete"])
            out["still_there"] = True
        except Exception as exc:  # noqa: BLE001 - the client's own error type varies
            out["after_delete"] = type(exc).__name__


def edit(spec, out):
    """Artifact.save() on a logged version: `edit` sets description, metadata, tags and
    the aliases added/removed, then a fresh wandb.Api() reads it back."""
    art = wandb.Api().artifact(spec["artifact"])
    change = spec["edit"]
    art.description = change["description"]
    art.metadata = change["metadata"]
    art.tags = change["tags"]
    art.aliases = [a for a in art.aliases if a not in change.get("drop_aliases", [])]
    art.aliases.extend(change.get("add_aliases", []))
    art.save()
    back = wandb.Api().artifact(spec["artifact"])
    out["artifact"] = {"description": back.description, "metadata": back.metadata,
                       "tags": sorted(back.tags), "aliases": sorted(back.aliases)}


def main(spec_path, out_path):
    with open(spec_path) as handle:
        spec = json.load(handle)
    out = {}
    {"log": log, "use": use, "api": api_read, "edit": edit}[spec["action"]](spec, out)
    with open(out_path, "w") as handle:
        json.dump(out, handle, indent=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
