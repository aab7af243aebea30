"""The composition root: the only place that builds backends and wires them together."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

from starlette.applications import Starlette

from wbserver.api.context import Services
from wbserver.api.events import emitter
from wbserver.api.graphql.executor import GraphQLExecutor
from wbserver.api.graphql.resolvers import all_resolvers
from wbserver.api.graphql.schema import build
from wbserver.api.routes import ROUTES
from wbserver.config import Settings
from wbserver.config.runtime import SettingsSource
from wbserver.domain.notifications import RUN_CRASHED
from wbserver.metadata.engine import check_reachable, make_engine, upgrade_database
from wbserver.metadata.store import SqlStore
from wbserver.notify.slack import slack_sender
from wbserver.secrets_box import SecretBox
from wbserver.sso.provider import Discovery
from wbserver.sso.provider import probe as sso_probe
from wbserver.sso.tokens import KeySets
from wbserver.storage.local import LocalBlobStore
from wbserver.storage.signing import UrlSigner
from wbserver.web.pages_sso import SsoServices
from wbserver.workers.artifact_gc import artifact_gc
from wbserver.workers.crash_detector import crash_detector
from wbserver.workers.outbox import OutboxWorker, outbox_loop


def server_secret(settings: Settings) -> bytes:
    """WBSERVER_SECRET_KEY, else a random key made once and kept in the data folder."""
    if settings.secret_key:
        return settings.secret_key.encode()
    path = Path(settings.data_dir) / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def open_store(settings: Settings, *, migrate: bool = True) -> SqlStore:
    engine = make_engine(settings.database_url)
    check_reachable(engine, _shown_database(settings))
    if migrate:
        upgrade_database(engine)
    return SqlStore(engine)


def _shown_database(settings: Settings) -> str:
    if not settings.mysql:
        return settings.database_url
    parts = urlsplit(settings.mysql)
    host = parts.hostname or ""
    return f"MYSQL={parts.scheme}://{parts.username or ''}@{host}:{parts.port or 3306}{parts.path}"


def build_services(source: SettingsSource) -> Services:
    startup = source.startup
    secret = server_secret(startup)
    box = SecretBox(secret)
    store = open_store(startup)
    source.attach(
        load_saved=lambda: {k: box.decrypt(v) for k, v in store.load_saved_settings().items()},
        revision=store.settings_revision)
    signer = UrlSigner(secret)
    return Services(settings_source=source, store=store,
                    blobs=LocalBlobStore(startup.files_dir, signer), signer=signer, secrets=box)


def create_app(source: SettingsSource | None = None) -> Starlette:
    source = source or SettingsSource()
    services = build_services(source)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(crash_detector(
            services.store, services.blobs, lambda: services.settings,
            on_crash=lambda run: emitter(services, services.settings.host)(RUN_CRASHED, run)))
        outbox_task = asyncio.create_task(outbox_loop(OutboxWorker(services.store, senders={
            "slack": slack_sender(services.store, services.secrets.decrypt)})))
        gc_task = asyncio.create_task(artifact_gc(
            services.store, services.blobs, lambda: services.settings))
        try:
            yield
        finally:
            for worker_task in (task, outbox_task):
                worker_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker_task
            gc_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await gc_task
            services.store.close()  # type: ignore[attr-defined]

    app = Starlette(routes=ROUTES, lifespan=lifespan)
    app.state.services = services
    app.state.settings_probes = []  # backends add checks run before saving settings
    discovery = Discovery()
    app.state.sso = SsoServices(discovery=discovery, keys=KeySets())
    app.state.settings_probes.append(sso_probe(discovery))
    app.state.graphql = GraphQLExecutor(build(all_resolvers()))
    return app


def app_factory() -> Starlette:
    """For `uvicorn --factory wbserver.app:app_factory`: settings from the environment."""
    return create_app()
