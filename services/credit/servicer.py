"""gRPC servicer for credit: translate, call the store and domain, translate back."""

from __future__ import annotations

from datetime import datetime

import grpc
from google.protobuf import json_format

from fundguard.credit.v1 import credit_pb2, credit_pb2_grpc
from fundguard.runtime.errors import FieldViolation, InvalidArgument
from fundguard.runtime.paging import next_token, page_after, page_size
from services.credit.store.repository import CreditStore


class CreditServicer(credit_pb2_grpc.CreditServiceServicer):
    def __init__(self, store: CreditStore) -> None:
        self.store = store

    def DeliverEvents(self, request: credit_pb2.DeliverEventsRequest,
                      context: grpc.ServicerContext) -> credit_pb2.DeliverEventsResponse:
        problems: list[FieldViolation] = []
        rows = []
        for i, e in enumerate(request.events):
            if not e.event_id:
                problems.append(FieldViolation(f"events[{i}].event_id", "required"))
            if not e.kind:
                problems.append(FieldViolation(f"events[{i}].kind", "required"))
            occurred = None
            if e.occurred_at:
                try:
                    occurred = datetime.fromisoformat(e.occurred_at)
                except ValueError:
                    problems.append(FieldViolation(f"events[{i}].occurred_at", "must be an RFC 3339 time"))
            rows.append({"event_id": e.event_id, "kind": e.kind, "institution_code": e.institution_code,
                         "doctor_code": e.doctor_code, "claim_id": e.claim_id,
                         "payload": json_format.MessageToDict(e), "occurred_at": occurred})
        if problems:
            raise InvalidArgument(problems)
        accepted = self.store.receive(rows)
        return credit_pb2.DeliverEventsResponse(accepted=accepted, duplicates=len(rows) - accepted)

    def GetLedger(self, request: credit_pb2.GetLedgerRequest,
                  context: grpc.ServicerContext) -> credit_pb2.GetLedgerResponse:
        year = None
        if request.year:
            if not request.year.isdigit() or len(request.year) != 4:
                raise InvalidArgument([FieldViolation("year", f"must be YYYY, got {request.year!r}")])
            year = int(request.year)
        size = page_size(request.page_size)
        rows = self.store.ledger(request.subject, year, size + 1, int(page_after(request.page_token) or 0))
        return credit_pb2.GetLedgerResponse(
            entries=[credit_pb2.LedgerEntry(entry_id=str(r["entry_id"]), subject=r["subject"], points=r["points"],
                                            cause=r["cause"], recorded_at=r["recorded_at"].isoformat())
                     for r in rows[:size]],
            total_points=self.store.total_points(request.subject, year),
            next_page_token=next_token(rows, size, "entry_id"),
        )
