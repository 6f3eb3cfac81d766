"""The startup heap is frozen out of the garbage collector's full collections."""

from __future__ import annotations

import gc

from fundguard.runtime.heap import freeze_startup_heap


def test_freezing_takes_the_live_objects_out_of_full_collections() -> None:
    kept = [[i] for i in range(1_000)]  # long-lived containers, as a server holds after start
    assert any(o is kept for o in gc.get_objects())
    try:
        freeze_startup_heap()
        # What a collection scans (every generation) no longer holds them; they live on.
        scanned = {id(o) for o in gc.get_objects()}
        assert id(kept) not in scanned and not any(id(x) in scanned for x in kept)
        assert gc.get_freeze_count() >= len(kept)
        assert kept[999] == [999]
    finally:
        gc.unfreeze()
