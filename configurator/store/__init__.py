"""Storage: the tables (SQLModel), the engine and its SQLite settings, the per-worker caches
checked against the catalog version, and the Alembic migrations."""
