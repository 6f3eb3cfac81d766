"""Credit storage: the idempotent inbox, append-only ledgers and decisions, cases and feeds,
and the indicator aggregates.

Each delivered event is processed into the ledgers in the same transaction as its inbox
insert, so an event is either stored and processed or neither. Work on one institution or
staff member is serialised with transaction-scoped advisory locks.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection, Engine

from fundguard.runtime import telemetry
from fundguard.runtime.errors import FieldViolation, InvalidArgument, NotFound
from services.credit.domain import ledger as L
from services.credit.domain.cases import fine, mask_identity, threshold_band
from services.credit.domain.indicators import DoctorRow, Item, PeriodRow, combine, months_of
from services.credit.domain.policy import Policy
from services.credit.pii import IdentityVault
from services.credit.store.tables import (
    access_log,
    case_events,
    case_findings,
    case_subjects,
    cases,
    decisions,
    feed_cursors,
    feed_events,
    findings,
    inbox,
    indicator_items,
    indicator_rows,
    ledger_entries,
    referrals,
    requests,
    sanction_calls,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
STAFF_KINDS = ("staff_suspension", "staff_termination")
INSTITUTION_KINDS = ("order_to_correct", "public_criticism", "suspension", "termination")
SYSTEM = "credit"
_CALLS_WRITTEN = "credit.calls_written"   # staff codes with new sanction calls in this transaction


def business_date(at: datetime | None) -> date:
    """The Asia/Shanghai business date of a UTC time (today when unknown)."""
    return (at or datetime.now(UTC)).astimezone(SHANGHAI).date()


def _lock(conn: Connection, key: str) -> None:
    conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": key})


def _dec(value: Any) -> Decimal:
    try:
        return Decimal(str(value or "0"))
    except ArithmeticError:
        return Decimal(0)


def _not_withdrawn() -> Any:
    w = decisions.alias("w")
    return ~sa.exists(sa.select(w.c.decision_id).where(w.c.withdraws == decisions.c.decision_id))


class CreditStore:
    def __init__(self, engine: Engine, policy: Policy | None = None, vault: IdentityVault | None = None) -> None:
        from services.credit.domain import policy as policy_module

        self.engine = engine
        self.policy = policy or policy_module.load()
        self.vault = vault

    # ------------------------------------------------------------------ events in
    def receive(self, events: Sequence[dict[str, Any]]) -> tuple[int, set[str]]:
        """Store events not seen before and process them into the ledgers; return how many were
        new and the staff members for whom calls to physician_codes were written."""
        if not events:
            return 0, set()
        with self.engine.begin() as conn:
            # executemany with a cached statement: SQLAlchemy batches it into multi-row INSERTs
            # without compiling a new statement for every batch size.
            new = set(conn.execute(
                insert(inbox).on_conflict_do_nothing(index_elements=[inbox.c.event_id]).returning(inbox.c.event_id),
                list(events)).scalars())
            self._lock_subjects(conn, [e for e in events if e["event_id"] in new])
            # In order per institution: by institution, then by when the event happened.
            todo = sorted((e for e in events if e["event_id"] in new),
                          key=lambda e: (e["institution_code"], e["occurred_at"] or datetime.min.replace(tzinfo=UTC),
                                         e["event_id"]))
            seen: set[str] = set()
            touched: dict[tuple[str, str, int], str] = {}   # (ledger, subject, year) -> person
            run: list[dict[str, Any]] = []   # consecutive confirmations, stored together
            for e in todo:
                if e["event_id"] in seen:
                    continue
                seen.add(e["event_id"])
                self._span(e)
                if e["kind"] == "finding.confirmed":
                    run.append(e)
                    continue
                self._confirm_all(conn, run, touched)
                run = []
                if e["kind"] == "finding.overturned":
                    self._overturned(conn, e, touched)
                # deduction.made is kept in the inbox only: money is claims' ledger.
            self._confirm_all(conn, run, touched)
            # What follows from the points is derived once per subject and year, after the batch.
            self._reconcile(conn, touched)
            if new:
                conn.execute(sa.update(inbox).where(inbox.c.event_id.in_(sorted(new)))
                             .values(processed_at=sa.func.now()))
            return len(new), conn.info.pop(_CALLS_WRITTEN, set())

    def _lock_subjects(self, conn: Connection, events: Sequence[dict[str, Any]]) -> None:
        """Take every institution and staff lock the batch will need, up front and in one global
        order, so two concurrent deliveries can never wait on each other in a cycle."""
        keys = {"institution:" + e["institution_code"] for e in events}
        keys |= {"staff:" + e["doctor_code"] for e in events if e["doctor_code"]}
        overturned = [e["payload"].get("finding", {}).get("findingId", "") for e in events
                      if e["kind"] == "finding.overturned"]
        if overturned:
            keys |= {f"{ledger}:{subject}" for ledger, subject in conn.execute(
                sa.select(ledger_entries.c.ledger, ledger_entries.c.subject)
                .where(ledger_entries.c.finding_id.in_(overturned)).distinct()).all()}
        if keys:
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(k)) FROM unnest(CAST(:keys AS text[])) AS k"),
                         {"keys": sorted(keys)})

    @staticmethod
    def _span(e: dict[str, Any]) -> None:
        """A span per event, linked to the claim's own trace, so the claim's whole life shows in
        one query (`fundguard trace CLAIM_ID`)."""
        finding = e["payload"].get("finding", {})
        with telemetry.claim_step("credit.process_event", e["claim_id"], e["payload"].get("traceparent", ""), {
                telemetry.INSTITUTION_CODE: e["institution_code"], telemetry.DOCTOR_CODE: e["doctor_code"],
                telemetry.FINDING_ID: finding.get("findingId", ""), telemetry.RULE_ID: finding.get("ruleId", ""),
                "fundguard.event_kind": e["kind"]}):
            pass

    def _facts(self, e: dict[str, Any]) -> L.FindingFacts:
        f = e["payload"].get("finding", {})
        return L.FindingFacts(
            finding_id=f.get("findingId", ""), rule_id=f.get("ruleId", ""), national_code=f.get("nationalCode", ""),
            tier=f.get("tier", ""), result_type=f.get("resultType", ""),
            amount=_dec(f.get("amount", {}).get("amount")),
            institution_code=f.get("institutionCode") or e["institution_code"],
            doctor_code=f.get("doctorCode") or e["doctor_code"],
            responsibility=e["payload"].get("responsibility", ""),
        )

    def _confirm_all(self, conn: Connection, events: Sequence[dict[str, Any]],
                     touched: dict[tuple[str, str, int], str]) -> None:
        """Confirmed findings in two multi-row statements: the findings upserted (a finding already
        confirmed is left alone and counts once), then the ledger entries of those that changed."""
        rows: dict[str, dict[str, Any]] = {}
        facts: dict[str, tuple[L.FindingFacts, dict[str, Any]]] = {}
        for e in events:
            fa = self._facts(e)
            if fa.finding_id in rows:
                continue   # confirmed twice in one batch: once
            f = e["payload"].get("finding", {})
            on = business_date(e["occurred_at"])
            rows[fa.finding_id] = {
                "finding_id": fa.finding_id, "institution_code": fa.institution_code, "doctor_code": fa.doctor_code,
                "patient_id": f.get("patientId", ""), "rule_id": fa.rule_id, "amount": fa.amount,
                "fraud": self.policy.is_fraud(fa.rule_id, fa.national_code), "state": "confirmed",
                "confirmed_on": on, "payload": f}
            facts[fa.finding_id] = (fa, e)
        if not rows:
            return
        stmt = insert(findings)
        changed = set(conn.execute(stmt.on_conflict_do_update(
            index_elements=[findings.c.finding_id],
            set_={c.name: stmt.excluded[c.name] for c in findings.columns if c.name not in ("finding_id", "updated_at")}
            | {"updated_at": sa.func.now()},
            where=findings.c.state != "confirmed").returning(findings.c.finding_id), list(rows.values())).scalars())
        entries = []
        for finding_id in rows:
            if finding_id not in changed:
                continue
            fa, e = facts[finding_id]
            on = rows[finding_id]["confirmed_on"]
            person = e["payload"].get("decidedBy", "")
            cause = f"finding {fa.finding_id} ({fa.rule_id}, {fa.tier}/{fa.result_type}, {fa.amount} yuan)"
            inst_points = L.institution_points(self.policy, fa)
            if inst_points:
                entries.append(self._entry_row("institution", fa.institution_code, on, inst_points, cause,
                                               e["event_id"], fa.finding_id, person))
                touched[("institution", fa.institution_code, on.year)] = person
            if fa.doctor_code:
                entries.append(self._entry_row(
                    "staff", fa.doctor_code, on, L.staff_points(self.policy, fa),
                    f"{cause}, responsibility {fa.responsibility or self.policy.default_responsibility}",
                    e["event_id"], fa.finding_id, person))
                touched[("staff", fa.doctor_code, on.year)] = person
        if entries:
            conn.execute(sa.insert(ledger_entries).returning(ledger_entries.c.entry_id),
                         entries)
        for finding_id in rows:
            if finding_id in changed and rows[finding_id]["fraud"]:
                fa, e = facts[finding_id]
                self._attach_to_case(conn, fa, rows[finding_id]["patient_id"], e)

    def _overturned(self, conn: Connection, e: dict[str, Any], touched: dict[tuple[str, str, int], str]) -> None:
        finding_id = e["payload"].get("finding", {}).get("findingId", "")
        person = e["payload"].get("decidedBy", "")
        reason = e["payload"].get("reason", "") or "finding overturned on appeal"
        conn.execute(sa.update(findings).where(findings.c.finding_id == finding_id)
                     .values(state="overturned", updated_at=sa.func.now()))
        rev = ledger_entries.alias("rev")
        live = conn.execute(
            sa.select(ledger_entries).where(
                ledger_entries.c.finding_id == finding_id, ledger_entries.c.reverses_entry_id.is_(None),
                ~sa.exists(sa.select(rev.c.entry_id).where(rev.c.reverses_entry_id == ledger_entries.c.entry_id)))
        ).mappings().all()
        if live:
            conn.execute(sa.insert(ledger_entries).values([
                self._entry_row(entry["ledger"], entry["subject"], entry["on_date"], -entry["points"],
                                f"reversal of entry {entry['entry_id']}: {reason}", e["event_id"], finding_id, person,
                                reverses=entry["entry_id"], year=entry["year"]) for entry in live]))
        for entry in live:
            touched[(entry["ledger"], entry["subject"], entry["year"])] = person
        for (case_id,) in conn.execute(sa.select(case_findings.c.case_id)
                                       .where(case_findings.c.finding_id == finding_id)).all():
            self._case_event(conn, case_id, "finding.overturned", f"finding {finding_id}: {reason}", person)
            self._publish_update(conn, case_id)

    def reverse_entry(self, entry_id: int, person: str, reason: str) -> dict[str, Any]:
        """Take one entry back on appeal; return the reversal (the existing one when repeated)."""
        with self.engine.begin() as conn:
            entry = conn.execute(sa.select(ledger_entries).where(ledger_entries.c.entry_id == entry_id)).mappings().first()
            if entry is None:
                raise NotFound(f"ledger entry {entry_id} not found")
            if entry["reverses_entry_id"] is not None:
                raise InvalidArgument([FieldViolation("entry_id", "is itself a reversal")])
            _lock(conn, f"{entry['ledger']}:{entry['subject']}")
            existing = conn.execute(sa.select(ledger_entries).where(
                ledger_entries.c.reverses_entry_id == entry_id)).mappings().first()
            if existing is None:
                conn.execute(sa.insert(ledger_entries).values(self._entry_row(
                    entry["ledger"], entry["subject"], entry["on_date"], -entry["points"],
                    f"reversal of entry {entry_id} on appeal: {reason}", entry["event_id"], entry["finding_id"],
                    person, reverses=entry_id, year=entry["year"])))
                self._reconcile(conn, {(entry["ledger"], entry["subject"], entry["year"]): person})
            conn.info.pop(_CALLS_WRITTEN, None)
            return dict(conn.execute(sa.select(ledger_entries).where(
                ledger_entries.c.reverses_entry_id == entry_id)).mappings().one())

    @staticmethod
    def _entry_row(ledger: str, subject: str, on: date, points: int, cause: str, event_id: str | None,
                   finding_id: str, person: str, reverses: int | None = None,
                   year: int | None = None) -> dict[str, Any]:
        return {"ledger": ledger, "subject": subject, "year": year or on.year, "points": points, "cause": cause,
                "event_id": event_id, "finding_id": finding_id, "on_date": on, "reverses_entry_id": reverses,
                "person": person}

    def _reconcile(self, conn: Connection, touched: Mapping[tuple[str, str, int], str]) -> None:
        """Derive what each touched subject deserves in each touched year and bring the decisions
        in line: a few statements for the whole batch, whatever its size."""
        if not touched:
            return
        keys = sorted(touched)
        entries: dict[tuple[str, str, int], list[L.Entry]] = {k: [] for k in keys}
        le = ledger_entries.c
        for r in conn.execute(sa.select(le.ledger, le.subject, le.year, le.entry_id, le.points, le.on_date,
                                        le.recorded_at, le.reverses_entry_id)
                              .where(le.subject.in_(sorted({k[1] for k in keys})),   # lets the index serve
                                     sa.tuple_(le.ledger, le.subject, le.year).in_(keys)).order_by(le.entry_id)):
            entries[(r.ledger, r.subject, r.year)].append(
                L.Entry(r.entry_id, r.points, r.on_date or r.recorded_at.date(), "", r.reverses_entry_id))
        active: dict[tuple[str, int], list[dict[str, Any]]] = {}
        for row in conn.execute(sa.select(decisions).where(
                decisions.c.subject.in_(sorted({k[1] for k in keys})),
                sa.tuple_(decisions.c.subject, decisions.c.year).in_([(s, y) for _, s, y in keys]),
                decisions.c.kind.in_((*STAFF_KINDS, *INSTITUTION_KINDS)), _not_withdrawn())).mappings():
            active.setdefault((row["subject"], row["year"]), []).append(dict(row))
        new_decisions: list[dict[str, Any]] = []
        calls: list[dict[str, Any]] = []
        for key in keys:
            ledger, subject, year = key
            person = touched[key]
            kinds = STAFF_KINDS if ledger == "staff" else INSTITUTION_KINDS
            if ledger == "staff":
                deserved = L.staff_deserved(self.policy, subject, year, entries[key])
            else:
                deserved = L.institution_deserved(self.policy, subject, year, entries[key])
            have = {r["decision_id"]: r for r in active.get((subject, year), []) if r["kind"] in kinds}
            add, withdraw = L.reconcile(deserved, have)
            for decision in withdraw:
                wid = L.decision_id(decision, "withdrawal")
                new_decisions.append({
                    "decision_id": wid, "subject_kind": ledger, "subject": subject, "year": year,
                    "kind": "withdrawal", "start_date": business_date(None), "end_date": None,
                    "cause": "no longer supported by the points ledger", "decided_by": person or SYSTEM,
                    "withdraws": decision, "entry_id": None, "detail": {"withdrawn_kind": have[decision]["kind"]}})
                if ledger == "staff":
                    calls.append({"call_id": wid, "decision_id": decision, "staff_code": subject, "method": "lift",
                                  "request": {"decision_id": decision, "lift_decision_id": wid, "decided_by": SYSTEM,
                                              "reason": "points taken back: the finding behind them was overturned"}})
            for d in add:
                new_decisions.append({
                    "decision_id": d.decision_id, "subject_kind": ledger, "subject": subject, "year": year,
                    "kind": d.kind, "start_date": d.start, "end_date": d.end, "cause": d.cause,
                    "decided_by": person or SYSTEM, "withdraws": None, "entry_id": d.entry_id,
                    "detail": {"points": d.points}})
                end = d.end.isoformat() if d.end else ""
                if d.kind == "staff_suspension":
                    calls.append({"call_id": d.decision_id, "decision_id": d.decision_id, "staff_code": subject,
                                  "method": "suspend", "request": {
                                      "decision_id": d.decision_id, "staff_code": subject,
                                      "start_date": d.start.isoformat(), "end_date": end, "reason": d.cause,
                                      "decided_by": SYSTEM}})
                elif d.kind == "staff_termination":
                    calls.append({"call_id": d.decision_id, "decision_id": d.decision_id, "staff_code": subject,
                                  "method": "terminate", "request": {
                                      "decision_id": d.decision_id, "staff_code": subject,
                                      "effective_date": d.start.isoformat(), "ban_until": end, "reason": d.cause,
                                      "decided_by": SYSTEM}})
        # RETURNING makes SQLAlchemy send multi-row INSERTs (insertmanyvalues) instead of one per row.
        if new_decisions:
            conn.execute(insert(decisions).on_conflict_do_nothing(index_elements=[decisions.c.decision_id])
                         .returning(decisions.c.decision_id), new_decisions)
        if calls:
            # Written in decision order (rows of one multi-row VALUES get their seq in order).
            conn.execute(insert(sanction_calls).on_conflict_do_nothing(index_elements=[sanction_calls.c.call_id])
                         .returning(sanction_calls.c.seq), calls)
            conn.info.setdefault(_CALLS_WRITTEN, set()).update(c["staff_code"] for c in calls)

    def _active_ids(self, conn: Connection, subject: str, year: int, kinds: Sequence[str]) -> list[str]:
        return list(conn.execute(sa.select(decisions.c.decision_id).where(
            decisions.c.subject == subject, decisions.c.year == year, decisions.c.kind.in_(kinds), _not_withdrawn()))
            .scalars())

    def _withdraw(self, conn: Connection, decision: str, person: str, cause: str) -> str:
        old = conn.execute(sa.select(decisions).where(decisions.c.decision_id == decision)).mappings().one()
        wid = L.decision_id(decision, "withdrawal")
        conn.execute(insert(decisions).values(
            decision_id=wid, subject_kind=old["subject_kind"], subject=old["subject"], year=old["year"],
            kind="withdrawal", start_date=business_date(None), cause=cause, decided_by=person or SYSTEM, withdraws=decision,
            detail={"withdrawn_kind": old["kind"]}).on_conflict_do_nothing(index_elements=[decisions.c.decision_id]))
        return wid

    # ------------------------------------------------------------------ outbound calls
    def pending_calls(self, staff: Iterable[str] | None = None, limit: int = 500) -> list[dict[str, Any]]:
        q = sa.select(sanction_calls).where(sanction_calls.c.state == "pending")
        if staff is not None:
            q = q.where(sanction_calls.c.staff_code.in_(list(staff)))
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(q.order_by(sanction_calls.c.seq).limit(limit)).mappings()]

    def pending_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(sanction_calls)
                                    .where(sanction_calls.c.state == "pending")).scalar_one())

    def mark_call(self, call_id: str, state: str, error: str = "") -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.update(sanction_calls).where(sanction_calls.c.call_id == call_id).values(
                state=state, last_error=error, attempts=sanction_calls.c.attempts + 1, updated_at=sa.func.now()))

    def calls(self, staff: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(sa.select(sanction_calls).where(
                sanction_calls.c.staff_code == staff).order_by(sanction_calls.c.seq)).mappings()]

    # ------------------------------------------------------------------ ledgers and decisions
    def ledger(self, subject: str, year: int | None, limit: int, after: int) -> list[dict[str, Any]]:
        q = sa.select(ledger_entries).where(ledger_entries.c.subject == subject, ledger_entries.c.entry_id > after)
        if year is not None:
            q = q.where(ledger_entries.c.year == year)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(q.order_by(ledger_entries.c.entry_id).limit(limit)).mappings()]

    def total_points(self, subject: str, year: int | None) -> int:
        q = sa.select(sa.func.coalesce(sa.func.sum(ledger_entries.c.points), 0)).where(ledger_entries.c.subject == subject)
        if year is not None:
            q = q.where(ledger_entries.c.year == year)
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())

    def decisions(self, subject: str, year: int, limit: int, after: str) -> list[dict[str, Any]]:
        """Decisions in recording order (page key: recorded_at|decision_id)."""
        withdrawn = decisions.alias("wd")
        is_active = ~sa.exists(sa.select(withdrawn.c.decision_id).where(withdrawn.c.withdraws == decisions.c.decision_id))
        last_call = (sa.select(sanction_calls.c.state, sanction_calls.c.last_error)
                     .where(sanction_calls.c.call_id == decisions.c.decision_id).lateral("c"))
        q = (sa.select(decisions, is_active.label("active"), last_call.c.state.label("dispatch_state"),
                       last_call.c.last_error.label("dispatch_error"))
             .select_from(decisions.outerjoin(last_call, sa.true())))
        if subject:
            q = q.where(decisions.c.subject == subject)
        if year:
            q = q.where(decisions.c.year == year)
        if after:
            at, _, did = after.partition("|")
            q = q.where(sa.tuple_(decisions.c.recorded_at, decisions.c.decision_id)
                        > sa.tuple_(sa.literal(datetime.fromisoformat(at)), sa.literal(did)))
        q = q.order_by(decisions.c.recorded_at, decisions.c.decision_id).limit(limit)
        with self.engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(q).mappings()]
        for r in rows:
            r["page_key"] = f"{r['recorded_at'].isoformat()}|{r['decision_id']}"
        return rows

    def active_decisions(self, subject: str, year: int | None = None,
                         kinds: Sequence[str] | None = None) -> list[dict[str, Any]]:
        q = sa.select(decisions).where(decisions.c.kind != "withdrawal", _not_withdrawn())
        if subject:
            q = q.where(decisions.c.subject == subject)
        if year:
            q = q.where(decisions.c.year == year)
        if kinds:
            q = q.where(decisions.c.kind.in_(kinds))
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(q.order_by(decisions.c.recorded_at, decisions.c.decision_id))
                    .mappings()]

    def subject_kind(self, subject: str) -> str:
        with self.engine.connect() as conn:
            kind = conn.execute(sa.select(ledger_entries.c.ledger).where(ledger_entries.c.subject == subject)
                                .limit(1)).scalar_one_or_none()
            if kind is None:
                kind = conn.execute(sa.select(decisions.c.subject_kind).where(decisions.c.subject == subject)
                                    .limit(1)).scalar_one_or_none()
        return kind or ("institution" if subject[:1] in ("H", "P") else "staff")

    def blacklist(self, today: date) -> list[dict[str, Any]]:
        """Institutions and staff under a suspension in force today, or terminated."""
        rows = self.active_decisions("", None, ("suspension", "termination", *STAFF_KINDS))
        out = []
        for r in rows:
            if r["kind"] in ("suspension", "staff_suspension") and r["end_date"] and r["end_date"] < today:
                continue
            out.append(r)
        return out

    def institution_names(self, codes: Iterable[str]) -> dict[str, str]:
        with self.engine.connect() as conn:
            return {c: n for c, n in conn.execute(
                sa.select(indicator_rows.c.institution_code, indicator_rows.c.name)
                .where(indicator_rows.c.institution_code.in_(list(codes)), indicator_rows.c.name != "")
                .order_by(indicator_rows.c.period)).all()}

    def assess(self, year: int, extra: Sequence[str], person: str) -> list[dict[str, Any]]:
        """Grade every institution with points that year (and ``extra``); end the agreement after
        the policy's number of failing years in a row. Re-running is safe: ids are derived."""
        out = []
        with self.engine.begin() as conn:
            codes = set(conn.execute(sa.select(ledger_entries.c.subject).where(
                ledger_entries.c.ledger == "institution", ledger_entries.c.year == year).distinct()).scalars())
            codes |= set(extra)
            for code in sorted(codes):
                _lock(conn, "institution:" + code)
                points = int(conn.execute(sa.select(sa.func.coalesce(sa.func.sum(ledger_entries.c.points), 0)).where(
                    ledger_entries.c.ledger == "institution", ledger_entries.c.subject == code,
                    ledger_entries.c.year == year)).scalar_one())
                grade = L.assess(self.policy, points)
                gid = L.decision_id(code, year, "grade", points)
                for old in self._active_ids(conn, code, year, ("grade",)):
                    if old != gid:
                        self._withdraw(conn, old, person, "re-assessed")
                conn.execute(insert(decisions).values(
                    decision_id=gid, subject_kind="institution", subject=code, year=year, kind="grade",
                    start_date=date(year + 1, 1, 1), end_date=date(year + 1, 12, 31),
                    cause=f"annual assessment {year}: {points} points, score {grade.score}",
                    decided_by=person or SYSTEM,
                    detail={"grade": grade.grade, "score": grade.score, "points": points, "failing": grade.failing,
                            "prepayment_ratio": str(grade.prepayment_ratio)})
                    .on_conflict_do_nothing(index_elements=[decisions.c.decision_id]))
                failing_run = 0
                for y in range(year, year - self.policy.failing_years_to_terminate, -1):
                    g = conn.execute(sa.select(decisions.c.detail).where(
                        decisions.c.subject == code, decisions.c.year == y, decisions.c.kind == "grade",
                        _not_withdrawn())).scalar_one_or_none()
                    if g and g.get("failing"):
                        failing_run += 1
                ended = failing_run >= self.policy.failing_years_to_terminate
                tid = L.decision_id(code, year, "termination", "failing-years")
                if ended:
                    conn.execute(insert(decisions).values(
                        decision_id=tid, subject_kind="institution", subject=code, year=year, kind="termination",
                        start_date=date(year + 1, 1, 1), cause=f"{failing_run} failing years in a row to {year}",
                        decided_by=person or SYSTEM, detail={"grade": grade.grade})
                        .on_conflict_do_nothing(index_elements=[decisions.c.decision_id]))
                elif tid in self._active_ids(conn, code, year, ("termination",)):
                    self._withdraw(conn, tid, person, "re-assessed: no longer two failing years")
                out.append({"institution_code": code, "year": year, "points": points, "score": grade.score,
                            "grade": grade.grade, "prepayment_ratio": str(grade.prepayment_ratio),
                            "failing": grade.failing, "agreement_ended": ended})
        return out

    # ------------------------------------------------------------------ idempotent writes
    def remembered(self, request_id: str) -> dict[str, Any] | None:
        if not request_id:
            return None
        with self.engine.connect() as conn:
            return conn.execute(sa.select(requests.c.result).where(requests.c.request_id == request_id)).scalar_one_or_none()

    def _remember(self, conn: Connection, request_id: str, method: str, result: Mapping[str, Any]) -> None:
        if request_id:
            conn.execute(insert(requests).values(request_id=request_id, method=method, result=dict(result))
                         .on_conflict_do_nothing(index_elements=[requests.c.request_id]))

    # ------------------------------------------------------------------ cases
    def _seal(self, id_number: str) -> tuple[str, str]:
        if not id_number:
            return "", ""
        if self.vault is None:
            raise RuntimeError("no identity vault configured")
        return self.vault.seal(id_number), mask_identity(id_number)

    def _add_subject(self, conn: Connection, case_id: str, kind: str, code: str, name: str = "",
                     id_number: str = "") -> None:
        sealed, masked = self._seal(id_number)
        values = {"case_id": case_id, "kind": kind, "code": code, "name": name, "id_sealed": sealed,
                  "id_masked": masked}
        stmt = insert(case_subjects).values(values)
        if id_number or name:
            stmt = stmt.on_conflict_do_update(index_elements=[case_subjects.c.case_id, case_subjects.c.kind,
                                                              case_subjects.c.code],
                                              set_={k: v for k, v in values.items() if v and k not in ("case_id",)})
        else:
            stmt = stmt.on_conflict_do_nothing()
        conn.execute(stmt)

    def _case_event(self, conn: Connection, case_id: str, kind: str, detail: str, by: str) -> None:
        conn.execute(sa.insert(case_events).values(case_id=case_id, kind=kind, detail=detail, by=by or SYSTEM))

    def _attach_to_case(self, conn: Connection, f: L.FindingFacts, patient_id: str, e: dict[str, Any]) -> None:
        """A confirmed fraud-type finding joins its institution's open case, or opens one."""
        case_id = conn.execute(sa.select(cases.c.case_id).where(
            cases.c.institution_code == f.institution_code, cases.c.origin == "auto", cases.c.state != "closed")
            .order_by(cases.c.opened_at).limit(1)).scalar_one_or_none()
        if case_id is None:
            case_id = "CASE-" + uuid.uuid5(uuid.NAMESPACE_URL, f"credit/case/{f.institution_code}/{f.finding_id}").hex[:16]
            conn.execute(sa.insert(cases).values(
                case_id=case_id, origin="auto", state="open", institution_code=f.institution_code, fraud=True,
                summary=f"fraud-type findings at {f.institution_code}", opened_by=SYSTEM))
            self._case_event(conn, case_id, "opened", f"opened by fraud-type finding {f.finding_id}", SYSTEM)
        conn.execute(insert(case_findings).values(case_id=case_id, finding_id=f.finding_id).on_conflict_do_nothing())
        self._add_subject(conn, case_id, "institution", f.institution_code)
        if f.doctor_code:
            self._add_subject(conn, case_id, "staff", f.doctor_code)
        if patient_id:
            self._add_subject(conn, case_id, "insured", patient_id)
        self._case_event(conn, case_id, "finding.added",
                         f"finding {f.finding_id} ({f.rule_id}, {f.amount} yuan)", e["payload"].get("decidedBy", ""))
        self._publish_update(conn, case_id)

    def open_case(self, request_id: str, subjects: Sequence[Mapping[str, str]], finding_ids: Sequence[str],
                  summary: str, opened_by: str, amount: Decimal, fraud: bool, evidence: Sequence[str],
                  institution_code: str) -> str:
        with self.engine.begin() as conn:
            if request_id:
                known = conn.execute(sa.select(cases.c.case_id).where(cases.c.request_id == request_id)).scalar_one_or_none()
                if known:
                    return str(known)
            case_id = "CASE-" + (uuid.uuid5(uuid.NAMESPACE_URL, f"credit/request/{request_id}").hex[:16]
                                 if request_id else uuid.uuid4().hex[:16])
            conn.execute(sa.insert(cases).values(
                case_id=case_id, request_id=request_id or None, origin="auditor", state="open",
                institution_code=institution_code, summary=summary, opened_by=opened_by, fraud=fraud,
                extra_amount=amount, evidence=list(evidence)))
            for s in subjects:
                self._add_subject(conn, case_id, s["kind"], s["code"], s.get("name", ""), s.get("id_number", ""))
            for fid in finding_ids:
                conn.execute(insert(case_findings).values(case_id=case_id, finding_id=fid).on_conflict_do_nothing())
            self._case_event(conn, case_id, "opened", summary, opened_by)
            return case_id

    def refer(self, case_id: str, agency: str, by: str, note: str) -> None:
        with self.engine.begin() as conn:
            if conn.execute(sa.select(cases.c.case_id).where(cases.c.case_id == case_id)).scalar_one_or_none() is None:
                raise NotFound(f"case {case_id} not found")
            done = conn.execute(insert(referrals).values(case_id=case_id, agency=agency, referred_by=by, note=note)
                                .on_conflict_do_nothing().returning(referrals.c.agency)).first()
            if done is None:
                return  # already referred to this agency: nothing new to publish
            conn.execute(sa.update(cases).where(cases.c.case_id == case_id, cases.c.state == "open")
                         .values(state="referred"))
            self._case_event(conn, case_id, "referred", f"referred to {agency}" + (f": {note}" if note else ""), by)
            self._feed_append(conn, agency, case_id, "case.referred")
            self._claim_steps(conn, "credit.refer_case", [case_id], agency)

    def close(self, case_id: str, by: str, reason: str) -> None:
        with self.engine.begin() as conn:
            state = conn.execute(sa.select(cases.c.state).where(cases.c.case_id == case_id).with_for_update()
                                 ).scalar_one_or_none()
            if state is None:
                raise NotFound(f"case {case_id} not found")
            if state == "closed":
                return
            conn.execute(sa.update(cases).where(cases.c.case_id == case_id).values(state="closed"))
            self._case_event(conn, case_id, "closed", reason, by)
            self._publish_update(conn, case_id)

    def _publish_update(self, conn: Connection, case_id: str) -> None:
        for (agency,) in conn.execute(sa.select(referrals.c.agency).where(referrals.c.case_id == case_id)
                                      .order_by(referrals.c.agency)).all():
            self._feed_append(conn, agency, case_id, "case.updated")

    def _feed_append(self, conn: Connection, agency: str, case_id: str, kind: str) -> None:
        _lock(conn, "feed:" + agency)   # dense, commit-ordered positions per agency
        pos = conn.execute(sa.select(sa.func.coalesce(sa.func.max(feed_events.c.position), 0))
                           .where(feed_events.c.agency == agency)).scalar_one() + 1
        conn.execute(sa.insert(feed_events).values(agency=agency, position=pos, event_id=str(uuid.uuid4()),
                                                   case_id=case_id, kind=kind, snapshot=self._case_doc(conn, case_id)))

    def _case_doc(self, conn: Connection, case_id: str) -> dict[str, Any]:
        """The case as stored: identity numbers stay sealed; masking happens on the way out."""
        c = conn.execute(sa.select(cases).where(cases.c.case_id == case_id)).mappings().one_or_none()
        if c is None:
            raise NotFound(f"case {case_id} not found")
        subjects = conn.execute(sa.select(case_subjects).where(case_subjects.c.case_id == case_id)
                                .order_by(case_subjects.c.kind, case_subjects.c.code)).mappings().all()
        linked = conn.execute(sa.select(findings.c.finding_id, findings.c.amount, findings.c.state,
                                        findings.c.payload, case_findings.c.finding_id.label("fid"))
                              .select_from(case_findings.outerjoin(findings, findings.c.finding_id
                                                                   == case_findings.c.finding_id))
                              .where(case_findings.c.case_id == case_id).order_by(case_findings.c.finding_id)
                              ).mappings().all()
        live = [r for r in linked if r["state"] != "overturned"]
        amount = sum((Decimal(r["amount"] or 0) for r in live), Decimal(0)) + Decimal(c["extra_amount"])
        fn = fine(self.policy, amount, bool(c["fraud"]))
        timeline = conn.execute(sa.select(case_events).where(case_events.c.case_id == case_id)
                                .order_by(case_events.c.seq)).mappings().all()
        agencies = conn.execute(sa.select(referrals.c.agency).where(referrals.c.case_id == case_id)
                                .order_by(referrals.c.referred_at, referrals.c.agency)).scalars().all()
        evidence = list(c["evidence"]) + [f"finding {r['fid']}: {(r['payload'] or {}).get('evidenceJson', '')}"
                                          for r in live if (r["payload"] or {}).get("evidenceJson")]
        return {
            "case_id": case_id, "state": c["state"], "institution_code": c["institution_code"],
            "subjects": [{"kind": s["kind"], "code": s["code"], "name": s["name"], "id_sealed": s["id_sealed"],
                          "id_masked": s["id_masked"]} for s in subjects],
            "finding_ids": [r["fid"] for r in live],
            "amount": str(amount), "fine": str(fn.amount), "fine_basis": fn.basis, "fine_multiple": str(fn.multiple),
            "threshold_band": threshold_band(self.policy, amount), "referred_to": list(agencies),
            "opened_at": c["opened_at"].isoformat(), "summary": c["summary"], "evidence": evidence,
            "timeline": [{"at": t["at"].isoformat(), "kind": t["kind"], "detail": t["detail"], "by": t["by"]}
                         for t in timeline],
        }

    def reveal(self, doc: dict[str, Any], unmask: bool) -> dict[str, Any]:
        """The case for a reader: identity numbers opened only when allowed, else masked."""
        out = dict(doc)
        subjects = []
        for s in doc["subjects"]:
            plain = self.vault.open(s["id_sealed"]) if unmask and s["id_sealed"] and self.vault else ""
            subjects.append({"kind": s["kind"], "code": s["code"], "name": s["name"],
                             "id_number": plain or s["id_masked"]})
        out["subjects"] = subjects
        return out

    def get_case(self, case_id: str, agency: str, unmask: bool, reader: str) -> dict[str, Any]:
        with self.engine.begin() as conn:
            denied = bool(agency) and conn.execute(sa.select(referrals.c.agency).where(
                referrals.c.case_id == case_id, referrals.c.agency == agency)).first() is None
            if denied:
                # The refused attempt is logged too (committed, though the read fails).
                self._log(conn, reader, agency, "get_case.denied", [case_id], False)
        if denied:
            raise NotFound(f"case {case_id} not found")
        with self.engine.begin() as conn:
            doc = self._case_doc(conn, case_id)
            self._log(conn, reader, agency, "get_case", [case_id], unmask)
            return self.reveal(doc, unmask)

    def list_cases(self, institution: str, state: str, reader: str, limit: int, after: str) -> list[dict[str, Any]]:
        q = sa.select(cases.c.case_id)
        if institution:
            q = q.where(cases.c.institution_code == institution)
        if state:
            q = q.where(cases.c.state == state)
        if after:
            q = q.where(cases.c.case_id > after)
        with self.engine.begin() as conn:
            ids = list(conn.execute(q.order_by(cases.c.case_id).limit(limit)).scalars())
            docs = [self.reveal(self._case_doc(conn, i), False) for i in ids]
            self._log(conn, reader, "", "list_cases", ids, False)
        return docs

    def read_feed(self, agency: str, after: int, limit: int, unmask: bool, reader: str) -> list[dict[str, Any]]:
        with self.engine.begin() as conn:
            rows = conn.execute(sa.select(feed_events).where(feed_events.c.agency == agency,
                                                             feed_events.c.position > after)
                                .order_by(feed_events.c.position).limit(limit)).mappings().all()
            self._log(conn, reader, agency, "read_feed", sorted({r["case_id"] for r in rows}), unmask)
            reached = max([after, *(r["position"] for r in rows)])
            stmt = insert(feed_cursors).values(agency=agency, position=reached)
            conn.execute(stmt.on_conflict_do_update(index_elements=[feed_cursors.c.agency], set_={
                "position": sa.func.greatest(feed_cursors.c.position, stmt.excluded.position), "read_at": sa.func.now()}))
            self._claim_steps(conn, "credit.feed_delivery", sorted({r["case_id"] for r in rows}), agency)
            return [{**dict(r), "snapshot": self.reveal(r["snapshot"], unmask)} for r in rows]

    # A case rarely holds more claims than this; past it the case span alone tells the story.
    CLAIM_STEPS_PER_CASE = 20

    def _claim_steps(self, conn: Connection, name: str, case_ids: Sequence[str], agency: str) -> None:
        """A span per claim behind each case, linked to the claim's first trace, so the claim's
        story reaches the referral and the agency reading it."""
        if not case_ids:
            return
        finding_id = inbox.c.payload["finding"]["findingId"].astext
        rows = conn.execute(
            sa.select(case_findings.c.case_id, inbox.c.claim_id, inbox.c.payload["traceparent"].astext)
            .join(inbox, sa.and_(inbox.c.kind == "finding.confirmed", finding_id == case_findings.c.finding_id))
            .where(case_findings.c.case_id.in_(list(case_ids)), inbox.c.claim_id != "")
            .distinct().order_by(case_findings.c.case_id, inbox.c.claim_id)).all()
        per_case: dict[str, int] = {}
        for case_id, claim_id, traceparent in rows:
            per_case[case_id] = per_case.get(case_id, 0) + 1
            if per_case[case_id] > self.CLAIM_STEPS_PER_CASE:
                continue
            with telemetry.claim_step(name, claim_id, traceparent or "",
                                      {telemetry.CASE_ID: case_id, telemetry.AGENCY: agency}):
                pass

    def _log(self, conn: Connection, reader: str, agency: str, action: str, case_ids: Sequence[str],
             unmasked: bool) -> None:
        conn.execute(sa.insert(access_log).values(reader=reader or "unknown", agency=agency, action=action,
                                                  case_ids=",".join(case_ids), unmasked=unmasked))

    def access_log(self, agency: str, limit: int, after: int) -> list[dict[str, Any]]:
        q = sa.select(access_log).where(access_log.c.entry_id > after)
        if agency:
            q = q.where(access_log.c.agency == agency)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(q.order_by(access_log.c.entry_id).limit(limit)).mappings()]

    # ------------------------------------------------------------------ indicators
    def record_indicators(self, request_id: str, rows: Sequence[PeriodRow]) -> int:
        """Store aggregates in a few multi-row statements (no per-row round trips)."""
        values = [{"institution_code": r.institution_code, "period": r.period, "name": r.name, "level": r.level,
                   "type": r.type, "region": r.region, "settlements": r.settlements, "patients": r.patients,
                   "total_cost": r.total_cost, "fund_paid": r.fund_paid,
                   "cost_by_kind": {k: str(v) for k, v in r.cost_by_kind.items()}, "discharges": r.discharges,
                   "hospital_infections": r.hospital_infections, "readmissions_31d": r.readmissions_31d,
                   "doctors": [{"doctor_code": d.doctor_code, "visits": d.visits, "patients": d.patients,
                                "total_cost": str(d.total_cost), "drug_cost": str(d.drug_cost)} for d in r.doctors]}
                  for r in rows]
        items = [{"institution_code": r.institution_code, "period": r.period, "item_code": i.item_code,
                  "item_name": i.item_name, "item_kind": i.item_kind, "count": i.count, "amount": i.amount,
                  "patients": i.patients} for r in rows for i in r.items]
        with self.engine.begin() as conn:
            if values:
                # Aggregates are a recomputable projection of claims' data: a re-run replaces them.
                stmt = insert(indicator_rows).values(values)
                conn.execute(stmt.on_conflict_do_update(
                    index_elements=[indicator_rows.c.institution_code, indicator_rows.c.period],
                    set_={c.name: stmt.excluded[c.name] for c in indicator_rows.columns
                          if c.name not in ("institution_code", "period", "recorded_at")} | {"recorded_at": sa.func.now()}))
                conn.execute(sa.delete(indicator_items).where(
                    sa.tuple_(indicator_items.c.institution_code, indicator_items.c.period).in_(
                        [(r.institution_code, r.period) for r in rows])))
            if items:
                conn.execute(sa.insert(indicator_items), items)
            self._remember(conn, request_id, "RecordIndicators", {"recorded": len(rows)})
        return len(rows)

    def load_period(self, period: str) -> list[PeriodRow]:
        """Rows for the period; a quarter with no rows of its own is the sum of its months."""
        with self.engine.connect() as conn:
            rows = self._load(conn, [period])
            if rows or period[5] != "Q":
                return rows
            months = self._load(conn, months_of(period))
        by_inst: dict[str, list[PeriodRow]] = {}
        for r in months:
            by_inst.setdefault(r.institution_code, []).append(r)
        return [combine(period, rs) for rs in by_inst.values()]

    def _load(self, conn: Connection, periods: Sequence[str]) -> list[PeriodRow]:
        items: dict[tuple[str, str], list[Item]] = {}
        for i in conn.execute(sa.select(indicator_items).where(indicator_items.c.period.in_(periods))).mappings():
            items.setdefault((i["institution_code"], i["period"]), []).append(
                Item(i["item_code"], i["item_name"], i["item_kind"], i["count"], Decimal(i["amount"]), i["patients"]))
        out = []
        for r in conn.execute(sa.select(indicator_rows).where(indicator_rows.c.period.in_(periods))
                              .order_by(indicator_rows.c.institution_code, indicator_rows.c.period)).mappings():
            out.append(PeriodRow(
                institution_code=r["institution_code"], period=r["period"], settlements=r["settlements"],
                patients=r["patients"], total_cost=Decimal(r["total_cost"]), fund_paid=Decimal(r["fund_paid"]),
                cost_by_kind={k: Decimal(v) for k, v in r["cost_by_kind"].items()}, discharges=r["discharges"],
                hospital_infections=r["hospital_infections"], readmissions_31d=r["readmissions_31d"],
                items=items.get((r["institution_code"], r["period"]), []),
                doctors=[DoctorRow(d["doctor_code"], int(d["visits"]), int(d["patients"]), Decimal(d["total_cost"]),
                                   Decimal(d["drug_cost"])) for d in r["doctors"]],
                name=r["name"], level=r["level"], type=r["type"], region=r["region"]))
        return out

    def violation_history(self, year: int) -> dict[str, dict[str, Any]]:
        """Per institution and per staff member: points, confirmed amount and findings in ``year``."""
        out: dict[str, dict[str, Any]] = {}
        with self.engine.connect() as conn:
            for subject, pts in conn.execute(sa.select(ledger_entries.c.subject, sa.func.sum(ledger_entries.c.points))
                                             .where(ledger_entries.c.year == year)
                                             .group_by(ledger_entries.c.subject)).all():
                out.setdefault(subject, {"points": 0, "amount": Decimal(0), "findings": 0})["points"] = int(pts)
            year_start, year_end = date(year, 1, 1), date(year, 12, 31)
            for col in (findings.c.institution_code, findings.c.doctor_code):
                for subject, amount, n in conn.execute(
                        sa.select(col, sa.func.sum(findings.c.amount), sa.func.count())
                        .where(findings.c.state == "confirmed", findings.c.confirmed_on.between(year_start, year_end),
                               col != "").group_by(col)).all():
                    h = out.setdefault(subject, {"points": 0, "amount": Decimal(0), "findings": 0})
                    h["amount"], h["findings"] = Decimal(amount), int(n)
        return out


def encode_cursor(agency: str, position: int) -> str:
    return base64.urlsafe_b64encode(f"{agency}:{position}".encode()).decode()


def decode_cursor(agency: str, cursor: str) -> int:
    if not cursor:
        return 0
    try:
        who, _, pos = base64.urlsafe_b64decode(cursor.encode()).decode().rpartition(":")
        if who != agency:
            raise ValueError
        return int(pos)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidArgument([FieldViolation("cursor", "not a cursor of this agency's feed")]) from exc
