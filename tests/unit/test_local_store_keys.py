"""Keys of the local store: a plain key (every upload's) names its path under the root as it
is written; any other is resolved, and refused when it leaves the storage folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from wbserver.errors import InvalidInput
from wbserver.storage.local import LocalBlobStore
from wbserver.storage.signing import UrlSigner


@pytest.fixture
def blobs(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(str(tmp_path / "files"), UrlSigner(b"k" * 32))


@pytest.mark.parametrize("key", [
    "wandb_artifacts/md5/ab/ab0123456789abcdef0123456789abcd", "runs/7/output.log",
    "artifacts/staging/3/" + "c" * 32, "a/b.c/d-e_f", "media/images/a b.png", "a/./b",
    "sub/../x", "naïve.txt"])
def test_keys_under_the_root(blobs: LocalBlobStore, key: str) -> None:
    path = blobs._path(key)
    assert blobs.root in path.parents
    blobs.write(key, [b"bytes"])
    assert b"".join(blobs.open_read(key)) == b"bytes"


@pytest.mark.parametrize("key", ["../x", "a/../../x", "/etc/passwd", "..", "a/../..",
                                 "./../x", "..//x"])
def test_keys_leaving_the_root_are_refused(blobs: LocalBlobStore, key: str) -> None:
    with pytest.raises(InvalidInput, match="escapes the storage folder"):
        blobs.write(key, [b"bytes"])
    with pytest.raises(InvalidInput, match="escapes the storage folder"):
        blobs.open_read(key)
