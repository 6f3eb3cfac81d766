"""Keeping the in-memory registry snapshot current.

Each check reads the version counter (one primary-key read). When it moved, only the staff
named in the change log since the snapshot's version are reloaded and swapped into a new
snapshot; readers holding the old one finish with it undisturbed. A sanction written by any
replica is therefore seen by the very next check on every replica.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
import time
from typing import Any

import psycopg2

from services.physician_codes.domain.snapshot import RegistrySnapshot
from services.physician_codes.store.repository import RegistryStore
from services.physician_codes.store.tables import SCHEMA

log = logging.getLogger(__name__)
VERSION_SQL = f"SELECT version FROM {SCHEMA}.registry_version WHERE id = 1"


class VersionProbe:
    """Reads the version counter on one dedicated autocommit connection: a single round trip,
    without the pool's checkout and pre-ping, which would double the cost of every check."""

    def __init__(self, store: RegistryStore) -> None:
        self._dsn = store.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._conn: Any = None
        self._lock = threading.Lock()

    def read(self) -> int:
        with self._lock:
            for attempt in (1, 2):
                try:
                    if self._conn is None or self._conn.closed:
                        self._conn = psycopg2.connect(self._dsn)
                        self._conn.autocommit = True
                    with self._conn.cursor() as cur:
                        cur.execute(VERSION_SQL)
                        return int(cur.fetchone()[0])
                except (psycopg2.OperationalError, psycopg2.InterfaceError):
                    self.close_locked()
                    if attempt == 2:
                        raise
            raise AssertionError("unreachable")

    def close_locked(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg2.Error):
                self._conn.close()
            self._conn = None

    def close(self) -> None:
        with self._lock:
            self.close_locked()


class SnapshotCache:
    def __init__(self, store: RegistryStore) -> None:
        self.store = store
        self._snap: RegistrySnapshot | None = None
        self._lock = threading.Lock()
        self._probe = VersionProbe(store)

    def close(self) -> None:
        self._probe.close()

    def current(self) -> RegistrySnapshot:
        version = self._probe.read()
        snap = self._snap
        if snap is not None and snap.version >= version:
            return snap
        with self._lock:  # one refresh at a time; the others then find it done
            snap = self._snap
            if snap is not None and snap.version >= version:
                return snap
            t0 = time.perf_counter()
            if snap is None:
                new_version, facts = self.store.load_facts(None)
                fresh = RegistrySnapshot(new_version, facts)
                log.info("registry snapshot loaded", extra={"fields": {
                    "version": new_version, "staff": len(facts), "seconds": round(time.perf_counter() - t0, 3)}})
            else:
                new_version, changed, facts = self.store.load_changes(snap.version)
                fresh = snap.successor(new_version, facts, changed)
            self._snap = fresh
            # The snapshot is many small long-lived objects; keep the cyclic collector from
            # rescanning them on every full collection (a pause that would land on some
            # unlucky real-time check). They are still freed by reference counting.
            gc.freeze()
            return fresh
