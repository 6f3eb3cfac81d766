"""gRPC servicer for credit: translate, call the store and domain, translate back."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import grpc
from google.protobuf import json_format

from fundguard.common.v1 import common_pb2
from fundguard.credit.v1 import credit_pb2 as pb
from fundguard.credit.v1 import credit_pb2_grpc
from fundguard.runtime.errors import FieldViolation, InvalidArgument, NotFound
from fundguard.runtime.paging import next_token, page_after, page_offset, page_size
from fundguard.runtime.wire import cents, decimal_or_none
from services.credit.dispatch import SanctionDispatcher
from services.credit.domain import indicators as ind
from services.credit.domain import risk
from services.credit.domain.policy import RESPONSIBILITIES
from services.credit.store.repository import (
    INSTITUTION_KINDS,
    STAFF_KINDS,
    CreditStore,
    business_date,
    decode_cursor,
    encode_cursor,
)

EVENT_KINDS = ("finding.confirmed", "finding.overturned", "deduction.made")
SUBJECT_KINDS = ("institution", "staff", "insured")


def _fmt(x: float | Decimal | None, places: int = 4) -> str:
    if x is None:
        return ""
    return f"{x:.{places}f}"


def _money(x: Any) -> common_pb2.Money:
    """Money out: exact decimal, in yuan and fen (stored amounts keep four places)."""
    return common_pb2.Money(amount=str(cents(Decimal(str(x)))))


def _decision(r: Mapping[str, Any]) -> pb.Decision:
    detail = r.get("detail") or {}
    return pb.Decision(
        decision_id=r["decision_id"], subject_kind=r["subject_kind"], subject=r["subject"], year=r["year"],
        kind=r["kind"], start_date=r["start_date"].isoformat() if r["start_date"] else "",
        end_date=r["end_date"].isoformat() if r["end_date"] else "", cause=r["cause"], decided_by=r["decided_by"],
        withdraws=r["withdraws"] or "", active=bool(r.get("active", True)) and r["kind"] != "withdrawal",
        dispatch_state=r.get("dispatch_state") or "none", dispatch_error=r.get("dispatch_error") or "",
        recorded_at=r["recorded_at"].isoformat(),
        detail=", ".join(f"{k}={v}" for k, v in sorted(detail.items())))


def _entry(r: Mapping[str, Any]) -> pb.LedgerEntry:
    return pb.LedgerEntry(entry_id=str(r["entry_id"]), subject=r["subject"], points=r["points"], cause=r["cause"],
                          recorded_at=r["recorded_at"].isoformat(), ledger=r["ledger"], finding_id=r["finding_id"],
                          event_id=r["event_id"] or "", reverses_entry_id=str(r["reverses_entry_id"] or ""),
                          person=r["person"], year=r["year"])


def _case(doc: Mapping[str, Any]) -> pb.Case:
    return pb.Case(
        case_id=doc["case_id"], state=doc["state"],
        subjects=[pb.CaseSubject(kind=s["kind"], code=s["code"], name=s["name"], id_number=s["id_number"])
                  for s in doc["subjects"]],
        finding_ids=doc["finding_ids"], amount=_money(doc["amount"]), fine=_money(doc["fine"]),
        threshold_band=doc["threshold_band"], referred_to=doc["referred_to"], opened_at=doc["opened_at"],
        summary=doc["summary"], fine_basis=doc["fine_basis"], fine_multiple=doc["fine_multiple"],
        timeline=[pb.CaseEvent(**t) for t in doc["timeline"]], institution_code=doc["institution_code"],
        evidence=doc["evidence"])


class CreditServicer(credit_pb2_grpc.CreditServiceServicer):
    def __init__(self, store: CreditStore, dispatcher: SanctionDispatcher | None = None) -> None:
        self.store = store
        self.policy = store.policy
        self.dispatcher = dispatcher

    def _dispatch(self, staff: set[str]) -> None:
        """Best effort right away, so a sanction is in force for the next real-time check;
        what does not go through now is retried by the dispatcher's loop."""
        if self.dispatcher is not None and staff:
            self.dispatcher.dispatch(staff, immediate=True)

    # ------------------------------------------------------------------ events and ledgers
    def DeliverEvents(self, request: pb.DeliverEventsRequest, context: grpc.ServicerContext) -> pb.DeliverEventsResponse:
        problems: list[FieldViolation] = []
        rows = []
        for i, e in enumerate(request.events):
            if not e.event_id:
                problems.append(FieldViolation(f"events[{i}].event_id", "required"))
            if e.kind not in EVENT_KINDS:
                problems.append(FieldViolation(f"events[{i}].kind", f"must be one of {', '.join(EVENT_KINDS)}"))
            institution = e.institution_code or e.finding.institution_code
            if not institution:
                problems.append(FieldViolation(f"events[{i}].institution_code", "required"))
            if e.kind in ("finding.confirmed", "finding.overturned") and not e.finding.finding_id:
                problems.append(FieldViolation(f"events[{i}].finding.finding_id", "required"))
            if e.kind == "finding.confirmed":
                decimal_or_none(e.finding.amount.amount, f"events[{i}].finding.amount.amount", problems)
            if e.responsibility and e.responsibility not in RESPONSIBILITIES:
                problems.append(FieldViolation(f"events[{i}].responsibility",
                                               f"must be one of {', '.join(RESPONSIBILITIES)}"))
            occurred = None
            if e.occurred_at:
                try:
                    occurred = datetime.fromisoformat(e.occurred_at)
                    if occurred.tzinfo is None:
                        raise ValueError
                except ValueError:
                    problems.append(FieldViolation(f"events[{i}].occurred_at", "must be an RFC 3339 time with offset"))
            rows.append({"event_id": e.event_id, "kind": e.kind, "institution_code": institution,
                         "doctor_code": e.doctor_code or e.finding.doctor_code, "claim_id": e.claim_id,
                         "payload": json_format.MessageToDict(e), "occurred_at": occurred})
        if problems:
            raise InvalidArgument(problems)
        accepted, staff = self.store.receive(rows)
        self._dispatch(staff)
        return pb.DeliverEventsResponse(accepted=accepted, duplicates=len(rows) - accepted)

    def GetLedger(self, request: pb.GetLedgerRequest, context: grpc.ServicerContext) -> pb.GetLedgerResponse:
        year = None
        if request.year:
            if not request.year.isdigit() or len(request.year) != 4:
                raise InvalidArgument([FieldViolation("year", f"must be YYYY, got {request.year!r}")])
            year = int(request.year)
        size = page_size(request.page_size)
        after = page_offset(request.page_token)
        rows = self.store.ledger(request.subject, year, size + 1, after)
        return pb.GetLedgerResponse(
            entries=[_entry(r) for r in rows[:size]],
            total_points=self.store.total_points(request.subject, year),
            next_page_token=next_token(rows, size, "entry_id"),
        )

    def ReverseEntry(self, request: pb.ReverseEntryRequest, context: grpc.ServicerContext) -> pb.LedgerEntry:
        problems = []
        if not request.entry_id.isdigit():
            problems.append(FieldViolation("entry_id", "must be a ledger entry id"))
        if not request.decided_by:
            problems.append(FieldViolation("decided_by", "required: a reviewer decides an appeal"))
        if not request.reason:
            problems.append(FieldViolation("reason", "required"))
        if problems:
            raise InvalidArgument(problems)
        r = self.store.reverse_entry(int(request.entry_id), request.decided_by, request.reason)
        if r["ledger"] == "staff":
            self._dispatch({r["subject"]})
        return _entry(r)

    def ListDecisions(self, request: pb.ListDecisionsRequest, context: grpc.ServicerContext) -> pb.ListDecisionsResponse:
        size = page_size(request.page_size)
        after = page_after(request.page_token)
        if after and "|" not in after:
            raise InvalidArgument([FieldViolation("page_token", "not a token this service issued")])
        rows = self.store.decisions(request.subject, request.year, size + 1, after)
        return pb.ListDecisionsResponse(decisions=[_decision(r) for r in rows[:size]],
                                        next_page_token=next_token(rows, size, "page_key"))

    def GetStanding(self, request: pb.GetStandingRequest, context: grpc.ServicerContext) -> pb.Standing:
        if not request.subject:
            raise InvalidArgument([FieldViolation("subject", "required")])
        today = business_date(None)
        year = request.year or today.year
        kind = self.store.subject_kind(request.subject)
        active = [r for r in self.store.active_decisions(request.subject, year) if r["kind"] != "grade"]
        grades = self.store.active_decisions(request.subject, year, ("grade",))
        status = "active"
        for r in self.store.active_decisions(request.subject, None, ("suspension", "termination", *STAFF_KINDS)):
            if r["kind"] in ("termination", "staff_termination") and r["start_date"] <= today:
                status = "terminated"
            elif status == "active" and r["start_date"] <= today and (r["end_date"] is None or r["end_date"] >= today):
                status = "suspended"
        g = grades[-1]["detail"] if grades else {}
        return pb.Standing(subject=request.subject, subject_kind=kind, year=year,
                           points=self.store.total_points(request.subject, year),
                           active_decisions=[_decision(r) for r in active], grade=g.get("grade", ""),
                           prepayment_ratio=g.get("prepayment_ratio", ""), status=status)

    def ListBlacklist(self, request: pb.ListBlacklistRequest, context: grpc.ServicerContext) -> pb.ListBlacklistResponse:
        size = page_size(request.page_size)
        start = page_offset(request.page_token)
        rows = self.store.blacklist(business_date(None))
        page = rows[start:start + size]
        return pb.ListBlacklistResponse(
            entries=[pb.BlacklistEntry(subject_kind=r["subject_kind"], subject=r["subject"], sanction=r["kind"],
                                       start_date=r["start_date"].isoformat() if r["start_date"] else "",
                                       end_date=r["end_date"].isoformat() if r["end_date"] else "",
                                       decision_id=r["decision_id"]) for r in page],
            next_page_token=next_token([{"i": start + size}] * (len(page) + 1), len(page), "i")
            if start + size < len(rows) else "")

    def ListDisclosures(self, request: pb.ListDisclosuresRequest,
                        context: grpc.ServicerContext) -> pb.ListDisclosuresResponse:
        size = page_size(request.page_size)
        start = page_offset(request.page_token)
        rows = [r for r in self.store.active_decisions("", None, INSTITUTION_KINDS) if r["kind"] in self.policy.publish]
        page = rows[start:start + size]
        names = self.store.institution_names(r["subject"] for r in page)
        return pb.ListDisclosuresResponse(
            disclosures=[pb.Disclosure(institution_code=r["subject"], institution_name=names.get(r["subject"], ""),
                                       sanction=r["kind"], decided_at=r["recorded_at"].isoformat(), basis=r["cause"])
                         for r in page],
            next_page_token=next_token([{"i": start + size}] * (len(page) + 1), len(page), "i")
            if start + size < len(rows) else "")

    def RunAnnualAssessment(self, request: pb.RunAnnualAssessmentRequest,
                            context: grpc.ServicerContext) -> pb.RunAnnualAssessmentResponse:
        if not 2000 <= request.year <= 2100:
            raise InvalidArgument([FieldViolation("year", f"must be a year, got {request.year}")])
        rows = self.store.assess(request.year, list(request.institution_codes), request.decided_by)
        return pb.RunAnnualAssessmentResponse(assessments=[pb.Assessment(**r) for r in rows])

    def DispatchSanctions(self, request: pb.DispatchSanctionsRequest,
                          context: grpc.ServicerContext) -> pb.DispatchSanctionsResponse:
        sent = self.dispatcher.dispatch() if self.dispatcher is not None else 0
        return pb.DispatchSanctionsResponse(sent=sent, pending=self.store.pending_count())

    # ------------------------------------------------------------------ cases and feeds
    def _agency(self, agency: str, field: str, required: bool = True) -> None:
        if (agency or required) and agency not in self.policy.agencies:
            raise InvalidArgument([FieldViolation(field, f"unknown agency {agency!r}; known: "
                                                         f"{', '.join(sorted(self.policy.agencies))}")])

    def OpenCase(self, request: pb.OpenCaseRequest, context: grpc.ServicerContext) -> pb.Case:
        problems: list[FieldViolation] = []
        if not request.opened_by:
            problems.append(FieldViolation("opened_by", "required: cases are opened by a named auditor"))
        if not request.subjects and not request.finding_ids:
            problems.append(FieldViolation("subjects", "a case needs subjects or findings"))
        for i, s in enumerate(request.subjects):
            if s.kind not in SUBJECT_KINDS:
                problems.append(FieldViolation(f"subjects[{i}].kind", f"must be one of {', '.join(SUBJECT_KINDS)}"))
            if not s.code:
                problems.append(FieldViolation(f"subjects[{i}].code", "required"))
        amount = decimal_or_none(request.amount.amount, "amount.amount", problems) or Decimal(0)
        if amount < 0:
            problems.append(FieldViolation("amount.amount", "must not be negative"))
        if problems:
            raise InvalidArgument(problems)
        institution = request.institution_code or next((s.code for s in request.subjects if s.kind == "institution"), "")
        case_id = self.store.open_case(
            request.request_id, [{"kind": s.kind, "code": s.code, "name": s.name, "id_number": s.id_number}
                                 for s in request.subjects],
            list(request.finding_ids), request.summary, request.opened_by, amount, request.fraud,
            list(request.evidence), institution)
        return _case(self.store.get_case(case_id, "", False, request.opened_by))

    def ReferCase(self, request: pb.ReferCaseRequest, context: grpc.ServicerContext) -> pb.Case:
        problems = []
        if not request.case_id:
            problems.append(FieldViolation("case_id", "required"))
        if request.agency not in self.policy.agencies:
            problems.append(FieldViolation("agency", f"unknown agency {request.agency!r}"))
        if not request.referred_by:
            problems.append(FieldViolation("referred_by", "required"))
        if problems:
            raise InvalidArgument(problems)
        self.store.refer(request.case_id, request.agency, request.referred_by, request.note)
        return _case(self.store.get_case(request.case_id, "", False, request.referred_by))

    def CloseCase(self, request: pb.CloseCaseRequest, context: grpc.ServicerContext) -> pb.Case:
        problems = [FieldViolation(name, "required") for name in ("case_id", "closed_by", "reason")
                    if not getattr(request, name)]
        if problems:
            raise InvalidArgument(problems)
        self.store.close(request.case_id, request.closed_by, request.reason)
        return _case(self.store.get_case(request.case_id, "", False, request.closed_by))

    def GetCase(self, request: pb.GetCaseRequest, context: grpc.ServicerContext) -> pb.Case:
        self._agency(request.agency, "agency", required=False)
        if not request.case_id:
            raise InvalidArgument([FieldViolation("case_id", "required")])
        # Full identity numbers only for an agency whose scope allows them (auditors: via the gateway's
        # scopes, which call without an agency).
        unmask = request.unmask_identity and (not request.agency or self.policy.agencies[request.agency])
        return _case(self.store.get_case(request.case_id, request.agency, unmask, request.reader))

    def ReadFeed(self, request: pb.ReadFeedRequest, context: grpc.ServicerContext) -> pb.ReadFeedResponse:
        self._agency(request.agency, "agency")
        if not request.reader:
            raise InvalidArgument([FieldViolation("reader", "required: every read is logged")])
        after = decode_cursor(request.agency, request.cursor)
        size = page_size(request.page_size)
        unmask = request.unmask_identity and self.policy.agencies[request.agency]
        rows = self.store.read_feed(request.agency, after, size, unmask, request.reader)
        events = [pb.FeedEvent(event_id=r["event_id"], cursor=encode_cursor(request.agency, r["position"]),
                               kind=r["kind"], case=_case(r["snapshot"]), occurred_at=r["occurred_at"].isoformat())
                  for r in rows]
        last = rows[-1]["position"] if rows else after
        return pb.ReadFeedResponse(events=events, next_cursor=encode_cursor(request.agency, last))

    def ListCases(self, request: pb.ListCasesRequest, context: grpc.ServicerContext) -> pb.ListCasesResponse:
        if not request.reader:
            raise InvalidArgument([FieldViolation("reader", "required: every read is logged")])
        size = page_size(request.page_size)
        docs = self.store.list_cases(request.institution_code, request.state, request.reader, size + 1,
                                     page_after(request.page_token))
        return pb.ListCasesResponse(cases=[_case(d) for d in docs[:size]],
                                    next_page_token=next_token(docs, size, "case_id"))

    def ListAccessLog(self, request: pb.ListAccessLogRequest, context: grpc.ServicerContext) -> pb.ListAccessLogResponse:
        size = page_size(request.page_size)
        rows = self.store.access_log(request.agency, size + 1, page_offset(request.page_token))
        return pb.ListAccessLogResponse(
            entries=[pb.AccessLogEntry(entry_id=str(r["entry_id"]), reader=r["reader"], agency=r["agency"],
                                       action=r["action"], case_ids=r["case_ids"], unmasked=r["unmasked"],
                                       at=r["at"].isoformat()) for r in rows[:size]],
            next_page_token=next_token(rows, size, "entry_id"))

    # ------------------------------------------------------------------ indicators and risk
    def RecordIndicators(self, request: pb.RecordIndicatorsRequest,
                         context: grpc.ServicerContext) -> pb.RecordIndicatorsResponse:
        known = self.store.remembered(request.request_id)
        if known is not None:
            return pb.RecordIndicatorsResponse(recorded=int(known["recorded"]))
        problems: list[FieldViolation] = []
        rows = []
        seen: set[tuple[str, str]] = set()
        for i, r in enumerate(request.rows):
            at = f"rows[{i}]"
            if not r.institution_code:
                problems.append(FieldViolation(f"{at}.institution_code", "required"))
            if ind.parse_period(r.period) is None:
                problems.append(FieldViolation(f"{at}.period", f"must be YYYY-MM or YYYY-Qn, got {r.period!r}"))
            if (r.institution_code, r.period) in seen:
                problems.append(FieldViolation(f"{at}", "institution and period given twice"))
            seen.add((r.institution_code, r.period))
            for name in ("settlements", "patients", "discharges", "hospital_infections", "unplanned_readmissions_31d"):
                if getattr(r, name) < 0:
                    problems.append(FieldViolation(f"{at}.{name}", "must not be negative"))
            total = decimal_or_none(r.total_cost.amount, f"{at}.total_cost.amount", problems, required=True)
            paid = decimal_or_none(r.fund_paid.amount, f"{at}.fund_paid.amount", problems, required=True)
            kinds = {}
            for k, v in r.cost_by_kind.items():
                if k not in ind.ITEM_KINDS:
                    problems.append(FieldViolation(f"{at}.cost_by_kind[{k}]",
                                                   f"kind must be one of {', '.join(ind.ITEM_KINDS)}"))
                d = decimal_or_none(v, f"{at}.cost_by_kind[{k}]", problems, required=True)
                if d is not None:
                    kinds[k] = d
            items = []
            for j, it in enumerate(r.items):
                a = decimal_or_none(it.amount.amount, f"{at}.items[{j}].amount.amount", problems, required=True)
                if not it.item_code:
                    problems.append(FieldViolation(f"{at}.items[{j}].item_code", "required"))
                if it.item_kind and it.item_kind not in ind.ITEM_KINDS:
                    problems.append(FieldViolation(f"{at}.items[{j}].item_kind",
                                                   f"must be one of {', '.join(ind.ITEM_KINDS)}"))
                if a is not None:
                    items.append(ind.Item(it.item_code, it.item_name, it.item_kind or "other", it.count, a, it.patients))
            doctors = []
            for j, d in enumerate(r.doctors):
                tc = decimal_or_none(d.total_cost.amount, f"{at}.doctors[{j}].total_cost.amount", problems,
                                     required=True)
                dc = decimal_or_none(d.drug_cost.amount, f"{at}.doctors[{j}].drug_cost.amount", problems) or Decimal(0)
                if not d.doctor_code:
                    problems.append(FieldViolation(f"{at}.doctors[{j}].doctor_code", "required"))
                if tc is not None:
                    doctors.append(ind.DoctorRow(d.doctor_code, d.visits, d.patients, tc, dc))
            if total is not None and paid is not None:
                rows.append(ind.PeriodRow(
                    institution_code=r.institution_code, period=r.period, settlements=r.settlements,
                    patients=r.patients, total_cost=total, fund_paid=paid, cost_by_kind=kinds,
                    discharges=r.discharges, hospital_infections=r.hospital_infections,
                    readmissions_31d=r.unplanned_readmissions_31d, items=items, doctors=doctors,
                    name=r.institution_name, level=r.level, type=r.type, region=r.region))
        if problems:
            raise InvalidArgument(problems)
        return pb.RecordIndicatorsResponse(recorded=self.store.record_indicators(request.request_id, rows))

    def _period(self, period: str) -> str:
        if ind.parse_period(period) is None:
            raise InvalidArgument([FieldViolation("period", f"must be YYYY-MM or YYYY-Qn, got {period!r}")])
        return period

    def _indicators(self, period: str) -> tuple[list[ind.PeriodRow], list[ind.Indicators]]:
        current = self.store.load_period(period)
        last = {r.institution_code: r for r in self.store.load_period(ind.same_period_last_year(period))}
        return current, ind.compute(self.policy, current, last)

    def GetIndicators(self, request: pb.GetIndicatorsRequest, context: grpc.ServicerContext) -> pb.GetIndicatorsResponse:
        period = self._period(request.period)
        _, computed = self._indicators(period)
        if request.institution_code:
            computed = [c for c in computed if c.institution_code == request.institution_code]
            if not computed:
                raise NotFound(f"no indicators for {request.institution_code} in {period}")
        size = page_size(request.page_size)
        after = page_after(request.page_token)
        rows = [c for c in computed if c.institution_code > after][:size + 1]
        out = []
        for c in rows[:size]:
            out.append(pb.InstitutionIndicators(
                institution_code=c.institution_code, period=c.period, peer_group=c.peer_group,
                values={k: _fmt(v) for k, v in c.values.items() if v is not None},
                growth={k: _fmt(v) for k, v in c.growth.items() if v is not None},
                peer_scores={k: _fmt(v, 2) for k, v in c.peer_scores.items()},
                warnings=[pb.RiskWarning(
                    indicator=w.indicator, value=_fmt(w.value), baseline=_fmt(w.baseline), score=_fmt(w.score, 2),
                    message=w.message,
                    drilldown=[pb.ItemDelta(item_code=d.item_code, item_name=d.item_name, item_kind=d.item_kind,
                                            count=d.count, count_before=d.count_before, amount=_money(d.amount),
                                            amount_before=_money(d.amount_before), increase=_money(d.increase),
                                            share_of_increase=_fmt(d.share_of_increase),
                                            share_of_cost=_fmt(d.share_of_cost)) for d in w.drilldown])
                    for w in c.warnings]))
        return pb.GetIndicatorsResponse(
            institutions=out, next_page_token=next_token([{"k": c.institution_code} for c in rows], size, "k"))

    def GetRiskScores(self, request: pb.GetRiskScoresRequest, context: grpc.ServicerContext) -> pb.GetRiskScoresResponse:
        period = self._period(request.period)
        kind = request.subject_kind or "institution"
        if kind not in ("institution", "doctor"):
            raise InvalidArgument([FieldViolation("subject_kind", "must be institution or doctor")])
        current, computed = self._indicators(period)
        history = self.store.violation_history(int(period[:4]))
        sanctions: dict[str, list[str]] = {}
        for r in self.store.blacklist(business_date(None)) + self.store.active_decisions("", None, INSTITUTION_KINDS):
            sanctions.setdefault(r["subject"], []).append(r["kind"])
        scores: list[risk.Score] = []

        def hist(code: str) -> risk.History:
            h = history.get(code, {})
            return risk.History(points=h.get("points", 0), confirmed_amount=h.get("amount", Decimal(0)),
                                findings=h.get("findings", 0),
                                active_sanctions=tuple(sorted(set(sanctions.get(code, [])))))
        if kind == "institution":
            by_code = {r.institution_code: r for r in current}
            for c in computed:
                scores.append(risk.score(self.policy, c.institution_code, "institution", c.peer_scores,
                                         by_code[c.institution_code].total_cost, hist(c.institution_code),
                                         c.institution_code))
        else:
            cost = {d.doctor_code: d.total_cost for r in current for d in r.doctors}
            for doctor, (inst, z) in ind.doctor_scores(current).items():
                scores.append(risk.score(self.policy, doctor, "doctor", z, cost.get(doctor, Decimal(0)), hist(doctor),
                                         inst))
        scores.sort(key=lambda s: (-s.score, s.subject))
        size = page_size(request.page_size)
        start = page_offset(request.page_token)
        page = scores[start:start + size]
        return pb.GetRiskScoresResponse(
            scores=[pb.RiskScore(subject=s.subject, subject_kind=s.subject_kind, score=_fmt(s.score, 2),
                                 institution_code=s.institution_code,
                                 reasons=[pb.RiskReason(code=r.code, contribution=_fmt(r.contribution, 2),
                                                        detail=r.detail) for r in s.reasons]) for s in page],
            next_page_token=next_token([{"i": start + size}] * (len(page) + 1), len(page), "i")
            if start + size < len(scores) else "")


