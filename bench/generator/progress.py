"""A tiny progress bar on stderr (no dependency): redrawn at most ten times a second."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, label: str, total: int, enabled: bool = True, width: int = 30) -> None:
        self.label, self.total, self.enabled, self.width = label, max(total, 1), enabled, width
        self.done_count = 0
        self.t0 = time.perf_counter()
        self.last = 0.0

    def update(self, n: int, note: str = "") -> None:
        self.done_count += n
        now = time.perf_counter()
        if self.enabled and now - self.last > 0.1 and self.done_count < self.total:
            self.last = now
            self._draw(note)

    def _draw(self, note: str) -> None:
        frac = min(self.done_count / self.total, 1.0)
        bar = "#" * int(frac * self.width)
        sys.stderr.write(f"\r{self.label} [{bar:<{self.width}}] {frac:6.1%} {note} "
                         f"{time.perf_counter() - self.t0:6.1f}s")
        sys.stderr.flush()

    def done(self, note: str = "") -> None:
        if self.enabled:
            self._draw(note)
            sys.stderr.write("\n")
