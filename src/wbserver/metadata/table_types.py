"""What every table definition shares: the MetaData with its naming convention, the portable
column types (SQLite, MySQL/MariaDB, PostgreSQL) and `Name`. The tables are in tables.py and
artifact_tables.py."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
)
from sqlalchemy.dialects import mysql

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

LongText = Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
LongBlob = LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")
Timestamp = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
Id = BigInteger().with_variant(Integer(), "sqlite")


def Name(length: int) -> String:
    """A name users give (entity, project, run, file, artifact, alias, ...): compared byte-wise
    on MySQL/MariaDB too (utf8mb4_bin, migration 0015), as SQLite does, so `Run` and `run`,
    or two emoji, are two names. The default collation folds case and takes every character
    beyond the BMP for equal."""
    return String(length).with_variant(
        mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb")
