"""Download a run's files with the public API; run as ``python download_files.py SPEC OUT``.

Spec: {"run": "entity/project/run_id"}. OUT: {"files": {name: {"size": n, "sha256": hex,
"text": str-or-null}}}, downloaded with File.download() into a fresh folder.
"""

import hashlib
import json
import os
import sys

import wandb


def main(spec_path, out_path):
    with open(spec_path) as f:
        spec = json.load(f)
    run = wandb.Api().run(spec["run"])
    root = os.path.join(os.getcwd(), "downloaded")
    found = {}
    for file in run.files():
        file.download(root=root, replace=True)
        with open(os.path.join(root, file.name), "rb") as handle:
            data = handle.read()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        found[file.name] = {"size": file.size, "sha256": hashlib.sha256(data).hexdigest(),
                            "text": text}
    with open(out_path, "w") as f:
        json.dump({"files": found}, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
