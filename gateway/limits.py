"""Limits that keep one caller, or a flood, from taking the gateway down."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class TokenBucket:
    """``rate`` requests per second on average, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.tokens = burst
        self.stamp = clock()

    def take(self) -> float:
        """0 when a request may go now, else the seconds until one token is back."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate if self.rate > 0 else math.inf


class RateLimiter:
    """One bucket per caller, in this process. Several replicas each apply the limit, so a
    caller's ceiling across the cluster is replicas x rate (see the decision record)."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> float:
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) > 100_000:
                    self._buckets.clear()
                bucket = self._buckets[key] = TokenBucket(self.rate, self.burst, self.clock)
            return bucket.take()


class InflightGate:
    """At most ``limit`` requests in progress; beyond that answer at once (429 with a
    Retry-After) instead of queueing work that would miss its deadline anyway."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.inflight = 0
        self._lock = threading.Lock()

    def enter(self) -> bool:
        with self._lock:
            if self.inflight >= self.limit:
                return False
            self.inflight += 1
            return True

    def leave(self) -> None:
        with self._lock:
            self.inflight -= 1
