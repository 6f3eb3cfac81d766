"""The outbox relay: delivers credit events written with their state changes, at least once,
in order per institution, and keeps them while credit is down (retry with backoff).

One relay delivers at a time across replicas (a transaction-scoped advisory lock held while
a batch is sent and marked), so sequence order is delivery order. Credit is idempotent by
event id, so a batch re-sent after a crash between delivery and marking is harmless.
"""

from __future__ import annotations

import logging
import os
import threading

import grpc
import sqlalchemy as sa
from opentelemetry.trace import Status, StatusCode
from sqlalchemy.engine import Engine

from fundguard.credit.v1 import credit_pb2, credit_pb2_grpc
from fundguard.runtime import telemetry

log = logging.getLogger(__name__)
BATCH = 200


def max_backoff() -> float:
    return float(os.environ.get("FUNDGUARD_OUTBOX_MAX_BACKOFF", "30"))


class OutboxRelay:
    def __init__(self, engine: Engine, credit: credit_pb2_grpc.CreditServiceStub, poll_seconds: float = 1.0,
                 timeout: float = 10.0) -> None:
        self.engine = engine
        self.credit = credit
        self.poll = poll_seconds
        self.timeout = timeout
        self.stopping = threading.Event()
        self.wake = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="claims-outbox", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
        self.thread.join(timeout=5)

    def notify(self) -> None:
        self.wake.set()

    def deliver_once(self) -> int:
        """Deliver one batch; the number delivered (0: nothing pending, or another relay is at it)."""
        with self.engine.begin() as conn:
            if not conn.execute(sa.text("SELECT pg_try_advisory_xact_lock(hashtext('claims.outbox relay'))")
                                ).scalar_one():
                return 0
            rows = conn.execute(sa.text(
                "SELECT seq, payload FROM claims.outbox WHERE delivered_at IS NULL ORDER BY seq LIMIT :n"),
                {"n": BATCH}).all()
            if not rows:
                return 0
            events = [credit_pb2.Event.FromString(bytes(r.payload)) for r in rows]
            seqs = [r.seq for r in rows]
            # The delivery is a step in each claim's life: one span per claim and kind of event,
            # open for the whole call, so credit's processing falls inside it.
            steps = [telemetry.start_claim_span("claims.outbox_delivery", claim_id, traceparent, {
                telemetry.INSTITUTION_CODE: institution, "fundguard.event_kind": kind})
                for claim_id, kind, institution, traceparent in sorted(
                    {(e.claim_id, e.kind, e.institution_code, e.traceparent) for e in events if e.claim_id})]
            try:
                self.credit.DeliverEvents(credit_pb2.DeliverEventsRequest(events=events), timeout=self.timeout)
            except grpc.RpcError as exc:
                for step in steps:
                    step.set_status(Status(StatusCode.ERROR, f"credit did not take it: {exc.code()}"))
                    step.end()
                conn.execute(sa.text("UPDATE claims.outbox SET attempts = attempts + 1, last_error = :e "
                                     "WHERE seq = ANY(:s)"), {"e": f"{exc.code()}: {exc.details()}"[:500], "s": seqs})
                raise
            for step in steps:
                step.end()
            conn.execute(sa.text("UPDATE claims.outbox SET delivered_at = now(), attempts = attempts + 1, "
                                 "last_error = '' WHERE seq = ANY(:s)"), {"s": seqs})
        return len(rows)

    def pending(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM claims.outbox WHERE delivered_at IS NULL")
                                    ).scalar_one())

    def _loop(self) -> None:
        backoff = 0.0
        while not self.stopping.is_set():
            try:
                sent = self.deliver_once()
                backoff = 0.0
            except grpc.RpcError as exc:
                backoff = min(max(backoff * 2, 0.2), max_backoff())
                log.warning("credit did not take the outbox batch; retrying",
                            extra={"fields": {"code": str(exc.code()), "retry_in": backoff}})
                self.stopping.wait(backoff)
                continue
            except sa.exc.SQLAlchemyError:
                backoff = min(max(backoff * 2, 0.2), max_backoff())
                log.exception("outbox relay could not read the database; retrying")
                self.stopping.wait(backoff)
                continue
            if sent == 0:
                self.wake.wait(self.poll)
                self.wake.clear()
