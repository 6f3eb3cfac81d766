"""gRPC servicer for physician_codes: translate, call the domain, translate back."""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import grpc
import polars as pl

from fundguard.physician_codes.v1 import physician_codes_pb2 as pb
from fundguard.physician_codes.v1 import physician_codes_pb2_grpc
from fundguard.runtime.errors import FieldViolation, InvalidArgument, NotFound
from fundguard.runtime.paging import next_token, page_after, page_size
from fundguard.runtime.wire import Parsed, date_or_none
from services.physician_codes.domain.binding import ONE_DAY, Binding, Sanction, judge, status_on
from services.physician_codes.domain.codes import CodeFormats
from services.physician_codes.domain.csvio import BadFile, RowError, read_rows, row_errors, write_rows
from services.physician_codes.domain.records import CHECKS, Problem
from services.physician_codes.domain.snapshot import LINE_COLUMNS, RegistrySnapshot, judge_frame
from services.physician_codes.store.repository import Change, RegistryStore, WriteReport
from services.physician_codes.store.snapshots import SnapshotCache

STATUS = {
    Binding.VALID: pb.BINDING_STATUS_VALID,
    Binding.MISSING_CODE: pb.BINDING_STATUS_MISSING_CODE,
    Binding.UNKNOWN_CODE: pb.BINDING_STATUS_UNKNOWN_CODE,
    Binding.NOT_REGISTERED: pb.BINDING_STATUS_NOT_REGISTERED,
    Binding.SUSPENDED: pb.BINDING_STATUS_SUSPENDED,
    Binding.TERMINATED: pb.BINDING_STATUS_TERMINATED,
}
SHANGHAI = ZoneInfo("Asia/Shanghai")
log = logging.getLogger(__name__)
KINDS = ("institutions", "staff", "registrations")


def today() -> date:
    """Business dates are Asia/Shanghai local dates."""
    return datetime.now(SHANGHAI).date()


def _iso(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _violations(prefix: str, problems: Sequence[Problem]) -> list[FieldViolation]:
    return [FieldViolation(f"{prefix}{p.field}", p.reason) for p in problems]


def _change(request: Any) -> Change:
    return Change(changed_by=getattr(request, "changed_by", ""), reason=getattr(request, "reason", ""),
                  request_id=getattr(request, "request_id", ""))


class PhysicianCodesServicer(physician_codes_pb2_grpc.PhysicianCodesServiceServicer):
    def __init__(self, store: RegistryStore, formats: CodeFormats | None = None, freshness: str = "read") -> None:
        self.store = store
        self.formats = formats or CodeFormats()
        self.snapshots = SnapshotCache(store, freshness)

    # -- translating records ---------------------------------------------------------------

    def _staff_proto(self, row: Mapping[str, str], unmask: bool = False,
                     snap: RegistrySnapshot | None = None) -> pb.Staff:
        facts = (snap or self.snapshots.current()).facts.get(row["code"])
        out = pb.Staff(code=row["code"], name=row["name"], role=row["role"], title=row["title"],
                       dept_code=row["dept_code"], id_number_masked=row["id_number_masked"],
                       status=status_on(facts, today()) if facts else "active")
        if unmask:
            # Reads of personal data are themselves logged (the gateway logs who asked).
            log.info("identity number revealed", extra={"fields": {"staff_code": row["code"]}})
            out.id_number = self.store.reveal_id_number(row)
        return out

    @staticmethod
    def _institution_proto(row: Mapping[str, str]) -> pb.Institution:
        return pb.Institution(code=row["code"], name=row["name"], level=row["level"], type=row["type"],
                              division=row["division"], agreement_status=row["agreement_status"],
                              agreement_effective_from=row["agreement_effective_from"])

    # -- registry writes -------------------------------------------------------------------

    def UpsertInstitution(self, request: pb.UpsertInstitutionRequest, context: grpc.ServicerContext) -> pb.Institution:
        i = request.institution
        row, problems = CHECKS["institutions"]({
            "code": i.code, "name": i.name, "level": i.level, "type": i.type, "division": i.division,
            "agreement_status": i.agreement_status, "agreement_effective_from": i.agreement_effective_from,
        }, self.formats)
        if problems:
            raise InvalidArgument(_violations("institution.", problems))
        self.store.upsert_institutions([row], _change(request), today())
        stored, _ = self.store.get_institution(i.code)
        return self._institution_proto(stored)

    def UpsertStaff(self, request: pb.UpsertStaffRequest, context: grpc.ServicerContext) -> pb.Staff:
        s = request.staff
        row, problems = CHECKS["staff"]({"code": s.code, "name": s.name, "role": s.role, "title": s.title,
                                         "dept_code": s.dept_code, "id_number": request.id_number}, self.formats)
        if problems:
            raise InvalidArgument([FieldViolation("id_number", p.reason) if p.field == "id_number"
                                   else FieldViolation(f"staff.{p.field}", p.reason) for p in problems])
        self.store.upsert_staff([row], _change(request))
        stored = self.store.get_staff(s.code)
        assert stored is not None
        return self._staff_proto(stored)

    def AddRegistration(self, request: pb.AddRegistrationRequest, context: grpc.ServicerContext) -> pb.Registration:
        r = request.registration
        row, problems = CHECKS["registrations"]({"staff_code": r.staff_code, "institution_code": r.institution_code,
                                                 "valid_from": r.valid_from, "valid_to": r.valid_to}, self.formats)
        if problems:
            raise InvalidArgument(_violations("registration.", problems))
        report = self.store.add_registrations([row], _change(request))
        if report.errors:
            raise InvalidArgument(_violations("registration.", [p for _, p in report.errors]))
        return pb.Registration(staff_code=r.staff_code, institution_code=r.institution_code,
                               valid_from=r.valid_from, valid_to=r.valid_to, recorded_by=request.changed_by)

    # -- registry reads --------------------------------------------------------------------

    def GetStaff(self, request: pb.GetStaffRequest, context: grpc.ServicerContext) -> pb.Staff:
        row = self.store.get_staff(request.code)
        if row is None:
            raise NotFound(f"staff {request.code} not found")
        return self._staff_proto(row, unmask=request.unmask)

    def GetInstitution(self, request: pb.GetInstitutionRequest, context: grpc.ServicerContext) -> pb.InstitutionRecord:
        row, history = self.store.get_institution(request.code)
        return pb.InstitutionRecord(institution=self._institution_proto(row), agreement_history=[
            pb.AgreementEvent(agreement_status=h["agreement_status"], effective_from=h["effective_from"],
                              reason=h["reason"], changed_by=h["changed_by"], recorded_at=h["recorded_at"])
            for h in history])

    def ListStaff(self, request: pb.ListStaffRequest, context: grpc.ServicerContext) -> pb.ListStaffResponse:
        problems: list[FieldViolation] = []
        as_of = date_or_none(request.as_of, "as_of", problems)
        size = page_size(request.page_size)
        if problems:
            raise InvalidArgument(problems)
        rows = self.store.list_staff(dept_code=request.dept_code, institution_code=request.institution_code,
                                     id_number=request.id_number, as_of=as_of or today(),
                                     after=page_after(request.page_token), limit=size + 1)
        snap = self.snapshots.current()
        return pb.ListStaffResponse(staff=[self._staff_proto(r, snap=snap) for r in rows[:size]],
                                    next_page_token=next_token(rows, size, "code"))

    # -- binding checks --------------------------------------------------------------------

    def VerifyBindings(self, request: pb.VerifyBindingsRequest,
                       context: grpc.ServicerContext) -> pb.VerifyBindingsResponse:
        problems: list[FieldViolation] = []
        # An encounter's lines (and a gathered batch's) share a few dates, doctors and
        # institutions: each distinct date text is parsed once, and each distinct (doctor,
        # institution, date text) judged once (judge is a function of its arguments and the
        # snapshot). Every date is read before the snapshot, so a malformed request is refused
        # whole, naming each line that carries a bad date, without touching the registry.
        parsed = Parsed(problems)
        days = parsed.dates
        for i, q in enumerate(request.lines):
            text = q.service_date
            if text not in days:
                parsed.day(text, f"lines[{i}].service_date", required=True)
        if problems:
            raise InvalidArgument(problems)
        facts = self.snapshots.current().facts
        judged: dict[tuple[str, str, str], tuple[int, str]] = {}
        response = pb.VerifyBindingsResponse()
        add = response.results.add
        for q in request.lines:
            key = (q.staff_code, q.institution_code, q.service_date)
            verdict = judged.get(key)
            if verdict is None:
                binding, detail = judge(key[0], key[1], days[key[2]], facts.get(key[0]))
                verdict = judged[key] = (STATUS[binding], detail)
            if verdict[1]:
                add(line_id=q.line_id, status=verdict[0], detail=verdict[1])
            else:  # an empty detail is the field's default: nothing to set
                add(line_id=q.line_id, status=verdict[0])
        return response

    def VerifyBindingsBulk(self, request: pb.VerifyBindingsBulkRequest,
                           context: grpc.ServicerContext) -> pb.VerifyBindingsBulkResponse:
        lines = read_lines_ipc(request.arrow_ipc)
        snap = self.snapshots.current()
        out = io.BytesIO()
        judge_frame(lines, snap).write_ipc_stream(out)
        return pb.VerifyBindingsBulkResponse(arrow_ipc=out.getvalue(), lines=lines.height,
                                             registry_version=snap.version)

    # -- sanctions from credit -------------------------------------------------------------

    def _sanction_reply(self, decision_id: str, staff_code: str, already: bool) -> pb.SanctionResponse:
        facts = self.snapshots.current().facts.get(staff_code)
        return pb.SanctionResponse(decision_id=decision_id, already_applied=already, staff_code=staff_code,
                                   staff_status_today=status_on(facts, today()) if facts else "active")

    def _sanction_common(self, decision_id: str, staff_code: str, problems: list[FieldViolation]) -> None:
        if not decision_id:
            problems.append(FieldViolation("decision_id", "required"))
        elif len(decision_id) > 64:
            problems.append(FieldViolation("decision_id", "at most 64 characters"))
        if reason := self.formats.check("staff", staff_code):
            problems.append(FieldViolation("staff_code", reason))

    def SuspendStaff(self, request: pb.SuspendStaffRequest, context: grpc.ServicerContext) -> pb.SanctionResponse:
        problems: list[FieldViolation] = []
        self._sanction_common(request.decision_id, request.staff_code, problems)
        start = date_or_none(request.start_date, "start_date", problems, required=True)
        end = date_or_none(request.end_date, "end_date", problems)
        if start and end and end < start:
            problems.append(FieldViolation("end_date", "must not be before start_date"))
        if problems or start is None:
            raise InvalidArgument(problems)
        already = self.store.record_sanction(
            Sanction(request.decision_id, "suspended", start, end, None, request.reason), request.staff_code,
            Change(request.decided_by, request.reason, request.decision_id))
        return self._sanction_reply(request.decision_id, request.staff_code, already)

    def TerminateStaff(self, request: pb.TerminateStaffRequest, context: grpc.ServicerContext) -> pb.SanctionResponse:
        problems: list[FieldViolation] = []
        self._sanction_common(request.decision_id, request.staff_code, problems)
        start = date_or_none(request.effective_date, "effective_date", problems, required=True)
        ban = date_or_none(request.ban_until, "ban_until", problems)
        if start and ban and ban < start:
            problems.append(FieldViolation("ban_until", "must not be before effective_date"))
        if problems or start is None:
            raise InvalidArgument(problems)
        already = self.store.record_sanction(
            Sanction(request.decision_id, "terminated", start, None, ban, request.reason), request.staff_code,
            Change(request.decided_by, request.reason, request.decision_id))
        return self._sanction_reply(request.decision_id, request.staff_code, already)

    def LiftSanction(self, request: pb.LiftSanctionRequest, context: grpc.ServicerContext) -> pb.SanctionResponse:
        problems: list[FieldViolation] = []
        for name in ("decision_id", "lift_decision_id"):
            if not getattr(request, name):
                problems.append(FieldViolation(name, "required"))
        effective = date_or_none(request.effective_date, "effective_date", problems)
        if problems:
            raise InvalidArgument(problems)
        staff_code, already = self.store.lift_sanction(
            request.lift_decision_id, request.decision_id, effective,
            Change(request.decided_by, request.reason, request.lift_decision_id))
        return self._sanction_reply(request.decision_id, staff_code, already)

    # -- import and export -----------------------------------------------------------------

    def ImportRegistry(self, request: pb.ImportRegistryRequest, context: grpc.ServicerContext) -> pb.ImportReport:
        rows, errors, written = import_csv(self, request.kind, request.csv, _change(request))
        return pb.ImportReport(
            rows=len(rows) + len({e.row for e in errors if e.field == ""}),  # plus rows refused for their shape
            accepted=written.accepted, unchanged=written.unchanged, rejected=len({e.row for e in errors}),
            errors=[pb.RowError(row=e.row, field=e.field, reason=e.reason) for e in sorted(errors, key=lambda e: e.row)])

    def ExportRegistry(self, request: pb.ExportRegistryRequest,
                       context: grpc.ServicerContext) -> pb.ExportRegistryResponse:
        if request.kind not in KINDS:
            raise InvalidArgument([FieldViolation("kind", f"must be one of {', '.join(KINDS)}")])
        rows = self.store.export_rows(request.kind)
        if request.kind == "staff":
            if request.unmask:
                log.info("identity numbers revealed in an export", extra={"fields": {"rows": len(rows)}})
            for r in rows:
                r["id_number"] = (self.store.reveal_id_number(r) if request.unmask
                                  else r.get("id_number_masked") or "")
        data, n = write_rows(request.kind, rows)
        return pb.ExportRegistryResponse(csv=data, rows=n)

    # -- doctors: identity, practice, status, peers ----------------------------------------

    def _sites_on(self, code: str, day: date) -> dict[str, dict[str, str]]:
        """Institutions where ``code`` may bill on ``day``: effective periods, so a registration
        that a termination cut no longer counts."""
        facts = self.snapshots.current().facts.get(code)
        return {inst: self.store.get_institution(inst)[0]
                for inst, periods in (facts.registrations if facts else {}).items()
                if any(p.covers(day) for p in periods)}

    def GetStaffProfile(self, request: pb.GetStaffProfileRequest, context: grpc.ServicerContext) -> pb.StaffProfile:
        problems: list[FieldViolation] = []
        as_of = date_or_none(request.as_of, "as_of", problems) or today()
        if problems:
            raise InvalidArgument(problems)
        row = self.store.get_staff(request.code)
        if row is None:
            raise NotFound(f"staff {request.code} not found")
        facts = self.snapshots.current().facts.get(request.code)
        regs = self.store.registrations_of(request.code)
        effective = {(inst, p.start): p.end for inst, periods in (facts.registrations if facts else {}).items()
                     for p in periods}
        institutions = self._sites_on(request.code, as_of)
        levels = sorted({i["level"] for i in institutions.values()})
        return pb.StaffProfile(
            staff=self._staff_proto(row, unmask=request.unmask),
            registrations=[pb.Registration(
                staff_code=r["staff_code"], institution_code=r["institution_code"], valid_from=_iso(r["valid_from"]),
                valid_to=_iso(r["valid_to"]), recorded_by=r["recorded_by"],
                effective_to=_effective_to(r, effective)) for r in regs],
            status_history=[pb.StatusEvent(
                decision_id=e["decision_id"], status=e["status"], start_date=_iso(e["effective_from"]),
                end_date=_iso(e["effective_to"]), ban_until=_iso(e["ban_until"]), reason=e["reason"],
                decided_by=e["recorded_by"], recorded_at=_iso(e["recorded_at"]),
                lifts_decision_id=e["lifts_decision_id"] or "") for e in self.store.status_history(request.code)],
            status_on_date=status_on(facts, as_of) if facts else "active",
            as_of=as_of.isoformat(),
            peer_groups=[pb.PeerGroup(role=row["role"], dept_code=row["dept_code"], institution_level=lv)
                         for lv in levels],
            institutions=[self._institution_proto(i) for i in institutions.values()],
        )

    def ListPeers(self, request: pb.ListPeersRequest, context: grpc.ServicerContext) -> pb.ListPeersResponse:
        problems: list[FieldViolation] = []
        as_of = date_or_none(request.as_of, "as_of", problems) or today()
        size = page_size(request.page_size)
        if problems:
            raise InvalidArgument(problems)
        row = self.store.get_staff(request.staff_code)
        if row is None:
            raise NotFound(f"staff {request.staff_code} not found")
        if request.institution_level:
            levels = [request.institution_level]
        else:
            levels = sorted({i["level"] for i in self._sites_on(request.staff_code, as_of).values()})
        peers = self.store.peers(row["role"], row["dept_code"], levels, as_of, request.staff_code,
                                 after=page_after(request.page_token), limit=size + 1) if levels else []
        token = next_token([{"code": c} for c in peers], size, "code")
        # A peer terminated on the day no longer practises; the page may then come out short.
        facts = self.snapshots.current().facts
        peers = [c for c in peers[:size] if c in facts and status_on(facts[c], as_of) != "terminated"]
        return pb.ListPeersResponse(
            peer_groups=[pb.PeerGroup(role=row["role"], dept_code=row["dept_code"], institution_level=lv)
                         for lv in levels],
            staff_codes=peers, next_page_token=token)


def _effective_to(reg: Mapping[str, Any], effective: Mapping[tuple[str, date], date | None]) -> str:
    """The registration's last payable day after sanctions; the day before it began when a
    termination voided it altogether; empty when open-ended."""
    key = (reg["institution_code"], reg["valid_from"])
    if key not in effective:
        return (reg["valid_from"] - ONE_DAY).isoformat()
    return _iso(effective[key])


def read_lines_ipc(data: bytes) -> pl.DataFrame:
    """Fee lines from an Arrow IPC stream, with service_date as a Date column."""
    try:
        frame = pl.read_ipc_stream(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - any decoding failure is the caller's bad input
        raise InvalidArgument([FieldViolation("arrow_ipc", f"not an Arrow IPC stream: {exc}")]) from exc
    missing = [c for c in LINE_COLUMNS if c not in frame.columns]
    if missing:
        raise InvalidArgument([FieldViolation("arrow_ipc", f"missing columns {', '.join(missing)}")])
    frame = frame.select(
        pl.col("line_id").cast(pl.String), pl.col("staff_code").cast(pl.String),
        pl.col("institution_code").cast(pl.String), pl.col("service_date"))
    if frame.schema["service_date"] != pl.Date:
        if frame.schema["service_date"] != pl.String:
            raise InvalidArgument([FieldViolation("arrow_ipc", "service_date must be date32 or YYYY-MM-DD text")])
        frame = frame.with_columns(pl.col("service_date").str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False))
    bad = frame.filter(pl.col("service_date").is_null()).get_column("line_id").head(10).to_list()
    if bad:
        raise InvalidArgument([FieldViolation("arrow_ipc.service_date",
                                              f"missing or not a date on lines {', '.join(map(str, bad))}")])
    return frame


def import_csv(servicer: PhysicianCodesServicer, kind: str, data: bytes,
               change: Change) -> tuple[list[int], list[RowError], WriteReport]:
    """Check every row, write the good ones in one transaction, report the rest."""
    try:
        rows, errors = read_rows(data, kind)
    except BadFile as exc:
        raise InvalidArgument([FieldViolation("csv" if kind in KINDS else "kind", str(exc))]) from exc
    good: list[dict[str, Any]] = []
    lines: list[int] = []
    for line, raw in rows:
        clean, problems = CHECKS[kind](raw, servicer.formats)
        if problems:
            errors += row_errors(line, problems)
        else:
            good.append(clean)
            lines.append(line)
    if not good:
        written = WriteReport()
    elif kind == "institutions":
        written = servicer.store.upsert_institutions(good, change, today())
    elif kind == "staff":
        written = servicer.store.upsert_staff(good, change)
    else:
        written = servicer.store.add_registrations(good, change)
        errors += [RowError(lines[i], p.field, p.reason) for i, p in written.errors]
    return [line for line, _ in rows], errors, written

