"""A process running one job under a worker lease (tests/unit/test_leases.py): every pass
writes a row (owner, start, end) to `lease_probe`, timed by the database's clock. Its
argument is a SQLAlchemy URL (MariaDB or PostgreSQL)."""

from __future__ import annotations

import asyncio
import sys
import time

from sqlalchemy import text

from wbserver.metadata.engine import make_engine
from wbserver.metadata.store import SqlStore
from wbserver.workers.leases import Leases

PASS_SECONDS = 0.3


def now_sql(dialect: str) -> str:
    """The database's clock, as a naive UTC time with microseconds."""
    return "LOCALTIMESTAMP" if dialect == "postgresql" else "NOW(6)"


def one_pass(store: SqlStore, owner: str) -> None:
    now = now_sql(store.engine.dialect.name)
    with store.engine.begin() as conn:
        conn.execute(text(f"INSERT INTO lease_probe (owner, started_at) VALUES (:o, {now})"),
                     {"o": owner})
        row_id = conn.execute(text("SELECT MAX(id) FROM lease_probe WHERE owner = :o"),
                              {"o": owner}).scalar_one()
    time.sleep(PASS_SECONDS)
    with store.engine.begin() as conn:
        conn.execute(text(f"UPDATE lease_probe SET ended_at = {now} WHERE id = :i"),
                     {"i": row_id})


async def main(uri: str, owner: str, seconds: float) -> None:
    store = SqlStore(make_engine(uri))
    leases = Leases(store, seconds=seconds, jobs=("probe",), owner=owner)
    keeper = asyncio.create_task(leases.keep())
    while True:
        await leases.wait_for("probe")
        await asyncio.to_thread(one_pass, store, owner)
        await asyncio.sleep(0.05)
    await keeper  # pragma: no cover


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
