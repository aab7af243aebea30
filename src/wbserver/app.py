"""The composition root: the only place that builds backends and wires them together."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import secrets
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.middleware import Middleware

from wbserver.api.body_limits import BodyLimits
from wbserver.api.events import emitter
from wbserver.api.graphql.executor import GraphQLExecutor
from wbserver.api.graphql.resolvers import all_resolvers
from wbserver.api.graphql.schema import build
from wbserver.api.metrics import Gauges, Metrics, RequestMetrics
from wbserver.api.rate_limits import RateLimits
from wbserver.api.routes import ROUTES
from wbserver.api.security_headers import SecurityHeaders
from wbserver.backends import PUBLISHERS, QUEUES, STORES, BackendEnv, shown_uri
from wbserver.config import Settings
from wbserver.config.admin import Probe
from wbserver.config.runtime import SettingsSource
from wbserver.domain.accounts import needs_first_admin, setup_token
from wbserver.domain.clock import utcnow
from wbserver.domain.files import stored_in
from wbserver.domain.install_marker import claim_store
from wbserver.domain.notifications import RUN_CRASHED
from wbserver.errors import ConfigError
from wbserver.http.context import Services
from wbserver.http.store_threads import store_threads_for
from wbserver.metadata.engine import check_reachable, make_engine, upgrade_database
from wbserver.metadata.store import SqlStore
from wbserver.notify.queue import queue_sender
from wbserver.notify.slack import slack_sender
from wbserver.ports import BlobStore, EventQueue
from wbserver.secrets_box import SecretBox
from wbserver.sso.provider import Discovery, probe as sso_probe
from wbserver.sso.tokens import KeySets
from wbserver.startup_notice import endpoint_of, slow_notice
from wbserver.storage.local import LocalBlobStore
from wbserver.storage.router import StoreConfig, StoreRouter
from wbserver.storage.signing import UrlSigner
from wbserver.web.pages_sso import SsoServices
from wbserver.workers.artifact_gc import artifact_gc
from wbserver.workers.bucket_events import bucket_events, reconciler, record_reported_uploads
from wbserver.workers.crash_detector import crash_detector
from wbserver.workers.leases import Leases
from wbserver.workers.outbox import OutboxWorker, outbox_loop
from wbserver.workers.sweep_controller import sweep_controller

log = logging.getLogger("wbserver.setup")


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
    name = settings.server_database
    if not name:
        return settings.database_url
    parts = urlsplit(settings.mysql or settings.postgres)
    host = parts.hostname or ""
    port = parts.port or (3306 if name == "MYSQL" else 5432)
    return f"{name}={parts.scheme}://{parts.username or ''}@{host}:{port}{parts.path}"


def build_services(source: SettingsSource, *, bind_host: str | None = "127.0.0.1",
                   migrate: bool = True) -> Services:
    """BIND_HOST: the address the server listens on (None: unknown); beyond loopback the
    first admin needs the setup token."""
    startup = source.startup
    secret = server_secret(startup)
    box = SecretBox(secret)
    store = open_store(startup, migrate=migrate)
    source.attach(
        load_saved=lambda: {k: box.decrypt(v) for k, v in store.load_saved_settings().items()},
        revision=store.settings_revision)
    signer = UrlSigner(secret)
    blobs = StoreRouter(
        metadata=store, signer=signer,
        config=lambda: (store_config(source.current()), source.current().storage_proxy),
        open_store=lambda config: open_blob_store(config, startup.files_dir, signer),
        locate=lambda key: stored_in(store, key), encrypt=box.encrypt, decrypt=box.decrypt)
    queue = QueueHolder(source.current)
    return Services(settings_source=source, store=store, blobs=blobs, signer=signer, secrets=box,
                    report_uploads=lambda keys: record_reported_uploads(
                        store, blobs, queue.report, keys), queue=queue,
                    store_threads=store_threads_for(store.engine.dialect.name),
                    setup_token=None if is_loopback(bind_host) else setup_token(secret))


def is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def announce_setup(services: Services) -> None:
    """Print the setup link while no admin ever existed and /setup needs the token."""
    if services.setup_token is None or not needs_first_admin(services.store):
        return
    base = (services.settings.host or "").rstrip("/")
    log.warning("no admin account exists yet; create it at %s/setup?token=%s (this link works "
                "until the first admin exists), or with `wbserver users create NAME --email E "
                "--admin`", base, services.setup_token)


# storage (BUCKET) and its event queue (BUCKET_QUEUE) -------------------------------------

def store_config(settings: Settings) -> StoreConfig:
    return StoreConfig(uri=settings.bucket, aws_region=settings.aws_region,
                       azure_storage_key=settings.azure_storage_key)


def open_blob_store(config: StoreConfig, files_dir: str, signer: UrlSigner) -> BlobStore:
    """BUCKET empty: the data folder's files/; otherwise the backend its scheme names."""
    if not config.uri:
        return LocalBlobStore(files_dir, signer)
    env = BackendEnv(aws_region=config.aws_region, azure_storage_key=config.azure_storage_key,
                     local_root=files_dir, signer=signer)
    return STORES.open(config.uri, env)  # type: ignore[no-any-return]


def open_publisher(settings: Settings, uri: str) -> Any:
    """The NOTIFICATIONS_QUEUE publisher for `uri` (the value in force when an item is sent)."""
    env = BackendEnv(aws_region=settings.aws_region,
                     azure_storage_key=settings.azure_storage_key)
    return PUBLISHERS.open(uri, env)


def notifications_probe(current: Callable[[], Settings]) -> Probe:
    """Before /system-admin saves a changed NOTIFICATIONS_QUEUE: the queue must answer (an
    unchanged one is not reached, so its outage never blocks saving other settings)."""
    def probe(candidate: Settings) -> None:
        fields = ("notifications_queue", "aws_region", "azure_storage_key")
        if candidate.notifications_queue and any(
                getattr(candidate, f) != getattr(current(), f) for f in fields):
            open_publisher(candidate, candidate.notifications_queue).check()
    return probe


def open_queue(settings: Settings) -> EventQueue:
    env = BackendEnv(aws_region=settings.aws_region,
                     azure_storage_key=settings.azure_storage_key)
    return QUEUES.open(settings.bucket_queue or "internal://", env)  # type: ignore[no-any-return]


class QueueHolder:
    """The queue BUCKET_QUEUE names now (reopened when a saved change alters it)."""

    def __init__(self, settings: Callable[[], Settings]) -> None:
        self._settings = settings
        self._key: tuple[str, str, str] | None = None
        self._queue: EventQueue | None = None

    def __call__(self) -> EventQueue:
        s = self._settings()
        key = (s.bucket_queue, s.aws_region, s.azure_storage_key)
        if self._queue is None or key != self._key:
            queue = open_queue(s)
            if self._queue is not None:
                self._queue.close()
            self._queue, self._key = queue, key
        return self._queue

    def close(self) -> None:
        if self._queue is not None:
            self._queue.close()

    def report(self, keys: list[str]) -> None:
        notify = getattr(self(), "notify", None)  # only internal:// looks for hinted keys
        if notify is not None and keys:
            notify(keys)


def check_storage(settings: Settings, files_dir: str, signer: UrlSigner, *,
                  reach_queue: bool = True, install_id: str | None = None) -> None:
    """Open and reach BUCKET (and BUCKET_QUEUE), or ConfigError naming the setting; with
    `install_id`, claim the bucket for this install (domain/install_marker.py) or refuse one
    another install owns. At start the queue is only parsed: the consumer rides out its
    outages. An endpoint slow to answer is named within SLOW_NOTICE seconds."""
    store = open_blob_store(store_config(settings), files_dir, signer)
    shown = f"BUCKET={shown_uri(settings.bucket)!r}"
    try:
        with slow_notice(f"reaching {shown}{endpoint_of(store)}"):
            getattr(store, "check", lambda: None)()
            if install_id is not None and settings.bucket:
                claim_store(store, install_id=install_id, shown=shown)
    except ConfigError as exc:
        if "another wbserver install" in exc.message:
            raise
        raise ConfigError(f"{shown}: {exc.message}; for example "
                          f"BUCKET={STORES.example}") from exc
    queue = open_queue(settings)
    try:
        if reach_queue:
            queue.check()
    except ConfigError as exc:
        raise ConfigError(f"BUCKET_QUEUE={shown_uri(settings.bucket_queue)!r}: "
                          f"{exc.message}") from exc
    finally:
        queue.close()


def storage_probe(services: Services, files_dir: str) -> Probe:
    """Before /system-admin saves storage settings: the new bucket and queue must answer, and
    the bucket must not belong to another install."""
    def probe(candidate: Settings) -> None:
        current = services.settings
        fields = ("bucket", "bucket_queue", "aws_region", "azure_storage_key")
        if any(getattr(candidate, f) != getattr(current, f) for f in fields):
            check_storage(candidate, files_dir, services.signer,
                          install_id=services.store.install_id())
    return probe


def worker_app(data_dir: str | None, bind_host: str | None) -> Starlette:
    """The app of one process of `wbserver serve --workers N` (http_workers.py): the parent
    upgraded the database, checked and claimed the storage and printed the setup link."""
    from wbserver.cli import tune_gc

    app = create_app(SettingsSource(overrides={"data_dir": data_dir}), bind_host=bind_host,
                     worker=True)
    tune_gc()
    return app


def create_app(source: SettingsSource | None = None, *,
               bind_host: str | None = "127.0.0.1", worker: bool = False) -> Starlette:
    source = source or SettingsSource()
    services = build_services(source, bind_host=bind_host, migrate=not worker)
    if not worker:
        try:
            check_storage(services.settings, source.startup.files_dir, services.signer,
                          reach_queue=False, install_id=services.store.install_id())
        except ConfigError:
            services.store.close()  # type: ignore[attr-defined]
            raise
        announce_setup(services)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        leases = Leases(services.store, seconds=source.startup.lease_seconds)
        _app.state.leases = leases
        lease_task = asyncio.create_task(leases.keep())
        task = asyncio.create_task(crash_detector(
            services.store, services.blobs, lambda: services.settings,
            on_crash=lambda run: emitter(services, services.settings.host)(RUN_CRASHED, run),
            gate=leases))
        outbox_task = asyncio.create_task(outbox_loop(OutboxWorker(services.store, senders={
            "slack": slack_sender(services.store, services.secrets.decrypt),
            "queue": queue_sender(lambda: services.settings.notifications_queue,
                                  lambda uri: open_publisher(services.settings, uri))}),
            services.outbox_wakeup))
        gc_task = asyncio.create_task(artifact_gc(
            services.store, services.blobs, lambda: services.settings, gate=leases))
        sweep_task = asyncio.create_task(sweep_controller(
            services.store, lambda: services.settings, gate=leases))
        assert services.queue is not None, "build_services sets the BUCKET_QUEUE holder"
        storage_tasks = [
            asyncio.create_task(bucket_events(services.store, services.blobs, services.queue,
                                              gate=leases)),
            asyncio.create_task(reconciler(services.store, services.blobs,
                                           lambda: services.settings, gate=leases))]
        try:
            yield
        finally:
            getattr(services.queue, "close", lambda: None)()  # ends the consumer's wait
            for worker_task in (*storage_tasks, task, outbox_task, lease_task, sweep_task,
                                gc_task):
                await _stopped(worker_task)
            leases.release()  # the other processes take the jobs at their next renewal
            services.store.close()  # type: ignore[attr-defined]

    async def _stopped(worker_task: asyncio.Task[None]) -> None:
        """Cancel until done: a cancellation that lands as an awaited wait ends can be lost,
        and one lost cancel must not hang the shutdown."""
        while not worker_task.done():
            worker_task.cancel()
            await asyncio.wait({worker_task}, timeout=1.0)
        if not worker_task.cancelled() and worker_task.exception() is not None:
            log.error("a background task had stopped with an error: %r",
                      worker_task.exception())

    metrics = process_metrics(services)
    # Outermost first: the metrics see every answer; every answer, a 413 of BodyLimits
    # included, gets the security headers.
    app = Starlette(routes=ROUTES, lifespan=lifespan, middleware=[
        Middleware(RequestMetrics, metrics=metrics),
        Middleware(SecurityHeaders),
        Middleware(BodyLimits, settings=lambda: services.settings)])
    app.state.services = services
    app.state.rate_limits = RateLimits()
    app.state.metrics = metrics
    app.state.settings_probes = []  # backends add checks run before saving settings
    app.state.settings_probes.append(storage_probe(services, source.startup.files_dir))
    discovery = Discovery()
    app.state.sso = SsoServices(discovery=discovery, keys=KeySets())
    app.state.settings_probes.append(sso_probe(discovery, lambda: services.settings))
    app.state.settings_probes.append(notifications_probe(lambda: services.settings))
    app.state.graphql = GraphQLExecutor(lambda: build(all_resolvers()))  # built on first use
    return app


def process_metrics(services: Services) -> Metrics:
    """This process's /metrics, its gauges read from the store when scraped."""
    store: Any = services.store
    return Metrics(Gauges(
        outbox_depth=store.outbox_depth,
        upload_backlog=lambda: store.upload_backlog(now=utcnow()),
        pool_in_use=store.connections_in_use))


def app_factory() -> Starlette:
    """For `uvicorn --factory wbserver.app:app_factory`: settings from the environment.
    The address uvicorn listens on is not known here, so /setup asks for the setup token."""
    return create_app(bind_host=None)
