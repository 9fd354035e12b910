"""A project-local PostgreSQL + PostGIS cluster under $SHUXIN_HOME: demos, tests, development.

The cluster listens on a Unix socket only (no TCP port to collide with), trusts local connections
as the `postgres` role, and is run by the `postgres` OS user when Shuxin runs as root, because
`initdb` refuses root.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SOCKET_PORT = 5432
SUPERUSER = "postgres"
_SOCKET_PATH_MAX = 100  # Unix socket paths are limited to 107 bytes; keep a margin.

_CONF = """
# --- Shuxin embedded cluster ---
listen_addresses = ''
unix_socket_directories = '{socket_dir}'
port = {port}
max_connections = 200
shared_buffers = 256MB
work_mem = 32MB
maintenance_work_mem = 256MB
max_wal_size = 2GB
timezone = 'Asia/Shanghai'
log_timezone = 'Asia/Shanghai'
logging_collector = off
"""


class EmbeddedPostgresError(RuntimeError):
    """The embedded cluster cannot be set up or started; the message says what to do."""


@dataclass(frozen=True)
class ClusterStatus:
    running: bool
    data_dir: Path
    socket_dir: Path
    log_file: Path
    initialised: bool


def find_bindir() -> Path:
    """The directory of PostgreSQL's server programs (initdb, pg_ctl), newest version first."""
    override = os.environ.get("SHUXIN_PG_BINDIR")
    candidates = [Path(override)] if override else []
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for candidate in candidates:
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise EmbeddedPostgresError(
        "PostgreSQL's server programs (initdb, pg_ctl) were not found. "
        "Install them with: apt-get install postgresql-15-postgis-3 "
        "(or set SHUXIN_PG_BINDIR to the directory that holds initdb)."
    )


def _postgis_available(bindir: Path) -> bool:
    roots = [Path("/usr/share/postgresql") / bindir.parent.name]
    if (bindir / "pg_config").exists():
        sharedir = subprocess.run(
            [str(bindir / "pg_config"), "--sharedir"], capture_output=True, text=True
        ).stdout.strip()
        roots.insert(0, Path(sharedir))
    return any((root / "extension" / "postgis.control").exists() for root in roots)


def _running_as_root() -> bool:
    return os.geteuid() == 0


def _reachable_by(user: str, path: Path) -> bool:
    """True if OS user `user` can enter `path` (and so every directory above it)."""
    if not _running_as_root():
        return os.access(path, os.X_OK)
    result = subprocess.run(
        ["runuser", "-u", user, "--", "test", "-x", str(path)], capture_output=True
    )
    return result.returncode == 0


class EmbeddedPostgres:
    """The cluster of one Shuxin home: `start`, `stop`, `status`, `url`."""

    def __init__(self, home: Path, database: str = "shuxin") -> None:
        self.home = home.expanduser().resolve()
        self.database = database
        self.base = self._choose_base()
        self.data_dir = self.base / "data"
        self.socket_dir = self.base / "run"
        self.log_file = self.base / "postgresql.log"

    # -- where the cluster lives -------------------------------------------------------------

    def _choose_base(self) -> Path:
        """$SHUXIN_HOME/pg, or a short private path when the postgres user cannot reach it.

        The fallback is recorded in $SHUXIN_HOME/pg-location so every later command finds it.
        """
        pointer = self.home / "pg-location"
        if pointer.exists():
            return Path(pointer.read_text().strip())
        preferred = self.home / "pg"
        socket_len = len(str(preferred / "run" / f".s.PGSQL.{SOCKET_PORT}"))
        if socket_len <= _SOCKET_PATH_MAX and (
            not _running_as_root() or self._postgres_can_reach(self.home)
        ):
            return preferred
        digest = hashlib.sha1(str(self.home).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"shuxin-pg-{digest}"

    def _postgres_can_reach(self, path: Path) -> bool:
        path.mkdir(parents=True, exist_ok=True)
        return _reachable_by(SUPERUSER, path)

    # -- commands -----------------------------------------------------------------------------

    def status(self) -> ClusterStatus:
        initialised = (self.data_dir / "PG_VERSION").exists()
        running = False
        if initialised:
            result = self._run_pg(["pg_ctl", "status", "-D", str(self.data_dir)], check=False)
            running = result.returncode == 0
        return ClusterStatus(running, self.data_dir, self.socket_dir, self.log_file, initialised)

    def start(self, *, log=print) -> None:
        """Initialise the cluster on first use, start it, and make sure the database exists."""
        bindir = find_bindir()
        if not _postgis_available(bindir):
            raise EmbeddedPostgresError(
                f"PostGIS is not installed for PostgreSQL {bindir.parent.name}. "
                f"Install it with: apt-get install postgresql-{bindir.parent.name}-postgis-3"
            )
        if _running_as_root():
            try:
                pwd.getpwnam(SUPERUSER)
            except KeyError:
                raise EmbeddedPostgresError(
                    "Running as root, but there is no 'postgres' user to run the cluster as "
                    "(initdb refuses root). Install the postgresql package, which creates it."
                ) from None
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb(log=log)
        if self.status().running:
            self._ensure_database()
            return
        self._prepare_dirs()
        log(f"Starting PostgreSQL (data in {self.data_dir}) ...")
        result = self._run_pg(
            [
                "pg_ctl",
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
            ],
            check=False,
        )
        if result.returncode != 0:
            tail = self._log_tail()
            raise EmbeddedPostgresError(
                f"PostgreSQL did not start (pg_ctl exit {result.returncode}). "
                f"Last lines of {self.log_file}:\n{tail}"
            )
        self._ensure_database()

    def stop(self) -> bool:
        """Stop the cluster; False if it was not running."""
        if not self.status().running:
            return False
        self._run_pg(["pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.data_dir)])
        return True

    def url(self, database: str | None = None, driver: str = "postgresql+psycopg2") -> str:
        """SQLAlchemy URL of a database in this cluster, over the Unix socket."""
        name = database or self.database
        return f"{driver}://{SUPERUSER}@/{name}?host={self.socket_dir}&port={SOCKET_PORT}"

    def libpq_url(self, database: str | None = None) -> str:
        """A URL psql understands."""
        return self.url(database, driver="postgresql")

    # -- internals ----------------------------------------------------------------------------

    def _prepare_dirs(self) -> None:
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        self.log_file.touch(exist_ok=True)
        if _running_as_root():
            shutil.chown(self.base, SUPERUSER, SUPERUSER)
            shutil.chown(self.socket_dir, SUPERUSER, SUPERUSER)
            shutil.chown(self.log_file, SUPERUSER, SUPERUSER)

    def _initdb(self, *, log) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        if self.base != self.home / "pg":
            self.home.mkdir(parents=True, exist_ok=True)
            (self.home / "pg-location").write_text(str(self.base) + "\n")
            log(f"The postgres user cannot use {self.home}; the cluster lives in {self.base}.")
        self._prepare_dirs()
        self.data_dir.mkdir(mode=0o700, exist_ok=True)
        if _running_as_root():
            shutil.chown(self.data_dir, SUPERUSER, SUPERUSER)
        log(f"Creating a PostgreSQL cluster in {self.data_dir} (first start) ...")
        self._run_pg(
            [
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ]
        )
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write(_CONF.format(socket_dir=self.socket_dir, port=SOCKET_PORT))

    def _ensure_database(self) -> None:
        exists = self._psql(
            "postgres", f"SELECT 1 FROM pg_database WHERE datname = '{self.database}'"
        )
        if exists.strip() != "1":
            self._psql("postgres", f'CREATE DATABASE "{self.database}"')
        self._psql(self.database, "CREATE EXTENSION IF NOT EXISTS postgis")

    def create_database(self, name: str, *, drop_first: bool = False) -> None:
        """Create (or re-create) another database in this cluster, with PostGIS."""
        if drop_first:
            self._psql("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = self._psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{name}'")
        if exists.strip() != "1":
            self._psql("postgres", f'CREATE DATABASE "{name}"')
        self._psql(name, "CREATE EXTENSION IF NOT EXISTS postgis")

    def drop_database(self, name: str) -> None:
        """Drop a database of this cluster (its connections are closed first)."""
        self._psql("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _psql(self, database: str, sql: str) -> str:
        psql = find_bindir() / "psql"
        command = [
            str(psql if psql.exists() else "psql"),
            "-X",
            "-q",
            "-t",
            "-A",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            str(self.socket_dir),
            "-p",
            str(SOCKET_PORT),
            "-U",
            SUPERUSER,
            "-d",
            database,
            "-c",
            sql,
        ]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise EmbeddedPostgresError(f"psql failed on {sql!r}: {result.stderr.strip()}")
        return result.stdout

    def _run_pg(self, command: list[str], *, check: bool = True) -> subprocess.CompletedProcess:
        program = str(find_bindir() / command[0])
        full = [program, *command[1:]]
        if _running_as_root():
            full = ["runuser", "-u", SUPERUSER, "--", *full]
        result = subprocess.run(full, capture_output=True, text=True, cwd="/")
        if check and result.returncode != 0:
            raise EmbeddedPostgresError(
                f"{command[0]} failed (exit {result.returncode}): "
                f"{(result.stderr or result.stdout).strip()}"
            )
        return result

    def _log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL (postgresql+psycopg2://...) as libpq and psycopg2 take it."""
    return url.replace("postgresql+psycopg2://", "postgresql://", 1)


def accepts_connections(url: str, timeout_s: int = 2) -> bool:
    """True if a database at `url` answers now (one quick connection, nothing else)."""
    import psycopg2

    try:
        psycopg2.connect(libpq_url(url), connect_timeout=timeout_s).close()
        return True
    except psycopg2.Error:
        return False


def wait_until_ready(url: str, timeout_s: float = 30.0) -> None:
    """Block until a database at `url` accepts connections, or raise with the last error."""
    import psycopg2

    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            psycopg2.connect(libpq_url(url), connect_timeout=5).close()
            return
        except psycopg2.Error as exc:  # any connection failure means "not yet"
            last = exc
            time.sleep(0.5)
    raise EmbeddedPostgresError(f"The database at {url} is not reachable: {last}")
