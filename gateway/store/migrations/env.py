"""Alembic environment: the shared runner, inside this service's schema."""

from fundguard.runtime.migrations import run_env

run_env()
