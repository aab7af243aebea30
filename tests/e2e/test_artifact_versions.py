"""Versions built on other versions, references and TTLs, with both client generations
(issue 20, causes 6 and 7 and TTL): one client script logs them in two runs and reads them
back through a fresh wandb.Api() (clients/artifact_versions.py says what it does).

- `Artifact(..., incremental=True)` uploads an INCREMENTAL manifest of the new entries only,
  `new_draft()` a FULL one with its base named, a distributed artifact PATCH manifests from
  each run: each version must hold what the client meant (base + changes, removals applied,
  every piece), where the server used to keep only the last upload;
- references (file://, http://) are listed in the files the client downloads, so that
  `download()` fetches them instead of skipping them silently;
- a TTL set before logging and changed with `.save()` reads back as the client set it;
- a run that logs an existing version (the public API's `Run.log_artifact`) lists it among
  its outputs.
"""

from __future__ import annotations

from .harness import Client, each_client

pytestmark = each_client()

DAYS = 3


def test_incremental_draft_distributed_references_and_ttl(client: Client):
    out, _ = client.script("artifact_versions.py", {"project": "versions", "entity": "alice",
                                                    "ttl_days": DAYS})

    inc = out["inc:latest"]
    assert inc["version"] == "v1"
    assert inc["entries"] == inc["files"] == ["a.txt", "b.txt", "c.txt"]
    assert inc["downloaded"] == {"a.txt": "alpha\n", "b.txt": "bravo, changed\n",
                                 "c.txt": "charlie\n"}
    assert inc["file_count"] == 3
    assert out["inc:v0"]["downloaded"] == {"a.txt": "alpha\n", "b.txt": "bravo\n"}

    draft = out["draft:latest"]
    assert draft["version"] == "v1" and draft["entries"] == ["b.txt", "d.txt"]
    assert draft["downloaded"] == {"b.txt": "bravo\n", "d.txt": "delta\n"}

    dist = out["dist:latest"]
    assert dist["version"] == "v0" and dist["entries"] == ["part1.txt", "part2.txt"]
    assert dist["downloaded"] == {"part1.txt": "one\n", "part2.txt": "two\n"}

    refs = out["refs:latest"]
    assert refs["entries"] == refs["files"] == ["local.txt", "remote/web.txt", "stored.txt"]
    assert refs["downloaded"] == {"local.txt": "on this machine\n",
                                  "remote/web.txt": "over http\n",
                                  "stored.txt": "kept here\n"}

    # run 2 logged "plain:v0" (made by run 1) through the public API: one of its outputs now
    assert out["outputs"] == ["dist:v0", "draft:v1", "inc:v1", "plain:v0"]

    assert out["ttl"] == {"logged": [DAYS * 86400.0, False], "none": [None, False],
                          "hours": [5 * 3600.0, False], "inherit": [None, True],
                          "plain": [None, True]}
