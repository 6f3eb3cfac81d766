"""gRPC servicer for physician_codes: translate, call the domain, translate back."""

from __future__ import annotations

import grpc

from fundguard.physician_codes.v1 import physician_codes_pb2 as pb
from fundguard.physician_codes.v1 import physician_codes_pb2_grpc
from fundguard.runtime.errors import FieldViolation, InvalidArgument, NotFound
from fundguard.runtime.wire import date_or_none
from services.physician_codes.domain.binding import Binding, judge
from services.physician_codes.domain.codes import CodeFormats
from services.physician_codes.store.repository import RegistryStore

STATUS = {
    Binding.VALID: pb.BINDING_STATUS_VALID,
    Binding.MISSING_CODE: pb.BINDING_STATUS_MISSING_CODE,
    Binding.UNKNOWN_CODE: pb.BINDING_STATUS_UNKNOWN_CODE,
    Binding.NOT_REGISTERED: pb.BINDING_STATUS_NOT_REGISTERED,
    Binding.SUSPENDED: pb.BINDING_STATUS_SUSPENDED,
    Binding.TERMINATED: pb.BINDING_STATUS_TERMINATED,
}
LEVELS = {"1", "2", "3"}
ROLES = {"doctor", "pharmacist", "nurse", "technician"}


def _staff_to_proto(row: dict[str, str], status: str = "active") -> pb.Staff:
    return pb.Staff(code=row["code"], name=row["name"], role=row["role"], title=row["title"],
                    dept_code=row["dept_code"], id_number_masked=row["id_number_masked"], status=status)


class PhysicianCodesServicer(physician_codes_pb2_grpc.PhysicianCodesServiceServicer):
    def __init__(self, store: RegistryStore, formats: CodeFormats | None = None) -> None:
        self.store = store
        self.formats = formats or CodeFormats()

    def UpsertInstitution(self, request: pb.UpsertInstitutionRequest, context: grpc.ServicerContext) -> pb.Institution:
        i = request.institution
        problems = [FieldViolation(f"institution.{kind_field}", reason) for kind_field, reason in (
            ("code", self.formats.check("institution", i.code)),
            ("division", self.formats.check("division", i.division)),
        ) if reason]
        if not i.name:
            problems.append(FieldViolation("institution.name", "required"))
        if i.level not in LEVELS:
            problems.append(FieldViolation("institution.level", f"must be 1, 2 or 3, got {i.level!r}"))
        if problems:
            raise InvalidArgument(problems)
        self.store.upsert_institution({"code": i.code, "name": i.name, "level": i.level,
                                       "type": i.type or "hospital", "division": i.division,
                                       "agreement_status": i.agreement_status or "active"})
        return i

    def UpsertStaff(self, request: pb.UpsertStaffRequest, context: grpc.ServicerContext) -> pb.Staff:
        s = request.staff
        problems: list[FieldViolation] = []
        if reason := self.formats.check("staff", s.code):
            problems.append(FieldViolation("staff.code", reason))
        if not s.name:
            problems.append(FieldViolation("staff.name", "required"))
        if s.role not in ROLES:
            problems.append(FieldViolation("staff.role", f"must be one of {', '.join(sorted(ROLES))}"))
        if problems:
            raise InvalidArgument(problems)
        row = self.store.upsert_staff({"code": s.code, "name": s.name, "role": s.role, "title": s.title,
                                       "dept_code": s.dept_code}, request.id_number)
        return _staff_to_proto(row)

    def AddRegistration(self, request: pb.AddRegistrationRequest, context: grpc.ServicerContext) -> pb.Registration:
        r = request.registration
        problems: list[FieldViolation] = []
        start = date_or_none(r.valid_from, "registration.valid_from", problems, required=True)
        end = date_or_none(r.valid_to, "registration.valid_to", problems)
        if start and end and end < start:
            problems.append(FieldViolation("registration.valid_to", "must not be before valid_from"))
        if self.store.get_staff(r.staff_code) is None:
            problems.append(FieldViolation("registration.staff_code", f"unknown staff code {r.staff_code!r}"))
        if not self.store.institution_exists(r.institution_code):
            problems.append(FieldViolation("registration.institution_code",
                                           f"unknown institution code {r.institution_code!r}"))
        if problems or start is None:
            raise InvalidArgument(problems)
        self.store.add_registration(r.staff_code, r.institution_code, start, end)
        return r

    def GetStaff(self, request: pb.GetStaffRequest, context: grpc.ServicerContext) -> pb.Staff:
        row = self.store.get_staff(request.code)
        if row is None:
            raise NotFound(f"staff {request.code} not found")
        return _staff_to_proto(row)

    def VerifyBindings(self, request: pb.VerifyBindingsRequest,
                       context: grpc.ServicerContext) -> pb.VerifyBindingsResponse:
        problems: list[FieldViolation] = []
        days = [date_or_none(q.service_date, f"lines[{i}].service_date", problems, required=True)
                for i, q in enumerate(request.lines)]
        if problems:
            raise InvalidArgument(problems)
        facts = self.store.facts(q.staff_code for q in request.lines)
        results = []
        for q, day in zip(request.lines, days, strict=True):
            assert day is not None
            binding, detail = judge(q.staff_code, q.institution_code, day, facts.get(q.staff_code))
            results.append(pb.BindingResult(line_id=q.line_id, status=STATUS[binding], detail=detail))
        return pb.VerifyBindingsResponse(results=results)
