"""Sends the sanction calls credit decided to physician_codes, in the order decided.

Calls sit in credit's own table (written with the decision); this sends the pending ones.
A call physician_codes cannot take yet (UNAVAILABLE, UNIMPLEMENTED, a deadline) stays
pending with the error recorded, and the pass stops there: the calls behind it would meet
the same answer, and stopping keeps the order, so a lift never overtakes the suspension it
lifts. A call rejected as malformed is marked failed. Right after a delivery only the calls
of the staff it touched are sent (the loop sends the rest), and for a few seconds after
physician_codes failed that immediate attempt is skipped, so a delivery never waits on it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

import grpc

from fundguard.physician_codes.v1 import physician_codes_pb2 as pc
from fundguard.physician_codes.v1 import physician_codes_pb2_grpc
from services.credit.store.repository import CreditStore

log = logging.getLogger(__name__)
QUIET_SECONDS = 2.0
RETRYABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.DEADLINE_EXCEEDED,
             grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.ABORTED, grpc.StatusCode.INTERNAL,
             grpc.StatusCode.UNKNOWN}


class SanctionDispatcher:
    def __init__(self, store: CreditStore, registry: physician_codes_pb2_grpc.PhysicianCodesServiceStub | None,
                 timeout: float = 3.0) -> None:
        self.store = store
        self.registry = registry
        self.timeout = timeout
        self._lock = threading.Lock()
        self._quiet_until = 0.0

    def dispatch(self, staff: Iterable[str] | None = None, *, immediate: bool = False) -> int:
        """Send pending calls (only ``staff``'s when given); return how many were sent."""
        if self.registry is None:
            return 0
        if immediate and time.monotonic() < self._quiet_until:
            return 0
        sent = 0
        with self._lock:   # one sender at a time keeps the order
            for call in self.store.pending_calls(staff):
                try:
                    self._send(call["method"], call["request"])
                except grpc.RpcError as err:
                    code = err.code()
                    message = f"{code.name}: {err.details()}"
                    if code in RETRYABLE:
                        self.store.mark_call(call["call_id"], "pending", message)
                        self._quiet_until = time.monotonic() + QUIET_SECONDS
                        break
                    self.store.mark_call(call["call_id"], "failed", message)
                    log.error("physician_codes rejected a sanction call",
                              extra={"fields": {"call_id": call["call_id"], "error": message}})
                    continue
                self.store.mark_call(call["call_id"], "sent")
                sent += 1
        return sent

    def _send(self, method: str, request: dict[str, str]) -> None:
        assert self.registry is not None
        if method == "suspend":
            self.registry.SuspendStaff(pc.SuspendStaffRequest(**request), timeout=self.timeout)
        elif method == "terminate":
            self.registry.TerminateStaff(pc.TerminateStaffRequest(**request), timeout=self.timeout)
        elif method == "lift":
            self.registry.LiftSanction(pc.LiftSanctionRequest(**request), timeout=self.timeout)
        else:
            raise ValueError(f"unknown sanction call {method!r}")


class RetryLoop:
    """Retries pending calls every ``interval`` seconds until stopped."""

    def __init__(self, dispatcher: SanctionDispatcher, interval: float = 5.0) -> None:
        self.dispatcher = dispatcher
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="credit-sanction-retry", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2.0)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.dispatcher.dispatch()
            except Exception:  # the loop must survive a database blip
                log.exception("retrying sanction calls failed; will try again")
