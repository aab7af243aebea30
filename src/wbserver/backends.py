"""One small registry per kind of backend, keyed by URI scheme.

A backend module registers a factory for its scheme (`STORES.register("s3")`); `open(uri)`
builds the backend for a URI or fails with a message naming the setting, the schemes that are
known and a good example. Importing a backend module never imports its SDK (that happens
inside the factory), so registering every backend costs nothing.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

from wbserver.errors import ConfigError

T = TypeVar("T")


@dataclass(frozen=True)
class BackendEnv:
    """What a backend may need besides its URI (passed in by app.py; never read here)."""

    aws_region: str = ""
    azure_storage_key: str = ""
    local_root: str = ""
    signer: Any = None  # storage.signing.UrlSigner, for stores served by our own route


Factory = Callable[[str, BackendEnv], T]


class Registry(Generic[T]):
    def __init__(self, setting: str, example: str, modules: tuple[str, ...]) -> None:
        self.setting = setting
        self.example = example
        self._modules = modules
        self._factories: dict[str, Factory[T]] = {}
        self._sdks: dict[str, tuple[str, str]] = {}
        self._loaded = False

    def register(self, scheme: str, *, sdk: str = "", extra: str = ""
                 ) -> Callable[[Factory[T]], Factory[T]]:
        """SDK: the module the backend imports on first use, from the package extra EXTRA
        (`pip install 'wbserver[EXTRA]'`); checked before the backend is built."""
        def add(factory: Factory[T]) -> Factory[T]:
            self._factories[scheme] = factory
            if sdk:
                self._sdks[scheme] = (sdk, extra)
            return factory
        return add

    def _check_sdk(self, scheme: str, uri: str) -> None:
        if scheme not in self._sdks:
            return
        sdk, extra = self._sdks[scheme]
        try:
            found = importlib.util.find_spec(sdk) is not None
        except ModuleNotFoundError:  # a parent package (google, azure) is missing
            found = False
        if not found:
            raise ConfigError(f"{self.setting}={shown_uri(uri)!r} needs the {sdk} package, "
                              f"which is not installed: pip install 'wbserver[{extra}]'")

    def _load(self) -> None:
        if not self._loaded:
            for module in self._modules:
                importlib.import_module(module)
            self._loaded = True

    def schemes(self) -> list[str]:
        self._load()
        return sorted(self._factories)

    def open(self, uri: str, env: BackendEnv) -> T:
        """The backend for `uri`, or ConfigError naming the setting and the known schemes."""
        self._load()
        scheme = scheme_of(uri)
        factory = self._factories.get(scheme)
        if factory is None:
            known = ", ".join(f"{s}://" for s in self.schemes())
            raise ConfigError(f"{self.setting}={shown_uri(uri)!r} has an unknown scheme "
                              f"{scheme!r}; known schemes: {known}; for example "
                              f"{self.setting}={self.example}")
        self._check_sdk(scheme, uri)
        try:
            return factory(uri, env)
        except ConfigError as exc:
            raise ConfigError(f"{self.setting}={shown_uri(uri)!r} is not valid: {exc.message}; "
                              f"for example {self.setting}={self.example}") from exc


def scheme_of(uri: str) -> str:
    return uri.split(":", 1)[0].lower() if ":" in uri else ""


def shown_uri(uri: str) -> str:
    """The URI without a password, for messages and logs."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    netloc = f"{parts.username}:***@{parts.hostname or ''}"
    if parts.port:
        netloc += f":{parts.port}"
    return parts._replace(netloc=netloc).geturl()


STORES: Registry[Any] = Registry(
    "BUCKET", "s3://my-bucket/wandb",
    ("wbserver.storage.local", "wbserver.storage.s3", "wbserver.storage.gcs",
     "wbserver.storage.azure"))

QUEUES: Registry[Any] = Registry(
    "BUCKET_QUEUE", "sqs://wandb-file-events",
    ("wbserver.queues.internal", "wbserver.queues.sqs", "wbserver.queues.pubsub",
     "wbserver.queues.azure_queue"))

# Where run events are published (NOTIFICATIONS_QUEUE): objects with publish(body: str).
PUBLISHERS: Registry[Any] = Registry(
    "NOTIFICATIONS_QUEUE", "sqs://wandb-run-events",
    ("wbserver.queues.sqs", "wbserver.queues.pubsub", "wbserver.queues.azure_queue"))
