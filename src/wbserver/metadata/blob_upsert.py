"""Recording stored artifact content in one statement: insert its blob row, or count one more
upload of it (INSERT ... ON CONFLICT / ON DUPLICATE KEY UPDATE), instead of an UPDATE, a
savepoint and an INSERT. Every upload of artifact content records one, so the statement is
built once per database kind."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import BindParameter, bindparam
from sqlalchemy.dialects import mysql, postgresql, sqlite

from wbserver.metadata import tables as t

_B = t.artifact_blobs.c


@cache
def upsert_blob(dialect: str, *, with_store: bool) -> Any:
    """The statement for DIALECT (parameters blob_md5, blob_size, blob_seen, blob_puts, and
    blob_store): a new row, or referenced_at and upload_count (and, `with_store`, store)
    updated on the existing one; created_at and size stay those of the first upload."""
    seen: BindParameter[Any] = bindparam("blob_seen")
    values: dict[str, Any] = {
        "md5": bindparam("blob_md5"), "size": bindparam("blob_size"), "created_at": seen,
        "referenced_at": seen, "upload_count": bindparam("blob_puts"),
        "store": bindparam("blob_store")}
    if dialect in ("mysql", "mariadb"):
        my = mysql.insert(t.artifact_blobs).values(**values)
        changes: dict[str, Any] = {"referenced_at": my.inserted.referenced_at,
                                   "upload_count": _B.upload_count + my.inserted.upload_count}
        if with_store:
            changes["store"] = my.inserted.store
        return my.on_duplicate_key_update(**changes)
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(t.artifact_blobs).values(**values)
    changes = {"referenced_at": stmt.excluded.referenced_at,
               "upload_count": _B.upload_count + stmt.excluded.upload_count}
    if with_store:
        changes["store"] = stmt.excluded.store
    return stmt.on_conflict_do_update(index_elements=[_B.md5], set_=changes)
