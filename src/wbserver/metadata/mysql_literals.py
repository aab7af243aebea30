"""mysqlclient: bytes go to the server as hexadecimal literals.

mysqlclient formats every parameter into the statement's text itself (it has no binary
protocol). A bytes value goes through mysql_real_escape_string, which walks it byte by byte
checking the connection's character set: about 11 ns a byte, so a file_stream request's
history blobs (a few hundred KB: chunks, per-key segments, rollups) cost a millisecond or
more of the server's CPU in escaping alone. `X'…'` made by binascii.hexlify costs a fifth of
that, and MySQL/MariaDB read it as the same binary string (PyMySQL already sends bytes so).
"""

from __future__ import annotations

import binascii
from typing import Any

from sqlalchemy import Engine, event


def hex_literal(value: bytes | bytearray) -> bytes:
    """VALUE as a MySQL hexadecimal literal: X'…' (X'' when empty)."""
    return b"X'" + binascii.hexlify(value) + b"'"


def send_bytes_as_hex(engine: Engine) -> None:
    """On an engine of the mysqlclient driver: each new connection quotes bytes as
    `hex_literal` (its `_bytes_literal`, which `literal` calls for bytes and bytearray)."""
    if engine.dialect.driver != "mysqldb":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn._bytes_literal = hex_literal
