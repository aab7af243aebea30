"""The database settings' URLs: MYSQL and POSTGRES as W&B Local operators write them, turned
into SQLAlchemy URLs with the driver to use."""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

# the URL schemes MYSQL may take, and the SQLAlchemy driver each asks for (None: the best
# installed one, see mysql_driver)
_MYSQL_SCHEMES: dict[str, str | None] = {
    "mysql": None, "mariadb": None,
    "mysql+mysqldb": "mysqldb", "mariadb+mysqldb": "mysqldb",
    "mysql+pymysql": "pymysql", "mariadb+pymysql": "pymysql",
}
_DRIVER_MODULES = {"mysqldb": "MySQLdb", "pymysql": "pymysql"}


@functools.cache
def mysql_driver() -> str:
    """The MySQL/MariaDB driver to use: mysqlclient (C, `pip install wbserver[mysql]`, needs
    the MariaDB client library) when it imports, else PyMySQL (pure Python, always
    installed). The C driver's own CPU per statement is about a third of PyMySQL's."""
    return "mysqldb" if _importable("MySQLdb") else "pymysql"


def _importable(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:  # not installed, or its shared library is missing
        return False
    return True


def mysql_url(value: str) -> str:
    """W&B Local's MYSQL=mysql://user:pass@host:port/db as a SQLAlchemy URL: mysqlclient when
    installed, else PyMySQL; `mysql+pymysql://` or `mysql+mysqldb://` pins one."""
    parts = urlsplit(value)
    if parts.scheme not in _MYSQL_SCHEMES:
        raise ValueError(f"MYSQL must look like mysql://user:password@host:3306/database, "
                          f"got scheme {parts.scheme!r}")
    if not parts.path.strip("/"):
        raise ValueError("MYSQL names no database: mysql://user:password@host:3306/DATABASE")
    driver = _MYSQL_SCHEMES[parts.scheme] or mysql_driver()
    if driver == "mysqldb" and not _importable(_DRIVER_MODULES[driver]):
        raise ValueError("MYSQL asks for the mysqlclient driver (mysql+mysqldb://), which is "
                         "not installed or cannot load its library: pip install "
                         "'wbserver[mysql]' (it needs the libmariadb-dev and pkg-config "
                         "packages to build), or use mysql:// to take PyMySQL")
    query = parts.query or "charset=utf8mb4"
    if "charset=" not in query:
        query += "&charset=utf8mb4"
    return f"mysql+{driver}://{parts.netloc}{parts.path}?{query}"


POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


def postgres_url(value: str) -> str:
    """POSTGRES=postgresql://user:pass@host:port/db as a SQLAlchemy URL (psycopg 3); the
    query (e.g. sslmode=require) is passed on to libpq."""
    parts = urlsplit(value)
    if parts.scheme not in POSTGRES_SCHEMES:
        raise ValueError(f"POSTGRES must look like postgresql://user:password@host:5432/"
                         f"database, got scheme {parts.scheme!r}")
    if not parts.path.strip("/"):
        raise ValueError("POSTGRES names no database: "
                         "postgresql://user:password@host:5432/DATABASE")
    query = f"?{parts.query}" if parts.query else ""
    return f"postgresql+psycopg://{parts.netloc}{parts.path}{query}"
