"""Keeping the in-memory registry snapshot current.

Each check reads the version counter (one primary-key read). When it moved, only the staff
named in the change log since the snapshot's version are reloaded and swapped into a new
snapshot; readers holding the old one finish with it undisturbed. A sanction written by any
replica is therefore seen by the very next check on every replica.
"""

from __future__ import annotations

import logging
import threading
import time

from services.physician_codes.domain.snapshot import RegistrySnapshot
from services.physician_codes.store.repository import RegistryStore

log = logging.getLogger(__name__)


class SnapshotCache:
    def __init__(self, store: RegistryStore) -> None:
        self.store = store
        self._snap: RegistrySnapshot | None = None
        self._lock = threading.Lock()

    def current(self) -> RegistrySnapshot:
        version = self.store.version()
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
                merged = dict(snap.facts)
                for code in changed:
                    if code in facts:
                        merged[code] = facts[code]
                    else:
                        merged.pop(code, None)
                fresh = RegistrySnapshot(new_version, merged)
            self._snap = fresh
            return fresh
