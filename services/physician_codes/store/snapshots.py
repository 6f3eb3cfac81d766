"""Keeping the in-memory registry snapshot current.

Two ways to learn the registry's version (``FUNDGUARD_REGISTRY_FRESHNESS``):

- ``read`` (default): each check reads the version counter (one primary-key read). A
  sanction written by any replica is seen by the very next check on every replica.
- ``notify``: a listener thread learns versions from PostgreSQL NOTIFY (sent in the same
  transaction as each change, so delivered at its commit) and this process's own commits;
  checks do no I/O. Another replica's change is seen within the notification's delivery
  (milliseconds). While the listener is not connected, checks fall back to ``read``.

When the version moved, only the staff named in the change log since the snapshot's
version are reloaded and swapped into a new snapshot; readers holding the old one finish
with it undisturbed.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import select
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg2
import sqlalchemy as sa

from services.physician_codes.domain.snapshot import RegistrySnapshot
from services.physician_codes.store.repository import NOTIFY_CHANNEL, RegistryStore
from services.physician_codes.store.tables import SCHEMA

log = logging.getLogger(__name__)
VERSION_SQL = f"SELECT version FROM {SCHEMA}.registry_version WHERE id = 1"
FRESHNESS_MODES = ("read", "notify")


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


class VersionListener:
    """LISTEN for version notifications; after each (re)connect, read the version once, so a
    notification sent while disconnected is never missed. Polls once a second as well."""

    def __init__(self, store: RegistryStore, on_version: Callable[[int], None],
                 on_state: Callable[[bool], None]) -> None:
        self._dsn = store.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._on_version, self._on_state = on_version, on_state
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="registry-version-listener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=3.0)

    def _run(self) -> None:
        while not self._stop.is_set():
            conn: Any = None
            try:
                conn = psycopg2.connect(self._dsn)
                conn.autocommit = True
                with conn.cursor() as cur:
                    cur.execute(f'LISTEN "{NOTIFY_CHANNEL}"')
                    cur.execute(VERSION_SQL)
                    self._on_version(int(cur.fetchone()[0]))
                self._on_state(True)
                while not self._stop.is_set():
                    ready, _, _ = select.select([conn], [], [], 1.0)
                    if ready:
                        conn.poll()
                        while conn.notifies:
                            self._on_version(int(conn.notifies.pop(0).payload))
                    else:
                        with conn.cursor() as cur:  # the once-a-second poll doubles as a liveness check
                            cur.execute(VERSION_SQL)
                            self._on_version(int(cur.fetchone()[0]))
            except (psycopg2.Error, OSError, ValueError):
                self._on_state(False)
                log.warning("registry version listener lost its connection; checks read the version")
                self._stop.wait(1.0)
            finally:
                self._on_state(False)
                if conn is not None:
                    with contextlib.suppress(psycopg2.Error):
                        conn.close()


class SnapshotCache:
    def __init__(self, store: RegistryStore, freshness: str = "read") -> None:
        if freshness not in FRESHNESS_MODES:
            raise ValueError(f"freshness must be one of {', '.join(FRESHNESS_MODES)}, got {freshness!r}")
        self.store = store
        self._snap: RegistrySnapshot | None = None
        self._lock = threading.Lock()
        self._probe = VersionProbe(store)
        self._known = 0
        self._listening = False
        self._listener: VersionListener | None = None
        if freshness == "notify":
            # This process's own commits count at once, without waiting for the notification.
            sa.event.listen(store.engine, "commit", self._on_commit)
            self._listener = VersionListener(store, self._note, self._set_listening)
            self._listener.start()

    def _note(self, version: int) -> None:
        if version > self._known:
            self._known = version

    def _set_listening(self, ok: bool) -> None:
        self._listening = ok

    def _on_commit(self, conn: Any) -> None:
        version = conn.info.pop("registry_version", None)
        if version is not None:
            self._note(int(version))

    def close(self) -> None:
        if self._listener is not None:
            self._listener.stop()
            sa.event.remove(self.store.engine, "commit", self._on_commit)
        self._probe.close()

    def current(self) -> RegistrySnapshot:
        version = self._known if self._listening else self._probe.read()
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
