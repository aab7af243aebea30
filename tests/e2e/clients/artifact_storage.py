"""Log an artifact (optionally naming a storage region) and read it back with the public API;
run as ``python artifact_storage.py SPEC OUT``.

Spec: {"project": P, "name": N, "files": {name: text}, "region": R or null,
"run_id": ID}. OUT: {"error": message or null, "version": "vN", "storage_region": the
manifest's storagePolicyConfig.storageRegion, "storage_paths": {name: File.storage_path},
"downloaded": {name: text}} (only "error" when logging failed).
"""

import json
import os
import sys

import wandb


def main(spec_path, out_path):
    with open(spec_path) as f:
        spec = json.load(f)
    source = os.path.join(os.getcwd(), "source-" + spec["run_id"])
    os.makedirs(source, exist_ok=True)
    out = {"error": None}
    try:
        with wandb.init(project=spec["project"], id=spec["run_id"]) as run:
            extra = {"storage_region": spec["region"]} if spec.get("region") else {}
            art = wandb.Artifact(spec["name"], type="dataset", **extra)
            for name, text in spec["files"].items():
                path = os.path.join(source, name)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w") as handle:
                    handle.write(text)
                art.add_file(path, name=name)
            run.log_artifact(art)
            art.wait()
    except Exception as exc:  # the server refused: the test reads the message
        out["error"] = f"{type(exc).__name__}: {exc}"
        with open(out_path, "w") as f:
            json.dump(out, f, indent=1)
        return
    api = wandb.Api()
    read = api.artifact(f"{spec['project']}/{spec['name']}:latest")
    manifest = read.manifest.to_manifest_json()
    out["version"] = read.version
    out["storage_region"] = manifest["storagePolicyConfig"].get("storageRegion")
    out["storage_paths"] = {f.name: f.storage_path for f in read.files()}
    root = read.download(root=os.path.join(os.getcwd(), "downloaded-" + spec["run_id"]))
    out["downloaded"] = {}
    for name in spec["files"]:
        with open(os.path.join(root, name)) as handle:
            out["downloaded"][name] = handle.read()
    with open(out_path, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
