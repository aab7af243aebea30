"""names compare byte-wise on MySQL/MariaDB

Revision ID: 0015
Revises: 0014

Entity, user, project, run, file, artifact type/collection/alias and artifact file names (and
the run's group, job type and sweep, artifact digests and client ids, single sign-on
subjects) were created with the database's default collation, which on MySQL/MariaDB folds
case and takes every character beyond the BMP (emoji) for equal: runs `Run` and `run`, or
two emoji, were one run, and a second file name differing only in case failed with a 500.
They become utf8mb4_bin, as history keys did in 0010; SQLite always compared them
byte-wise and nothing changes there. One ALTER TABLE per table (each rebuilds the table
once). The unique constraints stay valid: names distinct under the old collation are
distinct byte-wise. Downgrading fails if names that differ only in case were stored since.
"""
from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# table -> (column, length, nullable)
COLUMNS: dict[str, list[tuple[str, int, bool]]] = {
    "users": [("username", 64, False)],
    "entities": [("name", 64, False)],
    "user_identities": [("issuer", 255, False), ("subject", 255, False)],
    "projects": [("name", 128, False)],
    "runs": [("name", 128, False), ("group_name", 255, True), ("job_type", 128, True),
             ("sweep_name", 128, True)],
    "run_files": [("name", 512, False)],
    "artifact_types": [("name", 128, False)],
    "artifact_sequences": [("name", 128, False)],
    "artifacts": [("digest", 128, False), ("client_id", 128, True),
                  ("sequence_client_id", 128, True)],
    "artifact_aliases": [("alias", 128, False)],
    "artifact_files": [("name", 512, False)],
}


def _is_mysql() -> bool:
    return op.get_bind().dialect.name in ("mysql", "mariadb")


def _alter(collation: str) -> None:
    for table, columns in COLUMNS.items():
        changes = ", ".join(
            f"MODIFY `{name}` VARCHAR({length}) CHARACTER SET utf8mb4 COLLATE {collation} "
            f"{'NULL' if nullable else 'NOT NULL'}" for name, length, nullable in columns)
        op.execute(f"ALTER TABLE `{table}` {changes}")


def upgrade() -> None:
    if _is_mysql():
        _alter("utf8mb4_bin")


def downgrade() -> None:
    if _is_mysql():
        _alter("utf8mb4_general_ci")
