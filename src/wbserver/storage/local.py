"""Files on the server's own disk, reached through its signed /storage route."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

from wbserver.backends import STORES, BackendEnv
from wbserver.errors import ConfigError, InvalidInput, disk_full_refused
from wbserver.ports import BlobInfo
from wbserver.storage.signing import UrlSigner, quote_key
from wbserver.storage.streams import wrong_md5

CHUNK = 1024 * 1024
# segments of letters, digits, "_", "-" and "." that start with none of ".": no "..", no
# "." and no empty segment, not absolute: such a key names a path under the root without
# resolving it (a dozen system calls a file); any other key is resolved and checked
_PLAIN_KEY = re.compile(r"[\w-][\w.-]*(?:/[\w-][\w.-]*)*", re.ASCII)


class LocalBlobStore:
    """`BUCKET` empty (the data folder's files/, named 'local') or `file:///some/folder`."""

    signed_urls = False  # clients reach the bytes through the server's own route

    def __init__(self, root: str, signer: UrlSigner, name: str = "local") -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.signer = signer
        self.name = name

    def check(self) -> None:
        if not self.root.is_dir():
            raise ConfigError(f"{self.root} is not a folder")

    def key_for(self, bucket: str, name: str) -> str | None:
        return name

    def _path(self, key: str) -> Path:
        if _PLAIN_KEY.fullmatch(key):  # every upload's key: stays under root as it is written
            return self.root / key
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise InvalidInput(f"storage key {key!r} escapes the storage folder")
        return path

    def write(self, key: str, chunks: Iterable[bytes], *, md5_hex: str | None = None) -> BlobInfo:
        """Write atomically: readers see the old bytes or the new, never a part. With
        `md5_hex`, bytes of another MD5 are refused before they get the key's name."""
        path = self._path(key)
        digest, size = hashlib.md5(usedforsecurity=False), 0
        with disk_full_refused(f"the file {key}"):
            try:
                fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
            except FileNotFoundError:  # the key's first file in its folder
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
            try:
                with os.fdopen(fd, "wb") as out:
                    for chunk in chunks:
                        out.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
                    if md5_hex is not None and digest.hexdigest() != md5_hex:
                        raise wrong_md5(digest.hexdigest(), md5_hex)
                    out.flush()
                    os.fsync(out.fileno())  # on disk before its name is: never a part
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return BlobInfo(size=size, md5_hex=digest.hexdigest())

    def open_read(self, key: str) -> Iterator[bytes]:
        handle = self._path(key).open("rb")  # a missing file fails here, not when iterated

        def chunks() -> Iterator[bytes]:
            with handle:
                while chunk := handle.read(CHUNK):
                    yield chunk
        return chunks()

    def local_path(self, key: str) -> Path | None:
        path = self._path(key)
        return path if path.is_file() else None

    def stat(self, key: str) -> BlobInfo | None:
        path = self._path(key)
        if not path.is_file():
            return None
        digest = hashlib.md5(usedforsecurity=False)
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
        return BlobInfo(size=path.stat().st_size, md5_hex=digest.hexdigest())

    def delete(self, key: str) -> bool:
        path = self._path(key)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    def upload_url(self, key: str, *, base_url: str, expires_in: int,
                   content_md5: str | None = None) -> tuple[str, list[str]]:
        """The /storage route checks content's MD5 itself (`content_md5` is not needed)."""
        query = self.signer.sign("PUT", key, expires_in=expires_in)
        return f"{base_url}/storage/{quote_key(key)}?{query}", []

    def download_url(self, key: str, *, base_url: str, expires_in: int) -> str:
        query = self.signer.sign("GET", key, expires_in=expires_in)
        return f"{base_url}/storage/{quote_key(key)}?{query}"


@STORES.register("file")
def open_local(uri: str, env: BackendEnv) -> LocalBlobStore:
    parts = urlsplit(uri)
    if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
        raise ConfigError("a local folder is file:///absolute/path")
    return LocalBlobStore(unquote(parts.path), env.signer, name=f"file://{parts.path}")
