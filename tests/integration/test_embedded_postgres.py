"""The embedded PostgreSQL server: started from the wheel, tuned for the real-time path."""

from __future__ import annotations

from pathlib import Path

import psycopg2
import pytest

from fundguard.runtime.db import EMBEDDED_SETTINGS, EmbeddedPostgres, libpq_url

pytestmark = pytest.mark.integration


def test_the_embedded_server_starts_with_its_settings_and_keeps_them(tmp_path: Path) -> None:
    for _ in range(2):  # a fresh data directory, then the same one again
        server = EmbeddedPostgres(tmp_path)
        url = server.start()
        try:
            conn = psycopg2.connect(libpq_url(url))
            try:
                with conn.cursor() as cur:
                    for name, value in EMBEDDED_SETTINGS.items():
                        cur.execute(f"SHOW {name}")
                        assert cur.fetchone() == (value,), name
            finally:
                conn.close()
        finally:
            server.stop()
    assert "wal_init_zero" in (tmp_path / "pgdata" / "postgresql.auto.conf").read_text()
