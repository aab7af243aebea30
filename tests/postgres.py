"""A fresh PostgreSQL database for one test or module: the server at 127.0.0.1:5432 (user
postgres, trust authentication) that .ci/run starts. A test that needs it fails, not skips,
when it is down."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

POSTGRES = "postgresql://postgres@127.0.0.1:5432"
ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


@contextmanager
def fresh_database(prefix: str = "wbtest_") -> Iterator[str]:
    """Create an empty UTF-8 database, yield its POSTGRES URI, drop it afterwards (with
    whatever connections a test left open to it). Its collation is ICU's en-US, as a
    database made on a typical host sorts (by language rules: `a A _ b B`), not byte-wise:
    the server must not rely on the database's collation where it sorts as Python does."""
    name = prefix + secrets.token_hex(6)
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0 "
                      f"LOCALE_PROVIDER icu ICU_LOCALE 'en-US'")
        try:
            yield f"{POSTGRES}/{name}"
        finally:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# The API tests run on SQLite and MariaDB (tests/api/conftest.py); those that test what
# differs between database servers (the schema and migrations, backup and restore, leases,
# sweeps, concurrent writes) run on PostgreSQL too, with this mark.
def on_every_database() -> pytest.MarkDecorator:
    return pytest.mark.parametrize("database", ["sqlite", "mariadb", "postgres"],
                                   indirect=True)
