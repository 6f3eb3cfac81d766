"""gRPC servicer for claims: translate, orchestrate the checks, translate back."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import grpc
import sqlalchemy as sa
from opentelemetry import context as otel_context
from opentelemetry import trace
from sqlalchemy.engine import Connection

from fundguard.claims.v1 import claims_pb2, claims_pb2_grpc
from fundguard.common.v1 import common_pb2
from fundguard.physician_codes.v1 import physician_codes_pb2 as pc_pb
from fundguard.physician_codes.v1 import physician_codes_pb2_grpc as pc_grpc
from fundguard.rules.v1 import rules_pb2, rules_pb2_grpc
from fundguard.runtime import telemetry
from fundguard.runtime.errors import FieldViolation, InvalidArgument, NotFound
from fundguard.runtime.paging import next_token, page_after, page_size
from fundguard.runtime.telemetry import CLAIM_ID, INSTITUTION_CODE
from fundguard.runtime.wire import date_or_none, decimal_or_none, money
from services.claims.audit import AuditRunner
from services.claims.cases import encounter_proto, lookback_days
from services.claims.cycle import Cycle, bill_deductions, deduction_lines
from services.claims.domain.binding import findings_from_bindings
from services.claims.domain.model import ClaimRecord, LineRecord, PatientRecord, claim_id_for
from services.claims.domain.volumes import DoctorVolume, check_request, period_dates
from services.claims.ingestion import Ingestion
from services.claims.store.analyses import autocommit, history_claims
from services.claims.store.repository import ClaimsStore
from services.claims.store.tables import settlements
from services.claims.translate import BINDING_NAMES, finding_from_rules, finding_to_proto

T = TypeVar("T")
MOMENTS = {common_pb2.MOMENT_PRE: "pre", common_pb2.MOMENT_IN: "in", common_pb2.MOMENT_POST: "post"}
tracer = trace.get_tracer("fundguard.claims")


def read_cases(cases: Sequence[common_pb2.PatientCase]) -> tuple[list[PatientRecord], list[ClaimRecord]]:
    """Domain records from the wire, naming every malformed field at once."""
    problems: list[FieldViolation] = []
    people: list[PatientRecord] = []
    records: list[ClaimRecord] = []
    if not cases:
        problems.append(FieldViolation("cases", "at least one patient is required"))
    for ci, case in enumerate(cases):
        p, at = case.patient, f"cases[{ci}].patient"
        if not p.patient_id:
            problems.append(FieldViolation(f"{at}.patient_id", "required"))
        if p.gender not in ("1", "2", "9", ""):
            problems.append(FieldViolation(f"{at}.gender", f"must be 1 (male), 2 (female) or 9, got {p.gender!r}"))
        people.append(PatientRecord(
            p.patient_id, p.name, p.gender, date_or_none(p.birth_date, f"{at}.birth_date", problems),
            date_or_none(p.death_date, f"{at}.death_date", problems), p.insurance_type))
        if not case.encounters:
            problems.append(FieldViolation(f"cases[{ci}].encounters", "at least one encounter is required"))
        for ei, e in enumerate(case.encounters):
            at = f"cases[{ci}].encounters[{ei}]"
            for name in ("encounter_id", "institution_code"):
                if not getattr(e, name):
                    problems.append(FieldViolation(f"{at}.{name}", "required"))
            if e.care_setting not in ("1", "2", "3"):
                problems.append(FieldViolation(f"{at}.care_setting",
                                               f"must be 1 outpatient, 2 inpatient or 3 pharmacy, got {e.care_setting!r}"))
            lines: list[LineRecord] = []
            seen: set[str] = set()
            for li, line in enumerate(e.lines):
                la = f"{at}.lines[{li}]"
                if not line.line_id:
                    problems.append(FieldViolation(f"{la}.line_id", "required"))
                elif line.line_id in seen:
                    problems.append(FieldViolation(f"{la}.line_id", f"duplicate line id {line.line_id!r} in the encounter"))
                seen.add(line.line_id)
                if not line.item_code:
                    problems.append(FieldViolation(f"{la}.item_code", "required"))
                qty = decimal_or_none(line.quantity, f"{la}.quantity", problems, required=True)
                amount = decimal_or_none(line.amount.amount, f"{la}.amount", problems, required=True)
                price = decimal_or_none(line.unit_price.amount, f"{la}.unit_price", problems)
                day = date_or_none(line.service_date, f"{la}.service_date", problems, required=True)
                if qty is None or amount is None or day is None:
                    continue
                lines.append(LineRecord(line.line_id, line.item_code, line.item_name, line.item_type,
                                        line.item_class, qty, price, amount, day, line.dept_code,
                                        line.doctor_code, line.doctor_name, line.original_line_id))
            records.append(ClaimRecord(
                claim_id=claim_id_for(e.institution_code, e.encounter_id), encounter_id=e.encounter_id,
                institution_code=e.institution_code, institution_level=e.institution_level,
                patient_id=p.patient_id, care_setting=e.care_setting, med_type=e.med_type,
                admission_date=date_or_none(e.admission_date, f"{at}.admission_date", problems),
                discharge_date=date_or_none(e.discharge_date, f"{at}.discharge_date", problems),
                doctor_code=e.doctor_code, dept_code=e.dept_code,
                insurance_type=e.insurance_type or p.insurance_type,
                total_amount=decimal_or_none(e.total_amount.amount, f"{at}.total_amount", problems),
                diagnoses=[{"code": d.code, "name": d.name, "main": d.main} for d in e.diagnoses],
                procedures=[{"code": x.code, "name": x.name, "main": x.main} for x in e.procedures],
                lines=lines,
            ))
    if problems:
        raise InvalidArgument(problems)
    return people, records


class ClaimsServicer(claims_pb2_grpc.ClaimsServiceServicer):
    def __init__(self, store: ClaimsStore, rules: rules_pb2_grpc.RulesServiceStub,
                 registry: pc_grpc.PhysicianCodesServiceStub, timeout: float = 10.0,
                 audit: AuditRunner | None = None, cycle: Cycle | None = None) -> None:
        self.store = store
        self.rules = rules
        self.registry = registry
        self.timeout = timeout
        self.pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="claims-fanout")
        self.ingestion = Ingestion(store.engine, store.partitions)
        self.audit = audit or AuditRunner(store.engine, rules, registry)
        self.cycle = cycle or Cycle(store.engine)
        self.lookback = lookback_days()

    def _in_parallel(self, *calls: Callable[[], T]) -> list[T]:
        """Run calls concurrently, each inside the current trace context."""
        ctx = otel_context.get_current()

        def within(fn: Callable[[], T]) -> T:
            token = otel_context.attach(ctx)
            try:
                return fn()
            finally:
                otel_context.detach(token)

        return [f.result() for f in [self.pool.submit(within, c) for c in calls]]

    def _deadline(self, context: grpc.ServicerContext) -> float:
        remaining = context.time_remaining()
        return self.timeout if remaining is None else max(min(remaining, self.timeout), 0.05)

    def Analyze(self, request: claims_pb2.AnalyzeRequest, context: grpc.ServicerContext) -> claims_pb2.AnalyzeResponse:
        requested_at = datetime.now(UTC)
        moment = MOMENTS.get(request.moment)
        if moment not in ("pre", "in"):
            raise InvalidArgument([FieldViolation("moment", "must be MOMENT_PRE (3101) or MOMENT_IN (3102)")])
        # A malformed request is refused before any I/O, unless its id answers it from storage.
        parsed = None if request.request_id else read_cases(request.cases)
        # Both reads on one connection, outside any transaction.
        with autocommit(self.store.engine) as conn:
            if request.request_id:
                stored = self.store.analysis(request.request_id, conn)
                if stored is not None:
                    claim_ids, rows = stored
                    return claims_pb2.AnalyzeResponse(findings=[finding_to_proto(r) for r in rows],
                                                      claim_ids=claim_ids, replayed=True)
            people, records = parsed or read_cases(request.cases)
            # Claims carry their own ids into the rules request so findings come back keyed by them.
            evaluate = rules_pb2.EvaluateRequest(cases=request.cases, moment=request.moment,
                                                 rule_ids=request.rule_ids)
            for case in evaluate.cases:
                for e in case.encounters:
                    e.claim_id = claim_id_for(e.institution_code, e.encounter_id)
            self._add_history(evaluate.cases, records, conn)
        trace_id, traceparent = telemetry.current_trace()
        verify = pc_pb.VerifyBindingsRequest()
        for r in records:
            for line in r.lines:
                verify.lines.add(line_id=f"{r.claim_id}\x1f{line.line_id}", staff_code=line.doctor_code,
                                 institution_code=r.institution_code, service_date=line.service_date.isoformat())
        deadline = self._deadline(context)
        # Blocking calls from the pool rather than grpc futures: a future on an idle channel
        # starts a channel-spin thread per call, which measured 0.5 ms more CPU per request.
        bindings, evaluated = self._in_parallel(
            lambda: self.registry.VerifyBindings(verify, timeout=deadline),
            lambda: self.rules.Evaluate(evaluate, timeout=deadline),
        )
        binding_results = {tuple(b.line_id.split("\x1f", 1)): (BINDING_NAMES.get(b.status, "valid"), b.detail)
                           for b in bindings.results}
        doctor_by_line = {(r.claim_id, line.line_id): line.doctor_code for r in records for line in r.lines}
        scope = request.request_id or requested_at.isoformat()
        found = [f.with_id(scope) for f in (
            findings_from_bindings(records, binding_results)  # type: ignore[arg-type]
            + [finding_from_rules(f, doctor_by_line) for f in evaluated.findings]
        )]
        for r in records:
            with tracer.start_as_current_span("claims.store_claim", attributes={
                    CLAIM_ID: r.claim_id, INSTITUTION_CODE: r.institution_code,
                    "fundguard.findings": sum(1 for f in found if f.claim_id == r.claim_id)}):
                pass
        analysis = None
        if request.request_id:
            analysis = {"request_id": request.request_id, "moment": moment, "trigger_scene": request.trigger_scene,
                        "task_id": request.task_id, "claim_ids": [r.claim_id for r in records],
                        "finding_ids": [f.finding_id for f in found], "requested_at": requested_at,
                        "responded_at": datetime.now(UTC)}
        self.store.record_analysis(people, records, found, moment, trace_id, traceparent, analysis)
        return claims_pb2.AnalyzeResponse(findings=[finding_to_proto(f) for f in found],
                                          claim_ids=[r.claim_id for r in records])

    def _add_history(self, cases: Sequence[common_pb2.PatientCase], records: Sequence[ClaimRecord],
                     conn: Connection) -> None:
        """Each patient's stored claims of the look-back window, as the case's history.

        The window runs from ``lookback`` days before the earliest line of the request to the
        day after its latest; the claims being analysed are never their own history.
        """
        days = [line.service_date for r in records for line in r.lines]
        if not days:
            return
        since, until = min(days) - timedelta(days=self.lookback), max(days) + timedelta(days=1)
        with tracer.start_as_current_span("claims.load_history", attributes={"fundguard.lookback_days": self.lookback}):
            stored = history_claims(conn, sorted({c.patient.patient_id for c in cases}), since, until,
                                    [r.claim_id for r in records])
        by_patient: dict[str, list[ClaimRecord]] = {}
        for c in stored:
            by_patient.setdefault(c.patient_id, []).append(c)
        for case in cases:
            case.history.extend(encounter_proto(c) for c in by_patient.get(case.patient.patient_id, []))

    def GetClaim(self, request: claims_pb2.GetClaimRequest, context: grpc.ServicerContext) -> claims_pb2.Claim:
        got = self.store.claim(request.claim_id)
        if got is None:
            raise NotFound(f"claim {request.claim_id} not found")
        head, person, lines, found = got
        encounter = common_pb2.Encounter(
            encounter_id=head["encounter_id"], institution_code=head["institution_code"],
            institution_level=head["institution_level"], care_setting=head["care_setting"], med_type=head["med_type"],
            admission_date=head["admission_date"].isoformat() if head["admission_date"] else "",
            discharge_date=head["discharge_date"].isoformat() if head["discharge_date"] else "",
            doctor_code=head["doctor_code"], dept_code=head["dept_code"], insurance_type=head["insurance_type"],
            total_amount=money(head["total_amount"]), claim_id=head["claim_id"],
            diagnoses=[common_pb2.Diagnosis(**d) for d in head["diagnoses"]],
            procedures=[common_pb2.Procedure(**x) for x in head["procedures"]],
            lines=[common_pb2.FeeLine(
                line_id=ln["line_id"], item_code=ln["item_code"], item_name=ln["item_name"], item_type=ln["item_type"],
                item_class=ln["item_class"], quantity=str(ln["quantity"]), unit_price=money(ln["unit_price"]),
                amount=money(ln["amount"]), service_date=ln["service_date"].isoformat(), dept_code=ln["dept_code"],
                doctor_code=ln["doctor_code"], doctor_name=ln["doctor_name"],
                original_line_id=ln["original_line_id"]) for ln in lines],
        )
        patient = common_pb2.Patient(
            patient_id=person.get("patient_id", ""), gender=person.get("gender", ""),
            birth_date=person["birth_date"].isoformat() if person.get("birth_date") else "",
            insurance_type=person.get("insurance_type", ""))
        claim = claims_pb2.Claim(claim_id=head["claim_id"], encounter=encounter, patient=patient,
                                 findings=[finding_to_proto(f) for f in found], trace_id=head["trace_id"])
        with self.store.engine.connect() as conn:
            bill = bill_deductions(conn, [head["claim_id"]])[head["claim_id"]]
            settled = conn.execute(sa.select(settlements.c.settlement_id, settlements.c.state,
                                             settlements.c.total_amount)
                                   .where(settlements.c.claim_id == head["claim_id"])
                                   .order_by(settlements.c.received_at)).all()
        claim.deductions.extend(deduction_lines(bill))
        claim.deducted.CopyFrom(money(bill.deducted))
        claim.settlements.extend(claims_pb2.SettlementSummary(settlement_id=s.settlement_id, state=s.state,
                                                              total_amount=money(s.total_amount)) for s in settled)
        return claim

    def ListFindings(self, request: claims_pb2.ListFindingsRequest,
                     context: grpc.ServicerContext) -> claims_pb2.ListFindingsResponse:
        if request.period and (len(request.period) != 7 or date_or_none(request.period + "-01", "period", []) is None):
            raise InvalidArgument([FieldViolation("period", f"must be YYYY-MM, got {request.period!r}")])
        size = page_size(request.page_size)
        filters: dict[str, object] = {"institution_code": request.institution_code,
                                      "doctor_code": request.doctor_code, "rule_id": request.rule_id,
                                      "run_id": request.run_id, "state": request.state}
        if request.continued_only:
            filters["continued"] = True
        rows, total, count = self.store.list_findings(filters, request.period or None, size + 1,
                                                      page_after(request.page_token))
        return claims_pb2.ListFindingsResponse(
            findings=[finding_to_proto(r) for r in rows[:size]], total_amount=money(total), total_count=count,
            next_page_token=next_token(rows, size, "finding_id"))

    def GetDoctorVolumes(self, request: claims_pb2.GetDoctorVolumesRequest,
                         context: grpc.ServicerContext) -> claims_pb2.GetDoctorVolumesResponse:
        codes, problems = check_request(list(request.doctor_codes), request.period)
        dates = period_dates(request.period)
        if problems or dates is None:
            raise InvalidArgument(problems)
        found = self.store.doctor_volumes(codes, *dates)
        return claims_pb2.GetDoctorVolumesResponse(volumes=[
            claims_pb2.DoctorVolume(doctor_code=v.doctor_code, encounters=v.encounters, patients=v.patients,
                                    lines=v.lines, total_cost=money(v.total_cost),
                                    cost_per_encounter=money(v.cost_per_encounter),
                                    cost_per_patient=money(v.cost_per_patient))
            for v in (found.get(c) or DoctorVolume(c) for c in codes)])

    # ---- 3103 feedback -----------------------------------------------------------------
    def RecordFeedback(self, request: claims_pb2.RecordFeedbackRequest,
                       context: grpc.ServicerContext) -> claims_pb2.RecordFeedbackResponse:
        problems: list[FieldViolation] = []
        if not request.feedback:
            problems.append(FieldViolation("feedback", "at least one warning's feedback is required"))
        for i, fb in enumerate(request.feedback):
            if not fb.warning_id:
                problems.append(FieldViolation(f"feedback[{i}].warning_id", "required (warn_rslt_id)"))
            if fb.disposal not in ("1", "2"):
                problems.append(FieldViolation(f"feedback[{i}].disposal",
                                               f"must be 1 (continue) or 2 (go back and change), got {fb.disposal!r}"))
            elif fb.disposal == "1" and not fb.reason.strip():
                problems.append(FieldViolation(f"feedback[{i}].reason", "a reason is required when continuing"))
        if problems:
            raise InvalidArgument(problems)
        return self.store.record_feedback(request)

    # ---- the audit run -----------------------------------------------------------------
    def StartAuditRun(self, request: claims_pb2.StartAuditRunRequest,
                      context: grpc.ServicerContext) -> claims_pb2.AuditRun:
        return self.audit.start_run(request)

    def GetAuditRun(self, request: claims_pb2.GetAuditRunRequest, context: grpc.ServicerContext) -> claims_pb2.AuditRun:
        return self.audit.get(request.run_id)

    def CompareAuditRuns(self, request: claims_pb2.CompareAuditRunsRequest,
                         context: grpc.ServicerContext) -> claims_pb2.CompareAuditRunsResponse:
        return self.audit.compare(request.base_run_id, request.other_run_id)

    # ---- the monthly cycle -------------------------------------------------------------
    def PublishFindings(self, request: claims_pb2.PublishFindingsRequest,
                        context: grpc.ServicerContext) -> claims_pb2.PublishFindingsResponse:
        return self.cycle.publish(request)

    def AppealFinding(self, request: claims_pb2.AppealFindingRequest,
                      context: grpc.ServicerContext) -> claims_pb2.FindingEvent:
        return self.cycle.appeal(request)

    def ReviewAppeal(self, request: claims_pb2.ReviewAppealRequest,
                     context: grpc.ServicerContext) -> claims_pb2.FindingEvent:
        return self.cycle.review(request)

    def ConfirmDueFindings(self, request: claims_pb2.ConfirmDueFindingsRequest,
                           context: grpc.ServicerContext) -> claims_pb2.ConfirmDueFindingsResponse:
        return self.cycle.confirm_due(request)

    def GetDeductionStatement(self, request: claims_pb2.GetDeductionStatementRequest,
                              context: grpc.ServicerContext) -> claims_pb2.DeductionStatement:
        return self.cycle.statement(request.institution_code, request.period)

    def ListFindingEvents(self, request: claims_pb2.ListFindingEventsRequest,
                          context: grpc.ServicerContext) -> claims_pb2.ListFindingEventsResponse:
        if not request.finding_id:
            raise InvalidArgument([FieldViolation("finding_id", "required")])
        size = page_size(request.page_size)
        after = page_after(request.page_token)
        if after and not after.isdigit():
            raise InvalidArgument([FieldViolation("page_token", "not a token this service issued")])
        rows = self.cycle.events(request.finding_id, size + 1, int(after or 0))
        return claims_pb2.ListFindingEventsResponse(
            events=[claims_pb2.FindingEvent(event_id=r["event_id"], finding_id=r["finding_id"],
                                            from_state=r["from_state"], to_state=r["to_state"], actor=r["actor"],
                                            reason=r["reason"], occurred_at=r["occurred_at"].isoformat())
                    for r in rows[:size]],
            next_page_token=next_token(rows, size, "seq"))

    # ---- ingestion (2204/2301, 2207/2304, 2208/2305) -------------------------------------
    def UploadFeeDetails(self, request: claims_pb2.UploadFeeDetailsRequest,
                         context: grpc.ServicerContext) -> claims_pb2.IngestReport:
        return self.ingestion.upload([request])

    def StreamFeeDetails(self, request_iterator: Iterator[claims_pb2.UploadFeeDetailsRequest],
                         context: grpc.ServicerContext) -> claims_pb2.IngestReport:
        return self.ingestion.upload(request_iterator)

    def Settle(self, request: claims_pb2.SettleRequest, context: grpc.ServicerContext) -> claims_pb2.SettleResponse:
        return self.ingestion.settle(request)

    def ReverseSettlement(self, request: claims_pb2.ReverseSettlementRequest,
                          context: grpc.ServicerContext) -> claims_pb2.SettleResponse:
        return self.ingestion.reverse(request)
