"""Shared fixtures: a real PostgreSQL database for each test session.

With DATABASE_URL set (as on the CI machine) a fresh database is created on that server
for this session and dropped afterwards, so concurrent runs never share tables. Without
it, an embedded PostgreSQL is started in a temporary directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine, make_url

from fundguard.runtime import migrations
from fundguard.runtime.db import EmbeddedPostgres, create_engine, temporary_database

# One identity-number key for the whole session, as in a deployment: every server of a
# service must read what another one sealed in the same database.
os.environ.setdefault("FUNDGUARD_PII_KEY", "fundguard-test-pii-key")


def _admin_dsn(url: str) -> str:
    u = make_url(url)
    return u.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL server to create test databases on: DATABASE_URL's, else an embedded one."""
    base = os.environ.get("DATABASE_URL")
    if base:
        yield base
        return
    server = EmbeddedPostgres(tmp_path_factory.mktemp("pg"))
    yield server.start()
    server.stop()


def fresh_database(server_url: str) -> AbstractContextManager[str]:
    """A new, empty database on the server, dropped afterwards."""
    return temporary_database(server_url, "fg_test")


@pytest.fixture(scope="session")
def database_url(database_server: str) -> Iterator[str]:
    """The session's database, shared by the integration tests."""
    with fresh_database(database_server) as url:
        yield url


@pytest.fixture(scope="module")
def own_database_url(database_server: str) -> Iterator[str]:
    """A database for one module alone: for whole-suite tests whose cases, feeds and outbox
    must not mix with other tests' data."""
    with fresh_database(database_server) as url:
        yield url


@pytest.fixture(scope="session")
def migrated_url(database_url: str) -> str:
    migrations.upgrade_all(database_url)
    return database_url


@pytest.fixture()
def engine(migrated_url: str) -> Iterator[Engine]:
    eng = create_engine(migrated_url)
    yield eng
    eng.dispose()


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"
