"""What every request handler gets: the wired services and who is asking."""

from __future__ import annotations

from dataclasses import dataclass

from wbserver.config import Settings
from wbserver.domain.models import User
from wbserver.ports import BlobStore, MetadataStore
from wbserver.storage.signing import UrlSigner


@dataclass(frozen=True)
class Services:
    settings: Settings
    store: MetadataStore
    blobs: BlobStore
    signer: UrlSigner


@dataclass(frozen=True)
class RequestContext:
    services: Services
    viewer: User
    base_url: str

    @property
    def store(self) -> MetadataStore:
        return self.services.store
