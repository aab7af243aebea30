"""The install marker: which wbserver install owns a bucket (or the prefix BUCKET names).

Run files live under `runs/<run id>/...`, and run ids start at 1 in every database: two
installs writing to one bucket without prefixes of their own would overwrite each other's
files. At start (and before a changed BUCKET is saved) the server reads `.wbserver-install` at
the root of its store: absent, it writes its own install id there; another install's id, it
refuses to start. Every process and host of one install shares the id (it is in the
database), so they all pass.
"""

from __future__ import annotations

import json

from wbserver.errors import ConfigError
from wbserver.ports import BlobStore

MARKER_KEY = ".wbserver-install"


def read_marker(blobs: BlobStore) -> str | None:
    """The install id the store's marker names (None: no marker)."""
    try:
        data = b"".join(blobs.open_read(MARKER_KEY))
    except FileNotFoundError:
        return None
    try:
        found = json.loads(data)
        return str(found["install_id"])
    except (ValueError, KeyError, TypeError):
        return data.decode("utf-8", "replace").strip()[:64] or "?"


def claim_store(blobs: BlobStore, *, install_id: str, shown: str) -> str:
    """Write this install's marker where there is none, or ConfigError if the store belongs
    to another install. `shown` is how the store is named to the operator (BUCKET=...).
    Returns "claimed" or "ours"."""
    found = read_marker(blobs)
    if found == install_id:
        return "ours"
    if found is not None:
        raise ConfigError(
            f"{shown} belongs to another wbserver install (its {MARKER_KEY} names install "
            f"{found}, this one is {install_id}): two installs writing to one bucket overwrite "
            f"each other's run files. Give this install a prefix of its own in the bucket, "
            f"e.g. BUCKET=s3://my-bucket/PREFIX (gs://my-bucket/PREFIX, "
            f"az://account/container/PREFIX), or, if that install is gone for good, delete "
            f"{MARKER_KEY} from the bucket")
    body = json.dumps({"install_id": install_id, "written_by": "wbserver"}).encode()
    blobs.write(MARKER_KEY, [body])
    return "claimed"
