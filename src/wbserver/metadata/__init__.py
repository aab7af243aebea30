"""The metadata store: SQLAlchemy tables, the store that implements ports.MetadataStore, and
Alembic migrations. Works on SQLite (embedded default) and MySQL/MariaDB."""
