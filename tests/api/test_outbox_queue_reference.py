"""Security issue #18, item 10: NOTIFICATIONS_QUEUE's credentials are not written into the
outbox. New rows name the setting; migration 0012 rewrites rows stored before it (SQLite and
MariaDB through the `database` fixture)."""

from __future__ import annotations

from datetime import datetime

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from starlette.testclient import TestClient

from wbserver.app import create_app
from wbserver.config.runtime import SettingsSource
from wbserver.config.settings import load_settings
from wbserver.domain.users import create_api_key, create_user
from wbserver.metadata.engine import MIGRATIONS_DIR, make_engine, upgrade_database
from wbserver.notify.queue import queue_sender
from wbserver.workers.outbox import OutboxWorker

QUEUE = "sqs://AKQUEUEID:queue-secret-42@127.0.0.1:9/run-events"
UPSERT = """mutation { upsertBucket(input: {name: "r1", modelName: "proj", entityName: "alice"})
  { bucket { id } } }"""


async def _no_outbox_loop(*_args, **_kwargs) -> None:
    """These tests deliver by hand."""


def outbox_rows(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT id, channel, target, dedupe_key, payload, last_error FROM outbox "
            "ORDER BY id"))]


def test_a_new_queue_row_names_the_setting_and_delivery_reads_it(tmp_path, database,
                                                                 monkeypatch):
    monkeypatch.setattr("wbserver.app.outbox_loop", _no_outbox_loop)
    app = create_app(SettingsSource(environ={**database, "NOTIFICATIONS_QUEUE": QUEUE},
                                    overrides={"data_dir": str(tmp_path / "data")}))
    svc = app.state.services
    try:
        create_user(svc.store, username="alice", email="alice@example.com")
        key = create_api_key(svc.store, username="alice")
        with TestClient(app) as client:
            made = client.post("/graphql", json={"query": UPSERT}, auth=("api", key))
            assert made.status_code == 200, made.text
        rows = outbox_rows(svc.store.engine)
        assert [(r[1], r[2]) for r in rows] == [("queue", "NOTIFICATIONS_QUEUE")]
        assert not any("queue-secret-42" in str(v) or "AKQUEUEID" in str(v) for v in rows[0])

        published: list[tuple[str, str]] = []

        class Publisher:
            def __init__(self, uri: str) -> None:
                self.uri = uri

            def publish(self, body: str) -> None:
                published.append((self.uri, body))

        worker = OutboxWorker(svc.store, senders={"queue": queue_sender(
            lambda: svc.settings.notifications_queue, Publisher)})
        assert worker.run_once() == 1
        assert [uri for uri, _ in published] == [QUEUE]
        assert '"type": "run_created"' in published[0][1]
    finally:
        svc.store.close()


def test_migration_0012_takes_queue_uris_out_of_stored_rows(tmp_path, database):
    settings = load_settings(database, {"data_dir": str(tmp_path / "data")})
    (tmp_path / "data").mkdir()
    engine = make_engine(settings.database_url)
    try:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        with engine.connect() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0010")
        now = datetime(2026, 12, 1, 12, 0, 0)
        rows = [  # as a40ddd5 wrote them: sent, waiting with an error, failed; and Slack
            ("queue", QUEUE, "queue:a", None),
            ("queue", QUEUE, "queue:b", "cannot reach SQS queue 'run-events' at "
                                        "sqs://AKQUEUEID:queue-secret-42@127.0.0.1:9"),
            ("queue", "pubsub:/proj/topic", "queue:c", "timed out"),
            ("slack", "4", "slack4:a", "Slack answered 500: error")]
        with engine.begin() as conn:
            for channel, target, dedupe, error in rows:
                conn.execute(text(
                    "INSERT INTO outbox (channel, target, dedupe_key, payload, created_at, "
                    "next_attempt_at, attempts, last_error) VALUES (:c, :t, :d, '{}', :n, :n, "
                    "1, :e)"), {"c": channel, "t": target, "d": dedupe, "n": now, "e": error})

        upgrade_database(engine)  # what `wbserver serve` / `db upgrade` runs

        after = outbox_rows(engine)
        assert [(r[1], r[2], r[3]) for r in after] == [
            ("queue", "NOTIFICATIONS_QUEUE", "queue:a"),
            ("queue", "NOTIFICATIONS_QUEUE", "queue:b"),
            ("queue", "NOTIFICATIONS_QUEUE", "queue:c"),
            ("slack", "4", "slack4:a")]
        assert after[1][5] == "cannot reach SQS queue 'run-events' at sqs://***:***@127.0.0.1:9"
        assert after[2][5] == "timed out" and after[3][5] == "Slack answered 500: error"
        dump = repr(after)
        assert "queue-secret-42" not in dump and "AKQUEUEID" not in dump
    finally:
        engine.dispose()
