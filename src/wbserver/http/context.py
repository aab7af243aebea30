"""What every request handler gets: the wired services and who is asking."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from wbserver.config import Settings
from wbserver.config.runtime import SettingsSource
from wbserver.domain.clock import utcnow
from wbserver.domain.license import LicenseState
from wbserver.domain.models import User
from wbserver.http.store_threads import StoreThreads
from wbserver.ports import EventQueue, MetadataStore, RoutedBlobStore
from wbserver.secrets_box import SecretBox
from wbserver.storage.signing import UrlSigner
from wbserver.wakeup import Wakeup


@dataclass(frozen=True)
class Services:
    settings_source: SettingsSource
    store: MetadataStore
    blobs: RoutedBlobStore
    signer: UrlSigner
    secrets: SecretBox
    # keys the client reported uploaded (file_stream): internal:// looks for them in the bucket
    report_uploads: Callable[[list[str]], None] = lambda _keys: None
    queue: Callable[[], EventQueue] | None = None  # the BUCKET_QUEUE in force
    outbox_wakeup: Wakeup = field(default_factory=Wakeup)  # set when an item is recorded
    # where GraphQL and file_stream run their store work (one thread on SQLite)
    store_threads: StoreThreads = field(default_factory=lambda: StoreThreads(None))
    # what /setup asks for while no admin ever existed; None: the first visit may (loopback)
    setup_token: str | None = None

    @property
    def settings(self) -> Settings:
        """The settings in force now (saved changes arrive without a restart)."""
        return self.settings_source.current()

    def license(self) -> LicenseState:
        from wbserver.licensing import license_state

        settings = self.settings
        return license_state(settings.license, settings.license_public_keys, utcnow())


@dataclass(frozen=True)
class RequestContext:
    services: Services
    viewer: User
    base_url: str
    probes: list[Any] = field(default_factory=list)
    cache: dict[str, Any] = field(default_factory=dict)  # lookups shared within one request

    @property
    def store(self) -> MetadataStore:
        return self.services.store
