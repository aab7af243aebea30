"""New versions built on others, references and TTLs with the real client; run as
``python artifact_versions.py SPEC OUT``.

Two runs log, in `project`:
  run 1: "inc" and "draft" v0 ({a.txt, b.txt}); "refs" (a stored file, a file:// and an
         http:// reference, served from this process); "ttl" with a TTL of `ttl_days`,
         "plain" without; and the first piece of the distributed "dist"
  run 2: "inc" v1 with `incremental=True` (c.txt added, b.txt changed); "draft" v1 from
         `new_draft()` (a.txt removed, d.txt added); the second piece of "dist", then
         finish_artifact
Then a fresh wandb.Api() reads each back: manifest entries, `files()`, a download into a
clean folder, and for "ttl" the TTL, set to none and back to inherited with `.save()`;
run 2 then logs "plain:v0" through the public API (`Run.log_artifact`) and lists its outputs.
Everything seen goes to OUT; tracebacks fail the process.
"""

import http.server
import json
import os
import sys
import threading
from datetime import timedelta

import wandb
from wandb.sdk.artifacts.artifact_ttl import ArtifactTTL

V0 = {"a.txt": "alpha\n", "b.txt": "bravo\n"}


def read_tree(root):
    found = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as handle:
                found[os.path.relpath(path, root).replace(os.sep, "/")] = handle.read()
    return found


def artifact(name, files, **kwargs):
    art = wandb.Artifact(name, type="dataset", **kwargs)
    for path, text in files.items():
        with art.new_file(path, mode="w", encoding="utf-8") as handle:
            handle.write(text)
    return art


def serve(folder):
    """An HTTP server for the http:// reference, on a free loopback port."""
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=folder)  # noqa: E731
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def first_run(spec, served):
    with wandb.init(project=spec["project"], id="versions0") as run:
        for name in ("inc", "draft"):
            run.log_artifact(artifact(name, V0)).wait()
        refs = artifact("refs", {"stored.txt": "kept here\n"})
        refs.add_reference("file://" + os.path.abspath("local-ref.txt"), name="local.txt")
        refs.add_reference(f"http://127.0.0.1:{served.server_address[1]}/web.txt",
                           name="remote/web.txt")
        run.log_artifact(refs).wait()
        ttl = artifact("ttl", {"t.txt": "expires\n"})
        ttl.ttl = timedelta(days=spec["ttl_days"])
        run.log_artifact(ttl).wait()
        run.log_artifact(artifact("plain", {"p.txt": "stays\n"})).wait()
        run.upsert_artifact(artifact("dist", {"part1.txt": "one\n"}),
                            distributed_id="shards").wait()


def second_run(spec):
    with wandb.init(project=spec["project"], id="versions1") as run:
        inc = artifact("inc", {"c.txt": "charlie\n", "b.txt": "bravo, changed\n"},
                       incremental=True)
        run.log_artifact(inc).wait()
        draft = run.use_artifact("draft:latest").new_draft()
        draft.remove("a.txt")
        with draft.new_file("d.txt", mode="w", encoding="utf-8") as handle:
            handle.write("delta\n")
        run.log_artifact(draft).wait()
        run.upsert_artifact(artifact("dist", {"part2.txt": "two\n"}),
                            distributed_id="shards").wait()
        run.finish_artifact(artifact("dist", {}), distributed_id="shards").wait()


def read_back(spec, out):
    api = wandb.Api()
    where = f"{spec['entity']}/{spec['project']}"
    for name in ("inc:latest", "inc:v0", "draft:latest", "dist:latest", "refs:latest"):
        art = api.artifact(f"{where}/{name}")
        root = art.download(root=os.path.join(os.getcwd(), "dl", name.replace(":", "-")))
        out[name] = {"version": art.version, "entries": sorted(art.manifest.entries),
                     "files": sorted(f.name for f in art.files()),
                     "file_count": art.file_count, "downloaded": read_tree(root)}
    # the public API's Run.log_artifact of an existing version: an output of that run too
    run = api.run(f"{where}/versions1")
    run.log_artifact(api.artifact(f"{where}/plain:v0"))
    out["outputs"] = sorted(a.name for a in api.run(f"{where}/versions1").logged_artifacts())
    try:
        out["ttl"] = read_ttl(api, where)
    except Exception as exc:  # noqa: BLE001 - reported, the test shows it
        out["ttl"] = {"error": f"{type(exc).__name__}: {exc}"}


def read_ttl(api, where):
    ttl = {}
    art = api.artifact(f"{where}/ttl:v0")
    ttl["logged"] = [art.ttl.total_seconds() if art.ttl else None, art._ttl_is_inherited]
    art.ttl = None
    art.save()
    art = wandb.Api().artifact(f"{where}/ttl:v0")
    ttl["none"] = [art.ttl, art._ttl_is_inherited]
    art.ttl = timedelta(hours=5)
    art.save()
    art = wandb.Api().artifact(f"{where}/ttl:v0")
    ttl["hours"] = [art.ttl.total_seconds() if art.ttl else None, art._ttl_is_inherited]
    art.ttl = ArtifactTTL.INHERIT
    art.save()
    art = wandb.Api().artifact(f"{where}/ttl:v0")
    ttl["inherit"] = [art.ttl, art._ttl_is_inherited]
    plain = api.artifact(f"{where}/plain:v0")
    ttl["plain"] = [plain.ttl, plain._ttl_is_inherited]
    return ttl


def main(spec_path, out_path):
    with open(spec_path) as handle:
        spec = json.load(handle)
    with open("local-ref.txt", "w", encoding="utf-8") as handle:
        handle.write("on this machine\n")
    os.makedirs("web", exist_ok=True)
    with open(os.path.join("web", "web.txt"), "w", encoding="utf-8") as handle:
        handle.write("over http\n")
    served = serve(os.path.abspath("web"))
    out = {}
    try:
        first_run(spec, served)
        second_run(spec)
        read_back(spec, out)
    finally:
        served.shutdown()
        with open(out_path, "w") as handle:
            json.dump(out, handle, indent=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
