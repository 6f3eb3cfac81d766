"""Ingestion use cases: fee-detail uploads (one request or a stream), settlements and their
reversals. Idempotent by the national keys; a retried request id replays its first answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection, Engine

from fundguard.claims.v1 import claims_pb2
from fundguard.runtime import telemetry
from fundguard.runtime.errors import FieldViolation, InvalidArgument, NotFound
from fundguard.runtime.wire import date_or_none, decimal_or_none
from services.claims.cycle import record_deductions
from services.claims.domain.ingest import INSTITUTION_MAX, RowProblem, check_detail
from services.claims.domain.model import claim_id_for
from services.claims.steps import mark_claims
from services.claims.store.answers import remember_answer, stored_answer
from services.claims.store.ingest import BatchResult, PartitionKeeper, write_batch
from services.claims.store.tables import claims, fill_in, patients, settlement_events, settlements

BATCH_ROWS = 20_000
SHANGHAI = "+08:00"


class Ingestion:
    def __init__(self, engine: Engine, partitions: PartitionKeeper | None = None,
                 batch_rows: int = BATCH_ROWS) -> None:
        self.engine = engine
        self.partitions = partitions or PartitionKeeper(engine)
        self.batch_rows = batch_rows

    # ---- fee details -------------------------------------------------------------------
    def upload(self, messages: Iterable[claims_pb2.UploadFeeDetailsRequest]) -> claims_pb2.IngestReport:
        """Ingest one upload or a stream of them; rows are numbered across the whole stream."""
        report = claims_pb2.IngestReport()
        request_id = ""
        row = 0
        pending: list[tuple[str, ...]] = []
        facts: list[claims_pb2.UploadFeeDetailsRequest] = []
        problems: list[RowProblem] = []
        trace_id, traceparent = telemetry.current_trace()
        uploaded: set[str] = set()
        first = True
        # Checking rows (Python) and writing the previous batch (PostgreSQL) overlap: one batch
        # is written in the background while the next is checked; batches commit in order.
        writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="claims-ingest")
        in_flight: Future[None] | None = None
        try:
            for msg in messages:
                if first:
                    first = False
                    request_id = msg.request_id
                    with self.engine.connect() as conn:
                        answer = stored_answer(conn, request_id, "fee_details")
                    if answer is not None:
                        replay = claims_pb2.IngestReport.FromString(answer)
                        replay.replayed = True
                        return replay
                inst = msg.institution_code
                inst_ok = bool(inst) and len(inst) <= INSTITUTION_MAX
                if msg.encounter.encounter_id or msg.patient.patient_id:
                    facts.append(msg)
                for enc in {msg.encounter.encounter_id, *(d.encounter_id for d in msg.details)} - {""}:
                    uploaded.add(claim_id_for(inst, enc))
                default_encounter, default_patient = msg.encounter.encounter_id, msg.patient.patient_id
                for d in msg.details:
                    if not inst_ok:
                        problems.append(RowProblem(row, "institution_code",
                                                   "required (fixmedins_code), at most 16 characters"))
                    else:
                        checked = check_detail(d, d.unit_price.amount, d.amount.amount, dict(d.extra) if d.extra else {},
                                               row, inst, default_encounter, default_patient, problems)
                        if checked is not None:
                            pending.append(checked)
                    row += 1
                if len(pending) >= self.batch_rows:
                    if in_flight is not None:
                        in_flight.result()
                    in_flight = writer.submit(self._flush, pending, facts, report, trace_id, traceparent)
                    pending, facts = [], []
            if in_flight is not None:
                in_flight.result()
            if pending or facts:
                self._flush(pending, facts, report, trace_id, traceparent)
        finally:
            writer.shutdown(wait=True)

        mark_claims(uploaded)
        report.rejected += len(problems)
        report.errors.extend(claims_pb2.RowError(row=p.row, field=p.field, reason=p.reason) for p in problems)
        sorted_errors = sorted(report.errors, key=lambda e: (e.row, e.field))
        del report.errors[:]
        report.errors.extend(sorted_errors)
        if request_id:
            with self.engine.begin() as conn:
                remember_answer(conn, request_id, "fee_details", report.SerializeToString())
        return report

    def _flush(self, rows: list[tuple[str, ...]], facts: list[claims_pb2.UploadFeeDetailsRequest],
               report: claims_pb2.IngestReport, trace_id: str, traceparent: str) -> None:
        self.partitions.ensure({r[4][:7] for r in rows})
        with self.engine.begin() as conn:
            for msg in facts:
                self._encounter_facts(conn, msg, trace_id, traceparent)
            result: BatchResult = write_batch(conn, rows, trace_id, traceparent)
        report.accepted += result.accepted
        report.duplicates += result.duplicates
        report.rejected += len(result.problems)
        report.errors.extend(claims_pb2.RowError(row=p.row, field=p.field, reason=p.reason) for p in result.problems)

    def _encounter_facts(self, conn: Connection, msg: claims_pb2.UploadFeeDetailsRequest, trace_id: str,
                         traceparent: str) -> None:
        """The encounter and patient an upload names: stored (or refreshed) beside its lines."""
        problems: list[FieldViolation] = []
        p = msg.patient
        if p.patient_id:
            person: dict[str, Any] = {"patient_id": p.patient_id, "name": p.name, "gender": p.gender,
                   "birth_date": date_or_none(p.birth_date, "patient.birth_date", problems),
                   "death_date": date_or_none(p.death_date, "patient.death_date", problems),
                   "insurance_type": p.insurance_type}
            stmt = insert(patients).values(person)
            conn.execute(stmt.on_conflict_do_update(index_elements=[patients.c.patient_id],
                                                    set_=fill_in(patients, stmt.excluded,
                                                                 [k for k in person if k != "patient_id"])))
        e = msg.encounter
        if e.encounter_id and msg.institution_code:
            row: dict[str, Any] = {"claim_id": claim_id_for(msg.institution_code, e.encounter_id), "encounter_id": e.encounter_id,
                   "institution_code": msg.institution_code,
                   "institution_level": msg.institution_level or e.institution_level,
                   "patient_id": p.patient_id or (msg.details[0].patient_id if msg.details else ""),
                   "care_setting": e.care_setting, "med_type": e.med_type,
                   "admission_date": date_or_none(e.admission_date, "encounter.admission_date", problems),
                   "discharge_date": date_or_none(e.discharge_date, "encounter.discharge_date", problems),
                   "doctor_code": e.doctor_code, "dept_code": e.dept_code,
                   "insurance_type": e.insurance_type or p.insurance_type,
                   "total_amount": decimal_or_none(e.total_amount.amount, "encounter.total_amount", problems),
                   "diagnoses": [{"code": d.code, "name": d.name, "main": d.main} for d in e.diagnoses],
                   "procedures": [{"code": x.code, "name": x.name, "main": x.main} for x in e.procedures],
                   "invoice_no": e.invoice_no, "trace_id": trace_id, "traceparent": traceparent}
            if problems:
                raise InvalidArgument(problems)
            stmt = insert(claims).values(row)
            keep = {"claim_id", "trace_id", "traceparent", "received_at"}
            conn.execute(stmt.on_conflict_do_update(
                index_elements=[claims.c.claim_id], set_=fill_in(claims, stmt.excluded, [k for k in row if k not in keep])))
        elif problems:
            raise InvalidArgument(problems)

    # ---- settlements -------------------------------------------------------------------
    def settle(self, req: claims_pb2.SettleRequest) -> claims_pb2.SettleResponse:
        problems: list[FieldViolation] = []
        for name in ("settlement_id", "encounter_id", "patient_id", "institution_code"):
            if not getattr(req, name):
                problems.append(FieldViolation(name, "required"))
        if len(req.institution_code) > INSTITUTION_MAX:
            problems.append(FieldViolation("institution_code", "at most 16 characters"))
        total = decimal_or_none(req.total_amount.amount, "total_amount", problems, required=True)
        fund = decimal_or_none(req.fund_paid.amount, "fund_paid", problems)
        cash = decimal_or_none(req.cash_paid.amount, "cash_paid", problems)
        for name, value in (("total_amount", total), ("fund_paid", fund), ("cash_paid", cash)):
            if value is not None and value.as_tuple().exponent < -2:  # type: ignore[operator]
                problems.append(FieldViolation(name, "must be yuan to the cent (at most 2 decimals)"))
        settled_at = None
        if req.settled_at:
            try:
                settled_at = datetime.fromisoformat(req.settled_at.replace(" ", "T") + SHANGHAI)
            except ValueError:
                problems.append(FieldViolation("settled_at", f"must be yyyy-MM-dd HH:mm:ss, got {req.settled_at!r}"))
        if problems:
            raise InvalidArgument(problems)
        claim_id = claim_id_for(req.institution_code, req.encounter_id)
        mark_claims({claim_id})
        trace_id, traceparent = telemetry.current_trace()
        with self.engine.begin() as conn:
            answer = stored_answer(conn, req.request_id, "settle")
            if answer is not None:
                replay = claims_pb2.SettleResponse.FromString(answer)
                replay.replayed = True
                return replay
            existing = conn.execute(sa.select(settlements.c.claim_id, settlements.c.state)
                                    .where(settlements.c.settlement_id == req.settlement_id)).first()
            if existing is not None:
                return claims_pb2.SettleResponse(settlement_id=req.settlement_id, claim_id=existing.claim_id,
                                                 state=existing.state, replayed=True)
            conn.execute(insert(patients).values(patient_id=req.patient_id).on_conflict_do_nothing())
            conn.execute(insert(claims).values(
                claim_id=claim_id, encounter_id=req.encounter_id, institution_code=req.institution_code,
                patient_id=req.patient_id, trace_id=trace_id, traceparent=traceparent, total_amount=total,
                invoice_no=req.invoice_no).on_conflict_do_nothing())
            # The settled total is the bill's total; the invoice number feeds duplicate-invoice checks.
            values: dict[str, object] = {"total_amount": total}
            if req.invoice_no:
                values["invoice_no"] = req.invoice_no
            conn.execute(sa.update(claims).where(claims.c.claim_id == claim_id).values(**values))
            conn.execute(insert(settlements).values(
                settlement_id=req.settlement_id, claim_id=claim_id, encounter_id=req.encounter_id,
                patient_id=req.patient_id, institution_code=req.institution_code, total_amount=total,
                fund_paid=fund, cash_paid=cash, settled_at=settled_at, invoice_no=req.invoice_no,
                extra=json.loads(json.dumps(dict(req.extra))), state="settled"))
            conn.execute(insert(settlement_events).values(settlement_id=req.settlement_id, kind="settled",
                                                          request_id=req.request_id))
            answer_msg = claims_pb2.SettleResponse(settlement_id=req.settlement_id, claim_id=claim_id,
                                                   state="settled")
            remember_answer(conn, req.request_id, "settle", answer_msg.SerializeToString())
        return answer_msg

    def reverse(self, req: claims_pb2.ReverseSettlementRequest) -> claims_pb2.SettleResponse:
        problems: list[FieldViolation] = []
        if not req.settlement_id:
            problems.append(FieldViolation("settlement_id", "required"))
        if not req.institution_code:
            problems.append(FieldViolation("institution_code", "required"))
        if problems:
            raise InvalidArgument(problems)
        with self.engine.begin() as conn:
            answer = stored_answer(conn, req.request_id, "reverse")
            if answer is not None:
                replay = claims_pb2.SettleResponse.FromString(answer)
                replay.replayed = True
                return replay
            row = conn.execute(sa.select(settlements).where(settlements.c.settlement_id == req.settlement_id)
                               .with_for_update()).mappings().first()
            if row is None:
                raise NotFound(f"settlement {req.settlement_id} not found")
            if row["institution_code"] != req.institution_code:
                raise InvalidArgument([FieldViolation("institution_code",
                                                      "the settlement belongs to another institution")])
            mark_claims({row["claim_id"]})
            if row["state"] == "reversed":
                return claims_pb2.SettleResponse(settlement_id=req.settlement_id, claim_id=row["claim_id"],
                                                 state="reversed", replayed=True)
            conn.execute(sa.update(settlements).where(settlements.c.settlement_id == req.settlement_id)
                         .values(state="reversed"))
            conn.execute(insert(settlement_events).values(settlement_id=req.settlement_id, kind="reversed",
                                                          request_id=req.request_id, reason=req.reason,
                                                          extra=dict(req.extra)))
            # An unpaid bill has nothing to take back from: its deductions fall to what is still settled.
            record_deductions(conn, [row["claim_id"]])
            answer_msg = claims_pb2.SettleResponse(settlement_id=req.settlement_id, claim_id=row["claim_id"],
                                                   state="reversed")
            remember_answer(conn, req.request_id, "reverse", answer_msg.SerializeToString())
        return answer_msg
