"""The monthly cycle: publish, appeal, review, confirm at the deadline, deduct, tell credit.

Every state change appends a finding event (who, when, why) and, for confirmations,
overturns and deductions, an outbox event for credit in the same transaction.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection, Engine

from fundguard.claims.v1 import claims_pb2
from fundguard.credit.v1 import credit_pb2
from fundguard.runtime import telemetry
from fundguard.runtime.errors import FieldViolation, InvalidArgument, NotFound
from fundguard.runtime.wire import date_or_none, money
from services.claims.domain import cycle as rules
from services.claims.domain.deductions import BillDeduction, ConfirmedFinding, deduct_bill, net_line_amounts
from services.claims.steps import claim_step, traceparents
from services.claims.store.answers import remember_answer, stored_answer
from services.claims.store.tables import (
    audit_runs,
    claims,
    deductions,
    fee_lines,
    finding_events,
    findings,
    outbox,
)
from services.claims.translate import finding_to_proto

SHANGHAI_TZ = timezone(timedelta(hours=8))
CONFIRM_BATCH = 2_000


def appeal_days() -> int:
    raw = os.environ.get("FUNDGUARD_APPEAL_DAYS", str(rules.DEFAULT_APPEAL_DAYS))
    if not raw.isdigit():
        raise ValueError(f"FUNDGUARD_APPEAL_DAYS must be a whole number of days, got {raw!r}")
    return int(raw)


def business_today() -> date:
    return datetime.now(SHANGHAI_TZ).date()


def event_id(finding_id: str, to_state: str) -> str:
    """Each transition happens at most once per finding, so its id can be derived from both."""
    return "E" + hashlib.sha256(f"{finding_id}:{to_state}".encode()).hexdigest()[:32]


def append_event(conn: Connection, finding_id: str, from_state: str, to_state: str, actor: str, reason: str,
                 detail: dict[str, Any] | None = None, eid: str | None = None) -> claims_pb2.FindingEvent:
    now = datetime.now(UTC)
    eid = eid or event_id(finding_id, to_state)
    conn.execute(insert(finding_events).values(event_id=eid, finding_id=finding_id, from_state=from_state,
                                               to_state=to_state, actor=actor, reason=reason, detail=detail or {},
                                               occurred_at=now))
    return claims_pb2.FindingEvent(event_id=eid, finding_id=finding_id, from_state=from_state, to_state=to_state,
                                   actor=actor, reason=reason, occurred_at=now.isoformat())


def lock_institutions(conn: Connection, institutions: Sequence[str]) -> None:
    """Outbox writers for one institution take turns, so that its events' sequence numbers
    follow commit order and the relay delivers them in order."""
    for code in sorted(set(institutions)):
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('claims.outbox:' || :c))"), {"c": code})


def outbox_row(kind: str, eid: str, row: dict[str, Any], traceparent: str, finding: Any = None) -> dict[str, Any]:
    event = credit_pb2.Event(event_id=eid, kind=kind, institution_code=row["institution_code"],
                             doctor_code=row["doctor_code"], claim_id=row["claim_id"],
                             finding=finding if finding is not None else finding_to_proto(row),
                             occurred_at=datetime.now(UTC).isoformat(), traceparent=traceparent)
    return {"event_id": eid, "kind": kind, "institution_code": row["institution_code"],
            "payload": event.SerializeToString()}


def write_outbox(conn: Connection, kind: str, eid: str, row: dict[str, Any], traceparent: str,
                 finding: Any = None) -> None:
    conn.execute(insert(outbox).values(outbox_row(kind, eid, row, traceparent, finding)).on_conflict_do_nothing())


def bill_deductions(conn: Connection, claim_ids: Sequence[str], only_findings: set[str] | None = None
                    ) -> dict[str, BillDeduction]:
    """The deduction arithmetic for each claim over its confirmed post-event findings."""
    ids = sorted(set(claim_ids))
    if not ids:
        return {}
    line_rows = conn.execute(sa.select(fee_lines.c.claim_id, fee_lines.c.line_id, fee_lines.c.amount,
                                       fee_lines.c.original_line_id)
                             .where(fee_lines.c.claim_id.in_(ids))
                             .order_by(fee_lines.c.claim_id, fee_lines.c.service_date, fee_lines.c.line_id)).all()
    lines: dict[str, list[tuple[str, Decimal, str]]] = {}
    for r in line_rows:
        lines.setdefault(r.claim_id, []).append((r.line_id, r.amount, r.original_line_id))
    totals = {r.claim_id: r.total_amount for r in conn.execute(
        sa.select(claims.c.claim_id, claims.c.total_amount).where(claims.c.claim_id.in_(ids))).all()}
    # Once settled, the bill is what is still settled: a reversed settlement pays nothing.
    for r in conn.execute(sa.text(
            "SELECT claim_id, coalesce(sum(total_amount) FILTER (WHERE state = 'settled'), 0) AS paid "
            "FROM claims.settlements WHERE claim_id = ANY(:ids) GROUP BY claim_id"), {"ids": ids}):
        totals[r.claim_id] = r.paid
    confirmed = conn.execute(sa.select(findings.c.finding_id, findings.c.claim_id, findings.c.rule_id,
                                       findings.c.tier, findings.c.amount, findings.c.line_ids)
                             .where(findings.c.claim_id.in_(ids), findings.c.state == rules.CONFIRMED,
                                    findings.c.run_id.is_not(None))).all()
    by_claim: dict[str, list[ConfirmedFinding]] = {}
    for f in confirmed:
        if only_findings is None or f.finding_id in only_findings:
            by_claim.setdefault(f.claim_id, []).append(
                ConfirmedFinding(f.finding_id, f.rule_id, f.tier, f.amount, tuple(f.line_ids)))
    out: dict[str, BillDeduction] = {}
    for cid in ids:
        bill_lines = net_line_amounts(lines.get(cid, []))
        total = totals.get(cid)
        if total is None:  # not settled yet: the bill is what its lines add up to
            total = sum((ln.amount for ln in bill_lines), Decimal("0"))
        out[cid] = deduct_bill(cid, total, bill_lines, by_claim.get(cid, []))
    return out


def record_deductions(conn: Connection, claim_ids: Sequence[str]) -> int:
    """Recompute the claims' deductions; append a row and a deduction.made event for every
    finding whose deducted share changed."""
    bills = bill_deductions(conn, claim_ids)
    if not bills:
        return 0
    latest = {r.finding_id: r.amount for r in conn.execute(sa.text(
        "SELECT DISTINCT ON (finding_id) finding_id, amount FROM claims.deductions "
        "WHERE claim_id = ANY(:ids) ORDER BY finding_id, seq DESC"), {"ids": list(bills)})}
    changed: dict[str, Decimal] = {}
    for bill in bills.values():
        for fid, amount in bill.by_finding.items():
            if latest.get(fid) != amount:
                changed[fid] = amount
    shares = {fid for bill in bills.values() for fid in bill.by_finding}
    for fid, before in latest.items():
        if fid not in shares and before != 0:  # a larger finding took over its line
            changed[fid] = Decimal("0.00")
    if not changed:
        return 0
    rows = {r["finding_id"]: dict(r) for r in conn.execute(
        sa.select(findings).where(findings.c.finding_id.in_(list(changed)))).mappings()}
    lock_institutions(conn, [r["institution_code"] for r in rows.values()])
    parents = traceparents(conn, [r["claim_id"] for r in rows.values()])
    for fid in sorted(changed):
        row = rows[fid]
        seq = conn.execute(insert(deductions).values(finding_id=fid, claim_id=row["claim_id"],
                                                     institution_code=row["institution_code"],
                                                     amount=changed[fid]).returning(deductions.c.seq)).scalar_one()
        # For deduction.made the event's finding carries the amount now deducted for it.
        finding = finding_to_proto(row)
        finding.amount.CopyFrom(money(changed[fid]))
        with claim_step("claims.deduction", row, parents.get(row["claim_id"], ""),
                        {"fundguard.deducted": str(changed[fid])}):
            pass
        write_outbox(conn, "deduction.made", f"deduction-{seq}", row, parents.get(row["claim_id"], ""), finding)
    return len(changed)


class Cycle:
    def __init__(self, engine: Engine, wake_relay: Any = None) -> None:
        self.engine = engine
        self.wake_relay = wake_relay or (lambda: None)

    # ---- publish -----------------------------------------------------------------------
    def runs_to_publish(self, conn: Connection, period: str) -> list[str]:
        """The latest finished run of the period, with its sibling partitions' latest runs."""
        last = conn.execute(sa.select(audit_runs).where(audit_runs.c.period == period, audit_runs.c.state == "done")
                            .order_by(audit_runs.c.finished_at.desc()).limit(1)).mappings().first()
        if last is None:
            return []
        rows = conn.execute(sa.text(
            "SELECT DISTINCT ON (partition) run_id FROM claims.audit_runs WHERE period = :p AND state = 'done' "
            "AND rule_pack_version = :v AND partitions = :n ORDER BY partition, finished_at DESC"),
            {"p": period, "v": last["rule_pack_version"], "n": last["partitions"]}).scalars().all()
        return list(rows)

    def publish(self, req: claims_pb2.PublishFindingsRequest) -> claims_pb2.PublishFindingsResponse:
        start, end = rules.month_bounds(req.period)
        if not req.actor:
            raise InvalidArgument([FieldViolation("actor", "who publishes is required")])
        with self.engine.begin() as conn:
            answer = stored_answer(conn, req.request_id, "publish")
            if answer is not None:
                replay = claims_pb2.PublishFindingsResponse.FromString(answer)
                replay.replayed = True
                return replay
            runs = [req.run_id] if req.run_id else self.runs_to_publish(conn, req.period)
            if req.run_id and conn.execute(sa.select(audit_runs.c.state).where(
                    audit_runs.c.run_id == req.run_id)).scalar() != "done":
                raise InvalidArgument([FieldViolation("run_id", f"run {req.run_id} is not a finished audit run")])
            today = business_today()
            deadline = rules.appeal_deadline(today, appeal_days())
            params = {"runs": runs, "start": start, "end": end, "inst": req.institution_code,
                      "deadline": deadline, "actor": req.actor, "suffix": ":published",
                      "reason": f"{req.period} 审核结果公布，申诉截止 {deadline.isoformat()}"}
            moved = conn.execute(sa.text("""
                WITH moved AS (
                    UPDATE claims.findings SET state = 'published', published_at = now(), appeal_deadline = :deadline
                    WHERE run_id = ANY(:runs) AND state = 'found' AND service_date >= :start AND service_date < :end
                      AND (:inst = '' OR institution_code = :inst)
                    RETURNING finding_id)
                INSERT INTO claims.finding_events (event_id, finding_id, from_state, to_state, actor, reason)
                SELECT 'E' || left(encode(sha256(convert_to(finding_id || :suffix, 'UTF8')), 'hex'), 32),
                       finding_id, 'found', 'published', :actor, :reason FROM moved
                RETURNING finding_id
            """), params).scalars().all()
            published = conn.execute(sa.select(findings.c.claim_id, findings.c.institution_code,
                                               sa.func.count().label("n"))
                                     .where(findings.c.finding_id.in_(moved))
                                     .group_by(findings.c.claim_id, findings.c.institution_code)).mappings().all()
            parents = traceparents(conn, [r["claim_id"] for r in published])
            for row in published:  # one span per claim with published findings, not per finding
                with claim_step("claims.publish", dict(row), parents.get(row["claim_id"], ""),
                                {telemetry.FINDINGS: row["n"], "fundguard.period": req.period}):
                    pass
            out = claims_pb2.PublishFindingsResponse(published=len(moved), appeal_deadline=deadline.isoformat(),
                                                     run_ids=runs)
            remember_answer(conn, req.request_id, "publish", out.SerializeToString())
        return out

    # ---- appeal and review ---------------------------------------------------------------
    def _finding(self, conn: Connection, finding_id: str) -> dict[str, Any]:
        row = conn.execute(sa.select(findings).where(findings.c.finding_id == finding_id).with_for_update()
                           ).mappings().first()
        if row is None:
            raise NotFound(f"finding {finding_id} not found")
        return dict(row)

    def _replayed_event(self, conn: Connection, request_id: str, kind: str) -> claims_pb2.FindingEvent | None:
        answer = stored_answer(conn, request_id, kind)
        return None if answer is None else claims_pb2.FindingEvent.FromString(answer)

    def appeal(self, req: claims_pb2.AppealFindingRequest) -> claims_pb2.FindingEvent:
        with self.engine.begin() as conn:
            replay = self._replayed_event(conn, req.request_id, "appeal")
            if replay is not None:
                return replay
            f = self._finding(conn, req.finding_id)
            rules.check_appeal(req.finding_id, f["state"], f["institution_code"], req.institution_code,
                               f["appeal_deadline"], business_today(), req.reason)
            conn.execute(sa.update(findings).where(findings.c.finding_id == req.finding_id)
                         .values(state=rules.APPEALED))
            with claim_step("claims.appeal", f, traceparents(conn, [f["claim_id"]]).get(f["claim_id"], "")):
                pass
            ev = append_event(conn, req.finding_id, f["state"], rules.APPEALED, req.actor or req.institution_code,
                              req.reason, {"evidence_refs": list(req.evidence_refs),
                                           "institution_code": req.institution_code})
            remember_answer(conn, req.request_id, "appeal", ev.SerializeToString())
        return ev

    def review(self, req: claims_pb2.ReviewAppealRequest) -> claims_pb2.FindingEvent:
        problems = []
        target = rules.DECISIONS.get(req.decision)
        if target is None:
            problems.append(FieldViolation("decision", f"must be upheld or overturned, got {req.decision!r}"))
        if not req.reason.strip():
            problems.append(FieldViolation("reason", "a review needs a reason"))
        if not req.reviewer:
            problems.append(FieldViolation("reviewer", "required"))
        if problems:
            raise InvalidArgument(problems)
        assert target is not None
        with self.engine.begin() as conn:
            replay = self._replayed_event(conn, req.request_id, "review")
            if replay is not None:
                return replay
            f = self._finding(conn, req.finding_id)
            if f["state"] != rules.APPEALED:
                raise InvalidArgument([FieldViolation("finding_id", f"finding {req.finding_id} is {f['state']}; "
                                                                    "only an appealed finding can be reviewed")])
            lock_institutions(conn, [f["institution_code"]])
            conn.execute(sa.update(findings).where(findings.c.finding_id == req.finding_id).values(state=target))
            ev = append_event(conn, req.finding_id, f["state"], target, req.reviewer, req.reason,
                              {"decision": req.decision})
            f["state"] = target
            parent = traceparents(conn, [f["claim_id"]]).get(f["claim_id"], "")
            with claim_step("claims.review", f, parent, {"fundguard.decision": req.decision}):
                pass
            kind = "finding.confirmed" if target == rules.CONFIRMED else "finding.overturned"
            write_outbox(conn, kind, f"{req.finding_id}.{target}", f, parent)
            record_deductions(conn, [f["claim_id"]])
            remember_answer(conn, req.request_id, "review", ev.SerializeToString())
        self.wake_relay()
        return ev

    # ---- the deadline --------------------------------------------------------------------
    def confirm_due(self, req: claims_pb2.ConfirmDueFindingsRequest) -> claims_pb2.ConfirmDueFindingsResponse:
        problems: list[FieldViolation] = []
        as_of = date_or_none(req.as_of, "as_of", problems) or business_today()
        if problems:
            raise InvalidArgument(problems)
        with self.engine.connect() as conn:
            answer = stored_answer(conn, req.request_id, "confirm_due")
        if answer is not None:
            replay = claims_pb2.ConfirmDueFindingsResponse.FromString(answer)
            replay.replayed = True
            return replay
        confirmed = 0
        while True:  # in batches, each its own transaction, so a province-sized month never holds one lock
            with self.engine.begin() as conn:
                due = conn.execute(sa.select(findings.c.finding_id, findings.c.institution_code)
                                   .where(findings.c.state == rules.PUBLISHED, findings.c.appeal_deadline < as_of)
                                   .order_by(findings.c.institution_code, findings.c.finding_id)
                                   .limit(CONFIRM_BATCH)).all()
                if not due:
                    break
                lock_institutions(conn, [d.institution_code for d in due])
                updated = conn.execute(
                    sa.update(findings).where(findings.c.finding_id.in_([d.finding_id for d in due]),
                                              findings.c.state == rules.PUBLISHED)
                    .values(state=rules.CONFIRMED).returning(*findings.c)).mappings().all()
                rows = sorted((dict(r) for r in updated), key=lambda r: (r["institution_code"], r["finding_id"]))
                parents = traceparents(conn, [r["claim_id"] for r in rows])
                if not rows:  # another process confirmed them meanwhile
                    continue
                for r in rows:
                    with claim_step("claims.confirm", r, parents.get(r["claim_id"], ""), {"fundguard.as_of": str(as_of)}):
                        pass
                # One cached statement each for the batch's events and outbox rows (executemany).
                now = datetime.now(UTC)
                conn.execute(insert(finding_events), [
                    {"event_id": event_id(r["finding_id"], rules.CONFIRMED), "finding_id": r["finding_id"],
                     "from_state": rules.PUBLISHED, "to_state": rules.CONFIRMED, "actor": "system",
                     "reason": f"未在申诉期内申诉（截止 {r['appeal_deadline'].isoformat()}），自动确认",
                     "detail": {"as_of": as_of.isoformat()}, "occurred_at": now} for r in rows])
                conn.execute(insert(outbox).on_conflict_do_nothing(), [
                    outbox_row("finding.confirmed", f"{r['finding_id']}.confirmed", r, parents.get(r["claim_id"], ""))
                    for r in rows])
                record_deductions(conn, [r["claim_id"] for r in rows])
                confirmed += len(rows)
        out = claims_pb2.ConfirmDueFindingsResponse(confirmed=confirmed)
        if req.request_id:
            with self.engine.begin() as conn:
                remember_answer(conn, req.request_id, "confirm_due", out.SerializeToString())
        self.wake_relay()
        return out

    # ---- statement and history -------------------------------------------------------------
    def statement(self, institution_code: str, period: str) -> claims_pb2.DeductionStatement:
        start, end = rules.month_bounds(period)
        if not institution_code:
            raise InvalidArgument([FieldViolation("institution_code", "required")])
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(findings.c.finding_id, findings.c.claim_id).where(
                findings.c.institution_code == institution_code, findings.c.state == rules.CONFIRMED,
                findings.c.run_id.is_not(None), findings.c.service_date >= start, findings.c.service_date < end)).all()
            bills = bill_deductions(conn, [r.claim_id for r in rows], {r.finding_id for r in rows})
        return statement_from(institution_code, period, bills)

    def events(self, finding_id: str, limit: int, after: int) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(
                sa.select(finding_events).where(finding_events.c.finding_id == finding_id, finding_events.c.seq > after)
                .order_by(finding_events.c.seq).limit(limit)).mappings()]


def statement_from(institution_code: str, period: str, bills: dict[str, BillDeduction]
                   ) -> claims_pb2.DeductionStatement:
    out = claims_pb2.DeductionStatement(institution_code=institution_code, period=period)
    total = Decimal("0.00")
    for cid in sorted(bills):
        out.lines.extend(deduction_lines(bills[cid]))
        total += bills[cid].deducted
    out.total.CopyFrom(money(total))
    return out


def deduction_lines(bill: BillDeduction) -> list[claims_pb2.DeductionLine]:
    """One line per fee line with findings, then the bill's own line (bill-level findings and
    the cap at the bill's total) whenever it changes the sum; the deducted column adds up
    to the bill's deduction."""
    out = [claims_pb2.DeductionLine(claim_id=bill.claim_id, line_id=d.line_id, finding_ids=list(d.finding_ids),
                                    line_amount=money(d.line_amount), largest_finding=money(d.largest_finding),
                                    deducted=money(d.deducted), how=d.how) for d in bill.lines]
    line_sum = sum((d.deducted for d in bill.lines), Decimal("0.00"))
    bill_findings = [fid for fid in bill.by_finding if not any(fid in d.finding_ids for d in bill.lines)]
    if bill.deducted != line_sum or bill_findings:
        out.append(claims_pb2.DeductionLine(claim_id=bill.claim_id, line_id="", finding_ids=bill_findings,
                                            line_amount=money(bill.bill_total), largest_finding=money(None),
                                            deducted=money(bill.deducted - line_sum),
                                            how=f"bill: {bill.how}; bill deduction {bill.deducted}"))
    return out
