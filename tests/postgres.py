"""A throwaway PostgreSQL server for the tests: started in a temporary directory, reached only
through a Unix socket in that directory, stopped and deleted at the end of the run.

`initdb` refuses to run as root, so as root the directory belongs to the `postgres` user and the
server binaries run as that user (`runuser`); otherwise they run as the current user. Nothing
here depends on pytest, so a browser or stress test can start a server the same way.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

BACKEND_VARIABLE = "TEST_DATABASE"
SUPERUSER = "postgres"
# Durability buys nothing for a database that is deleted a minute later.
SERVER_OPTIONS = (
    "-c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    " -c autovacuum=off"
)


def selected_backend() -> str:
    """`sqlite` (the default) or `postgresql`, from TEST_DATABASE."""
    backend = os.environ.get(BACKEND_VARIABLE, "sqlite").strip().lower() or "sqlite"
    if backend in {"postgres", "postgresql", "pg"}:
        return "postgresql"
    if backend != "sqlite":
        raise RuntimeError(f"{BACKEND_VARIABLE}={backend!r}: use sqlite or postgresql")
    return backend


def find_bindir() -> Path:
    """The newest installed server's bin directory (Debian's /usr/lib/postgresql/N/bin)."""
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    if not found:
        on_path = shutil.which("initdb")
        if on_path:
            return Path(on_path).parent
        raise RuntimeError(
            "No PostgreSQL server found (/usr/lib/postgresql/*/bin/initdb): "
            "run `make postgres` or `apt-get install postgresql`."
        )
    return Path(max(found, key=lambda path: int(Path(path).parent.parent.name))).parent


@dataclass
class Cluster:
    """One running server; `url(name)` is a SQLAlchemy URL for one of its databases."""

    bindir: Path
    directory: Path
    _admin: psycopg.Connection[tuple[object, ...]] | None = field(default=None, repr=False)
    _counter: int = 0

    @property
    def datadir(self) -> Path:
        return self.directory / "data"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@/{database}?host={self.directory}"

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bindir / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SUPERUSER, "--", *command]
        result = subprocess.run(  # noqa: S603
            command, capture_output=True, text=True, check=False, cwd=self.directory
        )
        if result.returncode != 0:
            log = self.directory / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(
                f"{' '.join(command)} failed ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}{tail}"
            )

    def start(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.datadir),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.datadir),
            "-l",
            str(self.directory / "server.log"),
            "-o",
            f"-k {self.directory} {SERVER_OPTIONS}",
            "-w",
            "start",
        )

    def stop(self) -> None:
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        if (self.datadir / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)

    def admin(self) -> psycopg.Connection[tuple[object, ...]]:
        """An autocommit connection to the `postgres` database (CREATE/DROP DATABASE)."""
        if self._admin is None or self._admin.closed:
            self._admin = psycopg.connect(
                host=str(self.directory), user=SUPERUSER, dbname="postgres", autocommit=True
            )
        return self._admin

    def new_name(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}_{self._counter}"

    def create_database(self, name: str, template: str = "template0") -> str:
        """Create `name` as a copy of `template` (an empty database by default); its URL.

        FILE_COPY copies the files (about 25 ms for the demo with fsync off) instead of
        PostgreSQL 15's default of writing every block through the WAL (about 120 ms)."""
        self.admin().execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop `name`, ending any connection still open to it."""
        self.admin().execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _scratch_parent() -> str | None:
    """The shared-memory file system when it is roomy: creating a database copies a few hundred
    small files, ten times faster there than on a virtual machine's disk. Otherwise (a
    container's 64 MB one, or none at all) the usual temporary directory."""
    shm = "/dev/shm"  # noqa: S108
    try:
        stats = os.statvfs(shm)
    except OSError:
        return None
    roomy = stats.f_bavail * stats.f_frsize >= 1 << 30
    return shm if roomy and os.access(shm, os.W_OK | os.X_OK) else None


def start_cluster() -> Cluster:
    """Start a server in a fresh temporary directory; it is stopped at exit at the latest."""
    bindir = find_bindir()
    directory = Path(tempfile.mkdtemp(prefix="pg-test-", dir=_scratch_parent()))
    if os.geteuid() == 0:
        owner = pwd.getpwnam(SUPERUSER)
        os.chown(directory, owner.pw_uid, owner.pw_gid)
    cluster = Cluster(bindir=bindir, directory=directory)
    atexit.register(cluster.stop)
    try:
        cluster.start()
    except BaseException:
        cluster.stop()
        raise
    return cluster
