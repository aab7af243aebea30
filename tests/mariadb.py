"""A fresh MariaDB database for one test or module: the server at 127.0.0.1:3306 (root, empty
password) that .ci/run starts. A test that needs it fails, not skips, when it is down."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pymysql

MARIADB = "mysql://root:@127.0.0.1:3306"
ADMIN = dict(host="127.0.0.1", port=3306, user="root", password="")


@contextmanager
def fresh_database(prefix: str = "wbtest_") -> Iterator[str]:
    """Create an empty utf8mb4 database, yield its MYSQL URI, drop it afterwards."""
    name = prefix + secrets.token_hex(6)
    admin = pymysql.connect(**ADMIN)
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")
        yield f"{MARIADB}/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.close()
