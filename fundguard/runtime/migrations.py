"""Alembic plumbing shared by every service's migrations.

Each service keeps its own migration scripts under ``services/<name>/store/migrations``
and its tables in its own PostgreSQL schema; its ``env.py`` calls :func:`run_env`.
Migrations run only when asked (``fundguard migrate``), never on import.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config

from fundguard.runtime.db import sqlalchemy_url
from fundguard.runtime.settings import SERVICES

ROOT = Path(__file__).resolve().parents[2]
MIGRATED = (*SERVICES, "gateway")  # every store with its own schema and migrations


def _package(service: str) -> str:
    # The gateway keeps its own store (callers, nonces) beside the four services'.
    return "gateway" if service == "gateway" else f"services.{service}"


def _store(service: str) -> tuple[sa.MetaData, str]:
    tables = importlib.import_module(f"{_package(service)}.store.tables")
    return tables.metadata, tables.SCHEMA


def alembic_config(service: str, database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT.joinpath(*_package(service).split("."), "store", "migrations")))
    cfg.set_main_option("sqlalchemy.url", sqlalchemy_url(database_url).replace("%", "%%"))
    cfg.attributes["service"] = service
    return cfg


def upgrade(service: str, database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(service, database_url), revision)


# Several pods may start at once (each runs `fundguard migrate` in an init container); a
# session-level advisory lock makes them take turns, and Alembic then finds nothing to do.
MIGRATION_LOCK = 0x46554E44  # "FUND"


def upgrade_all(database_url: str, services: tuple[str, ...] = MIGRATED) -> None:
    engine = sa.create_engine(sqlalchemy_url(database_url), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
        try:
            for service in services:
                upgrade(service, database_url)
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
    engine.dispose()


def make_revision(service: str, database_url: str, message: str) -> None:
    """Autogenerate a new revision from the service's table metadata (a developer's tool)."""
    upgrade(service, database_url)
    command.revision(alembic_config(service, database_url), message=message, autogenerate=True)


def run_env() -> None:
    """The body of every service's ``env.py``: online migrations inside the service's schema."""
    cfg = context.config
    metadata, schema = _store(cfg.attributes["service"])
    engine = sa.create_engine(cfg.get_main_option("sqlalchemy.url") or "", poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        conn.commit()
        context.configure(
            connection=conn,
            target_metadata=metadata,
            version_table_schema=schema,
            include_schemas=True,
            include_name=lambda name, type_, parent: type_ != "schema" or name == schema,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
