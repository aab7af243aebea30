"""mysqlclient sends bytes as hexadecimal literals (metadata/mysql_literals.py): every byte
value, the empty string and large values come back from MariaDB as they went in, through
one-row and many-row statements, and in a WHERE clause."""

from __future__ import annotations

import os

from sqlalchemy import Column, Integer, LargeBinary, MetaData, Table, select

from tests.mariadb import fresh_database
from wbserver.config.settings import mysql_url
from wbserver.metadata.engine import make_engine, reading_engine
from wbserver.metadata.mysql_literals import hex_literal

BLOBS = [b"", bytes(range(256)), b"'\\\x00\"%s%%" * 3, os.urandom(300_000)]


def test_hex_literal():
    assert hex_literal(b"") == b"X''"
    assert hex_literal(bytearray(b"\x00'\xff")) == b"X'0027ff'"


def test_bytes_round_trip_through_mariadb():
    metadata = MetaData()
    blobs = Table("blobs", metadata, Column("id", Integer, primary_key=True),
                  Column("data", LargeBinary(2**24)))
    with fresh_database() as uri:
        engine = make_engine(mysql_url(uri))
        reader = reading_engine(engine)
        try:
            assert engine.dialect.driver == "mysqldb"  # the test extra installs mysqlclient
            metadata.create_all(engine)
            with engine.begin() as conn:
                assert conn.connection.driver_connection._bytes_literal is hex_literal
                conn.execute(blobs.insert(), [{"id": i, "data": b} for i, b in enumerate(BLOBS, 1)])
                conn.execute(blobs.insert().values(id=99, data=BLOBS[1]))
            with reader.connect() as conn:
                got = dict(conn.execute(select(blobs.c.id, blobs.c.data)).tuples().all())
                found = conn.execute(select(blobs.c.id).where(blobs.c.data == BLOBS[2]))
                assert found.scalar_one() == 3
            assert got == {**dict(enumerate(BLOBS, 1)), 99: BLOBS[1]}
        finally:
            reader.dispose()
            engine.dispose()
