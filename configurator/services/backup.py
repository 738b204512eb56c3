"""Backups of the shop's database and restoring them (`configurator backup` / `restore`).

SQLite: SQLite's online backup API copies the database in one read transaction, so the copy is
consistent while the server keeps selling (in WAL mode readers never block writers); the copy
is checked, written beside its final name and renamed into place, so a backup file is always
whole. Restoring copies it back the same way, under SQLite's write lock, so workers that keep
running see either the old database or the restored one.

PostgreSQL: `pg_dump` in its custom format (one consistent snapshot) and `pg_restore` in one
transaction, using the newest PostgreSQL client programs installed.

After a restore the schema is migrated (a backup of an older version is brought up to date)
and the catalog version is moved past both databases' numbers, so running workers drop what
they cached.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import MetaData, inspect, text
from sqlalchemy.engine import URL, Engine, make_url

from configurator.store.db import BUSY_TIMEOUT_MS, make_engine, migrate


class BackupError(Exception):
    """The backup or restore cannot be done; the message says why (nothing was changed)."""


class HoldsOrders(BackupError):
    """Restoring would replace a database that already holds orders."""

    def __init__(self, database: str, orders: int) -> None:
        super().__init__(
            f"The database {database} already holds {orders} order(s); restoring would "
            "replace them. Nothing changed. Add --force to replace it with the backup."
        )
        self.orders = orders


def _is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory database cannot be backed up or restored.")
    return Path(url.database)


def _connect_sqlite(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return connection


def _count_orders(engine: Engine) -> int:
    """Orders in the database (0 when it has no schema yet)."""
    if not inspect(engine).has_table("customer_order"):
        return 0
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM customer_order")).scalar_one())


def _catalog_version(engine: Engine) -> int:
    if not inspect(engine).has_table("catalog_version"):
        return 0
    with engine.connect() as connection:
        return int(
            connection.execute(text("SELECT max(version) FROM catalog_version")).scalar() or 0
        )


# --- backup -----------------------------------------------------------------------------------


def backup(database_url: str, path: Path) -> int:
    """Write a consistent copy of the database to `path` (replacing a file there only once the
    copy is whole). Returns the number of orders in the copy."""
    url = make_url(database_url)
    path = path.resolve()
    if path.is_dir():
        raise BackupError(f"{path} is a directory; name the backup file.")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    partial.unlink(missing_ok=True)
    # Customers' addresses and the merchants' password hashes: for the owner's eyes only.
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        if _is_sqlite(url):
            _backup_sqlite(_sqlite_path(url), partial)
        else:
            _run_pg(
                "pg_dump", url, "--format=custom", "--no-owner", "--no-acl", f"--file={partial}"
            )
        _fsync(partial)
        partial.replace(path)
        _fsync(path.parent)
    finally:
        partial.unlink(missing_ok=True)
    return _orders_in_backup(url, path)


def _backup_sqlite(source: Path, partial: Path) -> None:
    if not source.exists():
        raise BackupError(f"There is no database at {source}.")
    source_connection = _connect_sqlite(source)
    target = sqlite3.connect(partial, isolation_level=None)
    try:
        # All pages in one step: one read transaction, so the copy is one consistent moment.
        source_connection.backup(target)
        # A single self-contained file (no -wal beside it).
        target.execute("PRAGMA journal_mode=DELETE")
        verdict = target.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            raise BackupError(f"The copy failed its check ({verdict}); nothing was written.")
    finally:
        target.close()
        source_connection.close()


def _orders_in_backup(url: URL, path: Path) -> int:
    if _is_sqlite(url):
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return int(connection.execute("SELECT count(*) FROM customer_order").fetchone()[0])
        except sqlite3.DatabaseError:
            return 0
        finally:
            connection.close()
    return _count_in_pg_dump(path)


def _count_in_pg_dump(path: Path) -> int:
    """Rows of customer_order in a custom-format dump (its COPY data, one row a line)."""
    data = _run_pg(
        "pg_restore", None, "--data-only", "--table=customer_order", "--file=-", str(path)
    )
    rows, inside = 0, False
    for line in data.splitlines():
        if line.startswith("COPY "):
            inside = True
        elif inside and line == "\\.":
            inside = False
        elif inside:
            rows += 1
    return rows


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# --- restore ----------------------------------------------------------------------------------


def restore(database_url: str, path: Path, *, force: bool = False) -> int:
    """Replace the database's content with the backup at `path`, then migrate it and move the
    catalog version on. Refuses (HoldsOrders) when the database holds orders, unless `force`.
    Returns the number of orders after the restore."""
    url = make_url(database_url)
    if not path.is_file():
        raise BackupError(f"There is no backup at {path}.")
    if _is_sqlite(url):
        _check_sqlite_backup(path)
        target = _sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            # The engine opens existing files only (a missing one is a fault while serving);
            # restoring into a new database starts from an empty file.
            _connect_sqlite(target).close()
    else:
        _run_pg("pg_restore", None, "--list", str(path))  # a readable archive, or stop here
    engine = make_engine(database_url)
    try:
        orders = _count_orders(engine)
        if orders and not force:
            raise HoldsOrders(url.render_as_string(hide_password=True), orders)
        version_before = _catalog_version(engine)
        if _is_sqlite(url):
            engine.dispose()
            _restore_sqlite(path, target)
        else:
            _restore_postgresql(engine, url, path)
        migrate(database_url)
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE catalog_version SET version = :v"),
                {"v": max(version_before, _catalog_version(engine)) + 1},
            )
        return _count_orders(engine)
    finally:
        engine.dispose()


def _check_sqlite_backup(path: Path) -> None:
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            verdict = connection.execute("PRAGMA quick_check").fetchone()[0]
            has_schema = connection.execute(
                "SELECT count(*) FROM sqlite_master WHERE name = 'alembic_version'"
            ).fetchone()[0]
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not an SQLite backup ({exc}). Nothing changed.") from None
    if verdict != "ok":
        raise BackupError(f"{path} is damaged ({verdict}). Nothing changed.")
    if not has_schema:
        raise BackupError(f"{path} is not a backup of this shop's database. Nothing changed.")


def _restore_sqlite(path: Path, target: Path) -> None:
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    destination = _connect_sqlite(target)
    try:
        # One step, under the destination's write lock: other connections see the old database
        # or the restored one, never a mix.
        source.backup(destination)
        destination.execute("PRAGMA journal_mode=WAL")
    finally:
        destination.close()
        source.close()


def _restore_postgresql(engine: Engine, url: URL, path: Path) -> None:
    """Drop the tables and replay the dump in one transaction, committed only once pg_restore
    has read the whole archive: if anything fails, the database is left as it was."""
    metadata = MetaData()
    metadata.reflect(engine)
    engine.dispose()
    quote = engine.dialect.identifier_preparer.quote
    drops = "".join(f"DROP TABLE IF EXISTS {quote(name)} CASCADE;\n" for name in metadata.tables)
    with tempfile.TemporaryFile() as dump_errors, tempfile.TemporaryFile() as replay_errors:
        dump = subprocess.Popen(  # noqa: S603
            [pg_program("pg_restore"), "--no-owner", "--no-acl", "--file=-", str(path)],
            env=_libpq_environment(None),
            stdout=subprocess.PIPE,
            stderr=dump_errors,
        )
        replay = subprocess.Popen(  # noqa: S603
            [pg_program("psql"), "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--file=-"],
            env=_libpq_environment(url),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=replay_errors,
        )
        assert dump.stdout is not None and replay.stdin is not None
        try:
            replay.stdin.write(f"BEGIN;\n{drops}".encode())
            shutil.copyfileobj(dump.stdout, replay.stdin)
            if dump.wait() == 0:
                replay.stdin.write(b"\nCOMMIT;\n")
            replay.stdin.close()  # without COMMIT the transaction rolls back
        except BrokenPipeError:
            pass  # psql stopped at an error (ON_ERROR_STOP): nothing was committed
        dump.stdout.close()
        dump_failed, replay_failed = dump.wait() != 0, replay.wait() != 0
        if dump_failed or replay_failed:
            program, errors = (
                ("psql", replay_errors) if replay_failed else ("pg_restore", dump_errors)
            )
            errors.seek(0)
            message = errors.read().decode(errors="replace").strip()
            raise BackupError(f"{program} failed, nothing changed: {message}")


# --- PostgreSQL client programs ---------------------------------------------------------------


def pg_program(name: str) -> str:
    """The newest installed PostgreSQL client program `name` (Debian keeps them in
    /usr/lib/postgresql/N/bin; pg_dump must not be older than the server), else one on PATH."""
    found = glob.glob(f"/usr/lib/postgresql/*/bin/{name}")
    if found:
        return max(found, key=lambda p: int(Path(p).parent.parent.name))
    on_path = shutil.which(name)
    if on_path:
        return on_path
    raise BackupError(f"{name} is not installed (apt-get install postgresql-client).")


def _libpq_environment(url: URL | None) -> dict[str, str]:
    """Connection settings for the client programs through libpq's environment variables, so
    that the password never shows on a command line."""
    env = dict(os.environ)
    if url is None:
        return env
    values = {
        "PGHOST": url.host,
        "PGPORT": str(url.port) if url.port else None,
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database,
    }
    for key, variable in (("host", "PGHOST"), ("port", "PGPORT"), ("sslmode", "PGSSLMODE")):
        value = url.query.get(key)
        if value:
            values[variable] = value if isinstance(value, str) else value[0]
    env.update({k: str(v) for k, v in values.items() if v})
    return env


def _run_pg(program: str, url: URL | None, *args: str) -> str:
    result = subprocess.run(  # noqa: S603
        [pg_program(program), *args],
        env=_libpq_environment(url),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"{program} failed: {result.stderr.strip() or result.returncode}")
    return result.stdout
