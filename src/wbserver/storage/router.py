"""The BlobStore the server uses: new files go to the store BUCKET names now; a file already
stored is read from the store it landed in (each file row remembers it), so changing BUCKET
keeps older files readable.

Every store that ever became current is registered in the metadata (its configuration
encrypted), so a store named by an old row can be opened again after a restart. While only
one store was ever used, no lookups happen at all.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from wbserver.errors import InvalidInput
from wbserver.ports import BlobInfo, BlobStore, MetadataStore, MultipartUpload, SupportsMultipart
from wbserver.storage.signing import UrlSigner, quote_key

log = logging.getLogger("wbserver.storage")
KNOWN_TTL = 5.0


@dataclass(frozen=True)
class StoreConfig:
    """What opens a store: BUCKET and the credentials settings that go with it."""

    uri: str = ""
    aws_region: str = ""
    azure_storage_key: str = ""


class StoreRouter:
    def __init__(self, *, metadata: MetadataStore, signer: UrlSigner,
                 config: Callable[[], tuple[StoreConfig, bool]],
                 open_store: Callable[[StoreConfig], BlobStore],
                 locate: Callable[[str], str | None],
                 encrypt: Callable[[str], str], decrypt: Callable[[str], str]) -> None:
        self._metadata = metadata
        self._signer = signer
        self._config = config
        self._open = open_store
        self._locate = locate
        self._encrypt, self._decrypt = encrypt, decrypt
        self._by_config: dict[StoreConfig, BlobStore] = {}
        self._by_name: dict[str, BlobStore] = {}
        self._known: tuple[float, set[str]] = (0.0, set())
        self._lock = threading.Lock()

    # which store -------------------------------------------------------------------------

    def current(self) -> BlobStore:
        config, _proxy = self._config()
        store = self._by_config.get(config)
        if store is None:
            with self._lock:
                store = self._by_config.get(config) or self._open(config)
                self._metadata.register_blob_store(store.name,
                                                   self._encrypt(json.dumps(asdict(config))))
                self._by_config[config] = store
                self._by_name[store.name] = store
                self._known = (0.0, set())
        return store

    @property
    def name(self) -> str:
        return self.current().name

    @property
    def proxied(self) -> bool:
        return self._config()[1]

    def _named(self, name: str) -> BlobStore | None:
        store = self._by_name.get(name)
        if store is not None:
            return store
        config = self._metadata.blob_stores().get(name)
        if config is None:
            log.warning("files name the store %s, which is not registered", name)
            return None
        try:
            values = json.loads(self._decrypt(config)) if config else {}
            store = self._open(StoreConfig(**values))
        except Exception:
            log.exception("cannot open the earlier store %s", name)
            return None
        with self._lock:
            self._by_name.setdefault(name, store)
        return self._by_name[name]

    def _single_store(self, current: BlobStore) -> bool:
        checked, names = self._known
        if time.monotonic() - checked > KNOWN_TTL:
            names = set(self._metadata.blob_stores())
            self._known = (time.monotonic(), names)
        return names <= {current.name}

    def holder(self, key: str) -> BlobStore:
        """The store holding `key` (the current one for keys not stored anywhere yet)."""
        current = self.current()
        if self._single_store(current):
            return current
        name = self._locate(key)
        if name is None or name == current.name:
            return current
        return self._named(name) or current

    def serves_bytes(self, key: str) -> bool:
        """Whether downloads of `key` go through this server (proxy mode, local disk)."""
        return self.proxied or not getattr(self.holder(key), "signed_urls", False)

    def key_for(self, bucket: str, name: str) -> str | None:
        key_for = getattr(self.current(), "key_for", None)
        return key_for(bucket, name) if key_for else None

    def check(self) -> None:
        getattr(self.current(), "check", lambda: None)()

    # BlobStore ---------------------------------------------------------------------------

    def write(self, key: str, chunks: Iterable[bytes], *, md5_hex: str | None = None) -> BlobInfo:
        return self.current().write(key, chunks, md5_hex=md5_hex)

    def open_read(self, key: str) -> Iterator[bytes]:
        return self.holder(key).open_read(key)

    def stat(self, key: str) -> BlobInfo | None:
        return self.holder(key).stat(key)

    def local_path(self, key: str) -> Path | None:
        local_path = getattr(self.holder(key), "local_path", None)
        return local_path(key) if local_path else None

    def delete(self, key: str) -> bool:
        """Deletes from the store holding `key`; a key no row names any more (the garbage
        collector forgets rows first) is deleted from every store it may be in."""
        current = self.current()
        if self._single_store(current):
            return current.delete(key)
        name = self._locate(key)
        if name is not None:
            return (self._named(name) or current).delete(key)
        deleted = current.delete(key)
        for other in set(self._metadata.blob_stores()) - {current.name}:
            store = self._named(other)
            deleted = bool(store and store.delete(key)) or deleted
        return deleted

    def upload_url(self, key: str, *, base_url: str, expires_in: int,
                   content_md5: str | None = None) -> tuple[str, list[str]]:
        store = self.current()
        if self.proxied or not getattr(store, "signed_urls", False):
            return self._route_url("PUT", key, base_url, expires_in), []
        return store.upload_url(key, base_url=base_url, expires_in=expires_in,
                                content_md5=content_md5)

    def download_url(self, key: str, *, base_url: str, expires_in: int) -> str:
        store = self.holder(key)
        if self.proxied or not getattr(store, "signed_urls", False):
            return self._route_url("GET", key, base_url, expires_in)
        return store.download_url(key, base_url=base_url, expires_in=expires_in)

    def start_multipart(self, key: str, *, parts: list[int],
                        expires_in: int) -> MultipartUpload | None:
        """Part URLs on the current store when it takes uploads in parts; None (one PUT of
        any size) for a store that does not, and in proxy mode (bytes come through us)."""
        store = self.current()
        if self.proxied or not isinstance(store, SupportsMultipart):
            return None
        return store.start_multipart(key, parts=parts, expires_in=expires_in)

    def complete_multipart(self, key: str, *, upload_id: str, parts: list[int]) -> str:
        store = self.current()
        if not isinstance(store, SupportsMultipart):
            raise InvalidInput(f"the store {store.name} takes no multipart uploads")
        return store.complete_multipart(key, upload_id=upload_id, parts=parts)

    def _route_url(self, method: str, key: str, base_url: str, expires_in: int) -> str:
        """The server's own signed /storage route (local disk, proxy mode)."""
        return f"{base_url}/storage/{quote_key(key)}?{self._signer.sign(method, key, expires_in=expires_in)}"

    def close(self) -> None:
        for store in self._by_name.values():
            close: Any = getattr(store, "close", None)
            if close:
                close()
