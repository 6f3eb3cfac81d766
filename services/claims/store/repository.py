"""Claims storage: claims with their fee lines, analyses and findings."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.engine import Connection, Engine

from fundguard.claims.v1 import claims_pb2
from fundguard.runtime.errors import FieldViolation, InvalidArgument
from services.claims.domain.model import ClaimRecord, LineRecord, PatientRecord
from services.claims.domain.volumes import DoctorVolume
from services.claims.steps import mark_claims
from services.claims.store.analyses import stored_answers
from services.claims.store.ingest import PartitionKeeper
from services.claims.store.tables import (
    claims,
    fee_lines,
    finding_events,
    findings,
    order_lines,
    patients,
    warning_feedback,
)


class ClaimsStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.partitions = PartitionKeeper(engine)

    def analyses(self, request_ids: Sequence[str], conn: Connection
                 ) -> dict[str, tuple[list[str], list[dict[str, Any]]]]:
        """The answers recorded for those of ``request_ids`` that were seen: each one's claim
        ids and findings (by claim and rule)."""
        answers = stored_answers(conn, request_ids)
        if not answers:
            return {}
        wanted = [f for _, finding_ids in answers.values() for f in finding_ids]
        rows = conn.execute(sa.select(findings).where(findings.c.finding_id.in_(wanted))
                            .order_by(findings.c.claim_id, findings.c.rule_id)).mappings().all()
        by_id = {r["finding_id"]: dict(r) for r in rows}
        out = {}
        for request_id, (claim_ids, finding_ids) in answers.items():
            mine = set(finding_ids)
            out[request_id] = (claim_ids, [row for f, row in by_id.items() if f in mine])
        return out

    def claim(self, claim_id: str) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]],
                                            list[dict[str, Any]]] | None:
        with self.engine.connect() as conn:
            head = conn.execute(sa.select(claims).where(claims.c.claim_id == claim_id)).mappings().first()
            if head is None:
                return None
            person = conn.execute(sa.select(patients).where(patients.c.patient_id == head["patient_id"])
                                  ).mappings().first()
            # What was billed; a claim only checked in real time so far shows its orders.
            lines = conn.execute(sa.select(fee_lines).where(fee_lines.c.claim_id == claim_id)
                                 .order_by(fee_lines.c.line_id)).mappings().all()
            if not lines:
                lines = conn.execute(sa.select(order_lines).where(order_lines.c.claim_id == claim_id)
                                     .order_by(order_lines.c.line_id)).mappings().all()
            found = conn.execute(sa.select(findings).where(findings.c.claim_id == claim_id)
                                 .order_by(findings.c.rule_id, findings.c.finding_id)).mappings().all()
        return dict(head), dict(person or {}), [dict(r) for r in lines], [dict(r) for r in found]

    def list_findings(self, filters: dict[str, object], period: str | None, limit: int,
                      after: str) -> tuple[list[dict[str, Any]], Decimal, int]:
        """A page of findings (keyset on finding_id) with the amount and count over all pages."""
        cond = [getattr(findings.c, k) == v for k, v in filters.items() if v not in ("", None)]
        if period:
            year, month = (int(x) for x in period.split("-"))
            start = datetime(year, month, 1).date()
            end = datetime(year + (month == 12), month % 12 + 1, 1).date()
            cond += [findings.c.service_date >= start, findings.c.service_date < end]
        with self.engine.connect() as conn:
            total, count = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(findings.c.amount), 0),
                                                  sa.func.count()).where(*cond)).one()
            rows = conn.execute(sa.select(findings).where(*cond, findings.c.finding_id > after)
                                .order_by(findings.c.finding_id).limit(limit)).mappings().all()
        return [dict(r) for r in rows], Decimal(total), int(count)

    def doctor_volumes(self, codes: Sequence[str], start: date, end: date) -> dict[str, DoctorVolume]:
        """Volumes of the doctors' billed lines dated in [start, end), in one statement for every code.

        First each (doctor, encounter) nets its lines (a return's negative amount cancels the
        charge), then each doctor counts the encounters still costing something and their patients.
        Doctors without lines are absent from the answer.
        """
        lines_in = sa.and_(fee_lines.c.doctor_code.in_(list(codes)),
                           fee_lines.c.service_date >= start, fee_lines.c.service_date < end)
        per_visit = (sa.select(fee_lines.c.doctor_code, fee_lines.c.claim_id,
                               sa.func.min(fee_lines.c.patient_id).label("patient_id"),
                               sa.func.sum(fee_lines.c.amount).label("net"),
                               sa.func.count().filter(fee_lines.c.quantity > 0).label("charges"))
                     .where(lines_in).group_by(fee_lines.c.doctor_code, fee_lines.c.claim_id).subquery("per_visit"))
        costing = per_visit.c.net > 0
        stmt = (sa.select(per_visit.c.doctor_code,
                          sa.func.count().filter(costing).label("encounters"),
                          sa.func.count(sa.distinct(per_visit.c.patient_id)).filter(costing).label("patients"),
                          sa.func.sum(per_visit.c.charges).label("lines"),
                          sa.func.sum(per_visit.c.net).label("total"))
                .group_by(per_visit.c.doctor_code))
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return {r.doctor_code: DoctorVolume(r.doctor_code, int(r.encounters), int(r.patients), int(r.lines or 0),
                                            Decimal(r.total).quantize(Decimal("0.01")))
                for r in rows}

    def record_feedback(self, req: claims_pb2.RecordFeedbackRequest) -> claims_pb2.RecordFeedbackResponse:
        """3103: each answer stored against its warning; continuing past one flags the finding and
        appends an event, so auditors see it later."""
        with self.engine.begin() as conn:
            if req.request_id and conn.execute(sa.select(warning_feedback.c.seq).where(
                    warning_feedback.c.request_id == req.request_id).limit(1)).first() is not None:
                n = conn.execute(sa.select(sa.func.count()).where(warning_feedback.c.request_id == req.request_id)
                                 ).scalar_one()
                return claims_pb2.RecordFeedbackResponse(recorded=int(n), replayed=True)
            ids = [fb.warning_id for fb in req.feedback]
            rows = conn.execute(sa.select(findings.c.finding_id, findings.c.state, findings.c.claim_id)
                                .where(findings.c.finding_id.in_(ids),
                                       # Another institution's warning answers as one that does not exist.
                                       sa.or_(sa.literal(req.institution_code) == "",
                                              findings.c.institution_code == req.institution_code))).all()
            known = {r.finding_id: r.state for r in rows}
            mark_claims({r.claim_id for r in rows})
            missing = [FieldViolation(f"feedback[{i}].warning_id", f"no warning {fb.warning_id!r}")
                       for i, fb in enumerate(req.feedback) if fb.warning_id not in known]
            if missing:
                raise InvalidArgument(missing)
            request_id = req.request_id or f"feedback-{uuid.uuid4().hex}"
            for fb in req.feedback:
                seq = conn.execute(insert(warning_feedback).values(
                    request_id=request_id, finding_id=fb.warning_id, disposal=fb.disposal, reason=fb.reason,
                    actor=req.actor).returning(warning_feedback.c.seq)).scalar_one()
                continued = fb.disposal == "1"
                if continued:
                    conn.execute(sa.update(findings).where(findings.c.finding_id == fb.warning_id)
                                 .values(continued=True))
                state = known[fb.warning_id]
                conn.execute(insert(finding_events).values(
                    event_id=f"feedback-{seq}", finding_id=fb.warning_id, from_state=state, to_state=state,
                    actor=req.actor, reason=("继续执行：" if continued else "返回修改：") + fb.reason,
                    detail={"dspo_way": fb.disposal, "request_id": request_id}))
        return claims_pb2.RecordFeedbackResponse(recorded=len(req.feedback))


def load_patient_claims(conn: Connection, patient_ids: Sequence[str], since: date, until: date
                        ) -> tuple[dict[str, PatientRecord], list[ClaimRecord]]:
    """The patients and every claim of theirs with lines served in [since, until), with those lines.

    Reads the month partitions the window touches only (the range condition prunes the rest).
    """
    if not patient_ids:
        return {}, []
    ids = list(patient_ids)
    # Arrays bound once (= ANY) rather than thousands of IN parameters compiled per chunk.
    id_array = sa.bindparam("ids", ids, type_=ARRAY(sa.Text))
    people = {r["patient_id"]: PatientRecord(r["patient_id"], r["name"], r["gender"], r["birth_date"],
                                             r["death_date"], r["insurance_type"])
              for r in conn.execute(sa.select(patients).where(patients.c.patient_id == sa.any_(id_array))
                                    ).mappings()}
    # Only the columns rules and bindings read (not extra: decoding JSON per line costs a fifth).
    c = fee_lines.c
    rows = conn.execute(
        sa.select(c.claim_id, c.line_id, c.item_code, c.item_name, c.item_type, c.item_class, c.quantity,
                  c.unit_price, c.amount, c.service_date, c.dept_code, c.doctor_code, c.doctor_name,
                  c.original_line_id)
        .where(c.patient_id == sa.any_(id_array), c.service_date >= since, c.service_date < until)
        .order_by(c.claim_id, c.service_date, c.line_id)).all()
    by_claim: dict[str, list[LineRecord]] = {}
    for r in rows:
        by_claim.setdefault(r[0], []).append(LineRecord(r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9],
                                                        r[10], r[11], r[12], r[13]))
    claim_array = sa.bindparam("claim_ids", list(by_claim), type_=ARRAY(sa.Text))
    heads = conn.execute(sa.select(claims).where(claims.c.claim_id == sa.any_(claim_array))).mappings().all()
    out = [ClaimRecord(
        claim_id=h["claim_id"], encounter_id=h["encounter_id"], institution_code=h["institution_code"],
        institution_level=h["institution_level"], patient_id=h["patient_id"], care_setting=h["care_setting"],
        med_type=h["med_type"], admission_date=h["admission_date"], discharge_date=h["discharge_date"],
        doctor_code=h["doctor_code"], dept_code=h["dept_code"], insurance_type=h["insurance_type"],
        total_amount=h["total_amount"], diagnoses=list(h["diagnoses"]), procedures=list(h["procedures"]),
        lines=by_claim[h["claim_id"]], invoice_no=h["invoice_no"]) for h in heads]
    out.sort(key=lambda c: (c.patient_id, c.claim_id))
    for pid in ids:
        people.setdefault(pid, PatientRecord(pid, "", "", None, None, ""))
    return people, out
