"""REST for people and agencies: institutions, auditors, admins, agencies and the public.

Each route names the roles it grants (``allow``); no grant, no access. Institution-level
data is further limited to what the caller may see: a platform its region, an institution
itself. Asking for someone else's data answers exactly like asking for data that does not
exist.
"""

from __future__ import annotations

import asyncio
import json
import queue
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import timedelta
from typing import Annotated, Any

import anyio
import grpc
from fastapi import Depends, FastAPI, Header, Path, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from google.protobuf import json_format
from google.protobuf.message import Message
from pydantic import BaseModel, ConfigDict, Field

from fundguard.claims.v1 import claims_pb2
from fundguard.common.v1 import common_pb2
from fundguard.credit.v1 import credit_pb2
from fundguard.physician_codes.v1 import physician_codes_pb2 as pc
from fundguard.rules.v1 import rules_pb2
from fundguard.runtime.errors import FieldViolation, InvalidArgument, NotFound
from gateway import uploads
from gateway.app import Edge, caller_of, deadline_of
from gateway.auth import Caller, may_read_agency, may_see_institution
from gateway.problems import Problem, from_rpc, not_found
from gateway.store.repository import AGENCIES, ROLES
from gateway.upstreams import call, remaining

PERIOD = r"^\d{4}-(0[1-9]|1[0-2])$"
DATE = r"^\d{4}-\d{2}-\d{2}$"
ID = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127}$"
# Who may use what: one table, read by the routes and by the table-driven test. A route
# missing here cannot be registered.
ROUTE_ROLES: dict[tuple[str, str], tuple[str, ...]] = {
    ("GET", "/api/v1/institutions/{code}/deduction-statements/{period}"): ("platform", "institution", "auditor", "admin"),
    ("GET", "/api/v1/whoami"): ROLES,
    ("GET", "/api/v1/disclosures"): ROLES,
    ("GET", "/api/v1/claims/{claim_id}"): ("platform", "institution", "auditor", "admin"),
    ("GET", "/api/v1/institutions/{code}/findings"): ("platform", "institution", "auditor", "admin"),
    ("POST", "/api/v1/institutions/{code}/findings/{finding_id}/appeal"): ("institution",),
    ("GET", "/api/v1/findings"): ("auditor", "admin"),
    ("GET", "/api/v1/findings/{finding_id}/events"): ("auditor", "admin"),
    ("POST", "/api/v1/findings/{finding_id}/review"): ("auditor",),
    ("POST", "/api/v1/audit-runs"): ("auditor", "admin"),
    ("GET", "/api/v1/audit-runs/{run_id}"): ("auditor", "admin"),
    ("POST", "/api/v1/cycles/{period}/publish"): ("auditor", "admin"),
    ("POST", "/api/v1/cycles/confirm-due"): ("auditor", "admin"),
    ("GET", "/api/v1/rules"): ("auditor", "admin"),
    ("POST", "/api/v1/rules/evaluate"): ("auditor",),
    ("POST", "/api/v1/catalogues"): ("auditor", "admin"),
    ("POST", "/api/v1/registry/institutions"): ("admin",),
    ("POST", "/api/v1/registry/staff"): ("admin",),
    ("POST", "/api/v1/registry/registrations"): ("admin",),
    ("GET", "/api/v1/registry/staff/{code}"): ("auditor", "admin"),
    ("GET", "/api/v1/callers"): ("admin",),
    ("POST", "/api/v1/callers"): ("admin",),
    ("POST", "/api/v1/callers/{caller_id}/rotate"): ("admin",),
    ("DELETE", "/api/v1/callers/{caller_id}"): ("admin",),
    ("POST", "/api/v1/cases"): ("auditor",),
    ("POST", "/api/v1/cases/{case_id}/referrals"): ("auditor",),
    ("GET", "/api/v1/cases/{case_id}"): ("auditor", "agency"),
    ("GET", "/api/v1/agencies/{agency}/feed"): ("agency",),
    ("GET", "/api/v1/agencies/{agency}/feed/events"): ("agency",),
    ("POST", "/api/v1/uploads/fee-details"): ("platform", "institution"),
}


def allow(*roles: str) -> Any:
    """A dependency granting the route to ``roles`` only (deny by default)."""
    async def granted(request: Request) -> Caller:
        caller = caller_of(request)
        if caller.role not in roles:
            raise Problem(403, f"caller {caller.caller_id} ({caller.role}) may not use this operation")
        return caller
    granted.roles = roles  # type: ignore[attr-defined]
    return Depends(granted)


def to_dict(message: Message) -> dict[str, Any]:
    return json_format.MessageToDict(message, preserving_proto_field_name=True,
                                      always_print_fields_with_no_presence=True)


def page(size: int | None, token: str | None) -> dict[str, Any]:
    return {"page_size": size or 0, "page_token": token or ""}


class Write(BaseModel):
    model_config = ConfigDict(extra="forbid")
    request_id: str = Field(pattern=ID, description="idempotency key: a retry with the same id changes nothing")


class AppealBody(Write):
    reason: str = Field(min_length=1, max_length=4000)
    evidence_refs: list[str] = Field(default_factory=list, max_length=100)


class ReviewBody(Write):
    decision: str = Field(pattern=r"^(upheld|overturned)$")
    reason: str = Field(min_length=1, max_length=4000)


class AuditRunBody(Write):
    period: str = Field(pattern=PERIOD)
    rule_pack_version: str = Field("", max_length=64)
    partition: int = Field(0, ge=0, le=4096)
    partitions: int = Field(0, ge=0, le=4096)


class PublishBody(Write):
    institution_code: str = Field("", max_length=16)
    run_id: str = Field("", max_length=128, description="empty: the latest finished run(s) of the period")


class ConfirmDueBody(Write):
    as_of: str = Field(pattern=DATE)


class CatalogueBody(Write):
    version: str = Field(min_length=1, max_length=64)
    effective_from: str = Field(pattern=DATE)
    files: dict[str, str] = Field(description="file name -> CSV text")


class EvaluateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    moment: str = Field("MOMENT_POST", pattern=r"^MOMENT_(PRE|IN|POST)$")
    rule_ids: list[str] = Field(default_factory=list, max_length=500)
    cases: list[dict[str, Any]] = Field(description="fundguard.common.v1.PatientCase in proto JSON", max_length=1000)


class InstitutionItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(max_length=16)
    name: str = Field("", max_length=200)
    level: str = Field("", max_length=4)
    type: str = Field("", max_length=32)
    division: str = Field("", max_length=6)
    agreement_status: str = Field("", max_length=32)


class StaffItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(max_length=20)
    name: str = Field("", max_length=200)
    role: str = Field("", max_length=32)
    title: str = Field("", max_length=64)
    dept_code: str = Field("", max_length=32)
    id_number: str = Field("", max_length=32, description="stored protected by physician_codes; never echoed")


class RegistrationItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    staff_code: str = Field(max_length=20)
    institution_code: str = Field(max_length=16)
    valid_from: str = Field(pattern=DATE)
    valid_to: str = Field("", pattern=r"^(\d{4}-\d{2}-\d{2})?$")


class InstitutionsImport(Write):
    items: list[InstitutionItem] = Field(min_length=1, max_length=10_000)


class StaffImport(Write):
    items: list[StaffItem] = Field(min_length=1, max_length=10_000)


class RegistrationsImport(Write):
    items: list[RegistrationItem] = Field(min_length=1, max_length=10_000)


class CallerBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    caller_id: str = Field(pattern=r"^[A-Za-z0-9_\-]{1,64}$")
    role: str = Field(pattern="^(" + "|".join(ROLES) + ")$")
    scope: str = Field("", max_length=64)
    name: str = Field("", max_length=200)
    cert_subject: str | None = Field(None, max_length=500)


class RotateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grace_hours: float = Field(24.0, ge=0, le=24 * 30)


class SubjectBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(pattern=r"^(institution|staff|insured)$")
    code: str = Field(max_length=32)
    name: str = Field("", max_length=200)
    id_number: str = Field("", max_length=32)


class OpenCaseBody(Write):
    subjects: list[SubjectBody] = Field(min_length=1, max_length=100)
    finding_ids: list[str] = Field(default_factory=list, max_length=10_000)
    summary: str = Field("", max_length=4000)
    # An auditor's case about facts credit has not seen as findings: its amount and fine basis.
    amount: str = Field("", pattern=r"^(\d{1,12}(\.\d{1,2})?)?$", description="yuan, a decimal string")
    fraud: bool = Field(False, description="art. 40 fines (2-5x) when true, art. 38 (1-2x) otherwise")
    evidence: list[str] = Field(default_factory=list, max_length=1000)
    institution_code: str = Field("", max_length=16)


class ReferBody(Write):
    agency: str = Field(pattern="^(" + "|".join(AGENCIES) + ")$")
    note: str = Field("", max_length=4000)


Size = Annotated[int | None, Query(ge=1, le=1000)]
Period = Annotated[str, Path(pattern=PERIOD, description="YYYY-MM")]
Token = Annotated[str | None, Query(max_length=512)]


def add_rest_routes(app: FastAPI, edge: Edge) -> None:
    up = edge.upstreams

    async def rpc(request: Request, method: Callable[..., Any], message: Any, name: str,
                  not_found_as: tuple[str, str] | None = None) -> Any:
        try:
            return await call(method, message, deadline_of(request), name)
        except grpc.RpcError as exc:
            raise from_rpc(exc, not_found_as) from None

    def route(method: str, path: str, **kw: Any) -> Callable[[Any], Any]:
        roles = ROUTE_ROLES[(method, path)]
        return app.api_route(path, methods=[method], dependencies=[allow(*roles)], **kw)

    # --- everyone -----------------------------------------------------------------------------
    @route("GET", "/api/v1/whoami", tags=["public"], summary="The authenticated caller and its scope")
    async def whoami(request: Request) -> dict[str, str]:
        c = caller_of(request)
        return {"caller_id": c.caller_id, "role": c.role, "scope": c.scope}

    @route("GET", "/api/v1/disclosures", tags=["public"],
           summary="The public list of sanctioned institutions")
    async def disclosures(request: Request, page_size: Size = None, page_token: Token = None) -> dict[str, Any]:
        reply = await rpc(request, up.credit.ListDisclosures, credit_pb2.ListDisclosuresRequest(
            **page(page_size, page_token)), "CreditService/ListDisclosures")
        return to_dict(reply)

    # --- claims, findings and the monthly cycle -----------------------------------------------
    @route("GET", "/api/v1/claims/{claim_id}", tags=["claims"],
           summary="A claim with its lines and findings")
    async def get_claim(request: Request, claim_id: str) -> dict[str, Any]:
        # claim_id = institution code + "-" + encounter id: the owner is known before asking.
        owner = claim_id.split("-", 1)[0]
        if not may_see_institution(caller_of(request), owner):
            raise not_found("claim", claim_id)
        return to_dict(await rpc(request, up.claims.GetClaim, claims_pb2.GetClaimRequest(claim_id=claim_id),
                                 "ClaimsService/GetClaim", ("claim", claim_id)))

    def own(request: Request, code: str) -> None:
        if not may_see_institution(caller_of(request), code):
            raise not_found("institution", code)

    @route("GET", "/api/v1/institutions/{code}/findings",
           tags=["institutions"], summary="An institution's findings (institutions see their published ones)")
    async def institution_findings(request: Request, code: str,
                                   period: Annotated[str | None, Query(pattern=PERIOD)] = None,
                                   rule_id: Annotated[str | None, Query(max_length=64)] = None,
                                   doctor_code: Annotated[str | None, Query(max_length=20)] = None,
                                   page_size: Size = None, page_token: Token = None) -> dict[str, Any]:
        own(request, code)
        reply = await rpc(request, up.claims.ListFindings, claims_pb2.ListFindingsRequest(
            institution_code=code, period=period or "", rule_id=rule_id or "", doctor_code=doctor_code or "",
            **page(page_size, page_token)), "ClaimsService/ListFindings")
        out = to_dict(reply)
        if caller_of(request).role == "institution":
            # Findings are the institution's to see once published, not while still in audit.
            out["findings"] = [f for f in out.get("findings", []) if f.get("state") not in ("", "found")]
        return out

    @route("POST", "/api/v1/institutions/{code}/findings/{finding_id}/appeal",
           tags=["institutions"], summary="Appeal a published finding before its deadline")
    async def appeal(request: Request, code: str, finding_id: str, body: AppealBody) -> dict[str, Any]:
        c = caller_of(request)
        if not may_see_institution(c, code):
            raise not_found("finding", finding_id)
        return to_dict(await rpc(request, up.claims.AppealFinding, claims_pb2.AppealFindingRequest(
            request_id=body.request_id, finding_id=finding_id, institution_code=code, reason=body.reason,
            evidence_refs=body.evidence_refs, actor=c.caller_id), "ClaimsService/AppealFinding",
            ("finding", finding_id)))

    @route("GET", "/api/v1/institutions/{code}/deduction-statements/{period}",
           tags=["institutions"],
           summary="What is deducted from an institution's next settlement, line by line")
    async def deduction_statement(request: Request, code: str, period: Period) -> dict[str, Any]:
        own(request, code)
        return to_dict(await rpc(request, up.claims.GetDeductionStatement, claims_pb2.GetDeductionStatementRequest(
            institution_code=code, period=period), "ClaimsService/GetDeductionStatement",
            ("deduction statement", f"{code}/{period}")))

    @route("GET", "/api/v1/findings", tags=["audit"], summary="Findings across institutions")
    async def findings(request: Request, institution_code: Annotated[str | None, Query(max_length=16)] = None,
                       period: Annotated[str | None, Query(pattern=PERIOD)] = None,
                       rule_id: Annotated[str | None, Query(max_length=64)] = None,
                       doctor_code: Annotated[str | None, Query(max_length=20)] = None,
                       state: Annotated[str | None, Query(
                           pattern=r"^(found|published|appealed|confirmed|overturned)$")] = None,
                       run_id: Annotated[str | None, Query(max_length=128)] = None,
                       continued_only: bool = False,
                       page_size: Size = None, page_token: Token = None) -> dict[str, Any]:
        return to_dict(await rpc(request, up.claims.ListFindings, claims_pb2.ListFindingsRequest(
            institution_code=institution_code or "", period=period or "", rule_id=rule_id or "",
            doctor_code=doctor_code or "", state=state or "", run_id=run_id or "", continued_only=continued_only,
            **page(page_size, page_token)), "ClaimsService/ListFindings"))

    @route("GET", "/api/v1/findings/{finding_id}/events", tags=["audit"],
           summary="A finding's history: who moved it, when and why")
    async def finding_events(request: Request, finding_id: str, page_size: Size = None,
                             page_token: Token = None) -> dict[str, Any]:
        return to_dict(await rpc(request, up.claims.ListFindingEvents, claims_pb2.ListFindingEventsRequest(
            finding_id=finding_id, **page(page_size, page_token)), "ClaimsService/ListFindingEvents"))

    @route("POST", "/api/v1/findings/{finding_id}/review", tags=["audit"],
           summary="Decide an appeal: the finding is upheld or overturned")
    async def review(request: Request, finding_id: str, body: ReviewBody) -> dict[str, Any]:
        return to_dict(await rpc(request, up.claims.ReviewAppeal, claims_pb2.ReviewAppealRequest(
            request_id=body.request_id, finding_id=finding_id, decision=body.decision, reason=body.reason,
            reviewer=caller_of(request).caller_id), "ClaimsService/ReviewAppeal"))

    @route("POST", "/api/v1/audit-runs", tags=["audit"],
           summary="Start the post-event audit of a period")
    async def start_run(request: Request, body: AuditRunBody) -> dict[str, Any]:
        return to_dict(await rpc(request, up.claims.StartAuditRun, claims_pb2.StartAuditRunRequest(
            **body.model_dump()), "ClaimsService/StartAuditRun"))

    @route("GET", "/api/v1/audit-runs/{run_id}", tags=["audit"],
           summary="An audit run's progress")
    async def get_run(request: Request, run_id: str) -> dict[str, Any]:
        return to_dict(await rpc(request, up.claims.GetAuditRun, claims_pb2.GetAuditRunRequest(run_id=run_id),
                                 "ClaimsService/GetAuditRun", ("audit run", run_id)))

    @route("POST", "/api/v1/cycles/{period}/publish", tags=["audit"],
           summary="Publish a period's findings to institutions (starts the appeal deadline)")
    async def publish(request: Request, period: Period, body: PublishBody) -> dict[str, Any]:
        return to_dict(await rpc(request, up.claims.PublishFindings, claims_pb2.PublishFindingsRequest(
            request_id=body.request_id, period=period, institution_code=body.institution_code, run_id=body.run_id,
            actor=caller_of(request).caller_id), "ClaimsService/PublishFindings"))

    @route("POST", "/api/v1/cycles/confirm-due", tags=["audit"],
           summary="Confirm the findings whose appeal deadline has passed")
    async def confirm_due(request: Request, body: ConfirmDueBody) -> dict[str, Any]:
        return to_dict(await rpc(request, up.claims.ConfirmDueFindings, claims_pb2.ConfirmDueFindingsRequest(
            request_id=body.request_id, as_of=body.as_of), "ClaimsService/ConfirmDueFindings"))

    # --- rules and the catalogue -------------------------------------------------------------
    @route("GET", "/api/v1/rules", tags=["rules"], summary="The rules in force on a date")
    async def list_rules(request: Request, as_of: Annotated[str | None, Query(pattern=DATE)] = None,
                         page_size: Size = None, page_token: Token = None) -> dict[str, Any]:
        return to_dict(await rpc(request, up.rules.ListRules, rules_pb2.ListRulesRequest(
            as_of=as_of or "", **page(page_size, page_token)), "RulesService/ListRules"))

    @route("POST", "/api/v1/rules/evaluate", tags=["rules"],
           summary="Try the rules on cases without storing anything")
    async def evaluate(request: Request, body: EvaluateBody) -> dict[str, Any]:
        cases = []
        problems = []
        for i, case in enumerate(body.cases):
            try:
                cases.append(json_format.ParseDict(case, common_pb2.PatientCase()))
            except json_format.ParseError as exc:
                problems.append(FieldViolation(f"cases[{i}]", str(exc)[:300]))
        if problems:
            raise InvalidArgument(problems)
        return to_dict(await rpc(request, up.rules.Evaluate, rules_pb2.EvaluateRequest(
            cases=cases, moment=common_pb2.Moment.Value(body.moment), rule_ids=body.rule_ids),
            "RulesService/Evaluate"))

    @route("POST", "/api/v1/catalogues", tags=["rules"],
           summary="Load a catalogue version (CSV files by name)")
    async def load_catalogue(request: Request, body: CatalogueBody) -> dict[str, Any]:
        return to_dict(await rpc(request, up.rules.LoadCatalogue, rules_pb2.LoadCatalogueRequest(
            **body.model_dump()), "RulesService/LoadCatalogue"))

    # --- registry imports (admins) ------------------------------------------------------------
    async def each(request: Request, items: list[Any], send: Callable[[int, Any], Coroutine[Any, Any, Any]]
                   ) -> dict[str, Any]:
        """Import item by item; a bad item is reported by index while the others go in."""
        results: list[dict[str, Any]] = []
        for i, item in enumerate(items):
            try:
                await send(i, item)
                results.append({"index": i, "status": "accepted"})
            except Problem as p:
                if p.status not in (400, 404, 409):
                    raise
                results.append({"index": i, "status": "rejected", "detail": p.detail,
                                "errors": [{"field": e.field, "reason": e.reason} for e in p.errors]})
            except InvalidArgument as exc:
                results.append({"index": i, "status": "rejected", "detail": "invalid fields",
                                "errors": [{"field": e.field, "reason": e.reason} for e in exc.violations]})
        return {"accepted": sum(r["status"] == "accepted" for r in results),
                "rejected": sum(r["status"] == "rejected" for r in results), "results": results}

    @route("POST", "/api/v1/registry/institutions", tags=["registry"],
           summary="Import institutions into the registry")
    async def import_institutions(request: Request, body: InstitutionsImport) -> dict[str, Any]:
        async def send(i: int, item: InstitutionItem) -> Any:
            return await rpc(request, up.registry.UpsertInstitution, pc.UpsertInstitutionRequest(
                request_id=f"{body.request_id}:{i}", institution=pc.Institution(**item.model_dump())),
                "PhysicianCodesService/UpsertInstitution")
        return await each(request, body.items, send)

    @route("POST", "/api/v1/registry/staff", tags=["registry"],
           summary="Import staff (doctors, pharmacists, nurses) with their codes")
    async def import_staff(request: Request, body: StaffImport) -> dict[str, Any]:
        async def send(i: int, item: StaffItem) -> Any:
            fields = item.model_dump()
            id_number = fields.pop("id_number")
            return await rpc(request, up.registry.UpsertStaff, pc.UpsertStaffRequest(
                request_id=f"{body.request_id}:{i}", staff=pc.Staff(**fields), id_number=id_number),
                "PhysicianCodesService/UpsertStaff")
        return await each(request, body.items, send)

    @route("POST", "/api/v1/registry/registrations", tags=["registry"],
           summary="Import registrations: who may bill at which institution, from when")
    async def import_registrations(request: Request, body: RegistrationsImport) -> dict[str, Any]:
        async def send(i: int, item: RegistrationItem) -> Any:
            return await rpc(request, up.registry.AddRegistration, pc.AddRegistrationRequest(
                request_id=f"{body.request_id}:{i}", registration=pc.Registration(**item.model_dump())),
                "PhysicianCodesService/AddRegistration")
        return await each(request, body.items, send)

    @route("GET", "/api/v1/registry/staff/{code}", tags=["registry"],
           summary="A staff member's registry entry (identity number masked)")
    async def get_staff(request: Request, code: str) -> dict[str, Any]:
        return to_dict(await rpc(request, up.registry.GetStaff, pc.GetStaffRequest(code=code),
                                 "PhysicianCodesService/GetStaff", ("staff", code)))

    # --- callers and scopes (admins) ------------------------------------------------------------
    async def store(fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return await anyio.to_thread.run_sync(fn, *args)
        except NotFound as exc:
            raise Problem(404, str(exc)) from None

    @route("GET", "/api/v1/callers", tags=["callers"], summary="Every caller, its role and scope")
    async def list_callers(request: Request) -> dict[str, Any]:
        return {"callers": await store(edge.callers.list)}

    @route("POST", "/api/v1/callers", tags=["callers"], status_code=201,
           summary="Provision a caller; its token is shown once")
    async def add_caller(request: Request, body: CallerBody) -> dict[str, Any]:
        token = await store(lambda: edge.callers.add(body.caller_id, body.role, body.scope, body.name,
                                                     body.cert_subject))
        return {"caller_id": body.caller_id, "role": body.role, "scope": body.scope, "token": token}

    @route("POST", "/api/v1/callers/{caller_id}/rotate", tags=["callers"],
           summary="A new token; the old one stays valid for the grace period")
    async def rotate_caller(request: Request, caller_id: str, body: RotateBody) -> dict[str, Any]:
        token = await store(edge.callers.rotate, caller_id, timedelta(hours=body.grace_hours))
        return {"caller_id": caller_id, "token": token, "old_token_valid_for_hours": body.grace_hours}

    @route("DELETE", "/api/v1/callers/{caller_id}", tags=["callers"], status_code=204,
           summary="Revoke a caller at once")
    async def revoke_caller(request: Request, caller_id: str) -> JSONResponse:
        await store(edge.callers.revoke, caller_id)
        return JSONResponse(None, status_code=204)

    # --- cases and agencies' feeds --------------------------------------------------------------
    @route("POST", "/api/v1/cases", tags=["cases"], summary="Open a case")
    async def open_case(request: Request, body: OpenCaseBody) -> dict[str, Any]:
        return to_dict(await rpc(request, up.credit.OpenCase, credit_pb2.OpenCaseRequest(
            request_id=body.request_id, subjects=[credit_pb2.CaseSubject(**s.model_dump()) for s in body.subjects],
            finding_ids=body.finding_ids, summary=body.summary, opened_by=caller_of(request).caller_id,
            amount=common_pb2.Money(amount=body.amount), fraud=body.fraud, evidence=body.evidence,
            institution_code=body.institution_code), "CreditService/OpenCase"))

    @route("POST", "/api/v1/cases/{case_id}/referrals", tags=["cases"],
           summary="Refer a case to an agency (it appears on that agency's feed)")
    async def refer_case(request: Request, case_id: str, body: ReferBody) -> dict[str, Any]:
        return to_dict(await rpc(request, up.credit.ReferCase, credit_pb2.ReferCaseRequest(
            request_id=body.request_id, case_id=case_id, agency=body.agency, note=body.note,
            referred_by=caller_of(request).caller_id), "CreditService/ReferCase", ("case", case_id)))

    @route("GET", "/api/v1/cases/{case_id}", tags=["cases"],
           summary="A case; an agency sees only cases referred to it")
    async def get_case(request: Request, case_id: str) -> dict[str, Any]:
        c = caller_of(request)
        agency = c.scope if c.role == "agency" else ""
        return to_dict(await rpc(request, up.credit.GetCase, credit_pb2.GetCaseRequest(
            case_id=case_id, agency=agency, unmask_identity=unmask(c), reader=c.caller_id), "CreditService/GetCase",
            ("case", case_id)))

    def unmask(c: Caller) -> bool:
        # Identity numbers go only to the police, who need them to act on a referral.
        return c.role == "agency" and c.scope == "police"

    async def read_feed(request: Request, agency: str, cursor: str, size: int) -> credit_pb2.ReadFeedResponse:
        c = caller_of(request)
        reply: credit_pb2.ReadFeedResponse = await rpc(request, up.credit.ReadFeed, credit_pb2.ReadFeedRequest(
            agency=agency, cursor=cursor, page_size=size, unmask_identity=unmask(c), reader=c.caller_id),
            "CreditService/ReadFeed")
        return reply

    def feed_owner(request: Request, agency: str) -> None:
        if not may_read_agency(caller_of(request), agency):
            raise not_found("feed", agency)

    @route("GET", "/api/v1/agencies/{agency}/feed", tags=["cases"],
           summary="The agency's case feed; long-polls up to `wait` seconds when nothing is new")
    async def feed(request: Request, agency: str, cursor: Annotated[str, Query(max_length=256)] = "",
                   page_size: Size = None, wait: Annotated[float, Query(ge=0, le=55)] = 0) -> dict[str, Any]:
        feed_owner(request, agency)
        until = time.monotonic() + min(wait, max(remaining(deadline_of(request)) - 1, 0))
        while True:
            reply = await read_feed(request, agency, cursor, page_size or 100)
            if reply.events or time.monotonic() >= until or await request.is_disconnected():
                out = to_dict(reply)
                out["next_cursor"] = reply.next_cursor or cursor
                return out
            await asyncio.sleep(min(1.0, max(until - time.monotonic(), 0.01)))

    @route("GET", "/api/v1/agencies/{agency}/feed/events", tags=["cases"],
           summary="The agency's case feed as server-sent events, resumable with Last-Event-ID",
           response_class=StreamingResponse)
    async def feed_events(request: Request, agency: str, cursor: Annotated[str, Query(max_length=256)] = "",
                          seconds: Annotated[float, Query(ge=1, le=3600)] = 300,
                          last_event_id: Annotated[str | None, Header(max_length=256)] = None) -> StreamingResponse:
        feed_owner(request, agency)
        start = last_event_id or cursor
        first = await read_feed(request, agency, start, 100)  # errors answer before the stream starts

        async def events() -> AsyncIterator[bytes]:
            reply, position = first, start
            until = time.monotonic() + seconds
            while True:
                for ev in reply.events:
                    data = json.dumps(to_dict(ev), ensure_ascii=False)
                    yield f"id: {ev.cursor}\nevent: {ev.kind or 'case'}\ndata: {data}\n\n".encode()
                position = reply.next_cursor or position
                if time.monotonic() >= until or await request.is_disconnected():
                    return
                if not reply.events:
                    yield b": keep-alive\n\n"
                    await asyncio.sleep(1.0)
                request.state.deadline = time.monotonic() + edge.config.deadline
                reply = await read_feed(request, agency, position, 100)

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})

    # --- bulk upload ------------------------------------------------------------------------------
    @route("POST", "/api/v1/uploads/fee-details", tags=["ingestion"],
           summary="A month's fee details as NDJSON or CSV, streamed to claims; answers a per-row report",
           openapi_extra={"requestBody": {"required": True, "content": {
               "application/x-ndjson": {"schema": {"type": "string",
                                                   "description": "one feedetail row (2204 shape) per line"}},
               "text/csv": {"schema": {"type": "string",
                                       "description": "a header of national field names, then rows"}}}}})
    async def upload_fee_details(request: Request, institution_code: Annotated[str, Query(max_length=16)],
                                 request_id: Annotated[str, Query(pattern=ID)]) -> dict[str, Any]:
        if not may_see_institution(caller_of(request), institution_code):
            raise not_found("institution", institution_code)
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        kinds = {"application/x-ndjson": "ndjson", "application/jsonl": "ndjson", "application/json-seq": "ndjson",
                 "text/csv": "csv"}
        if media not in kinds:
            raise Problem(415, "send application/x-ndjson (one fee-detail object per line) or text/csv")
        kind = kinds[media]
        q: queue.Queue[claims_pb2.UploadFeeDetailsRequest | None] = queue.Queue(maxsize=4)
        sent: list[int] = []
        local: list[tuple[int, str, str]] = []
        deadline = deadline_of(request) + edge.config.max_deadline  # a month of rows takes longer than a call

        async def produce() -> None:
            batch: list[claims_pb2.FeeDetail] = []
            first = True
            try:
                async for n, row in uploads.rows(request.stream(), kind):
                    if isinstance(row, uploads.RowProblem):
                        local.append((n, row.field, row.reason))
                        continue
                    try:
                        batch.append(uploads.row_detail(row))
                    except uploads.RowProblem as p:
                        local.append((n, p.field, p.reason))
                        continue
                    sent.append(n)
                    if len(batch) >= uploads.CHUNK_ROWS:
                        await anyio.to_thread.run_sync(q.put, uploads.chunk_request(
                            request_id, institution_code, batch, first))
                        batch, first = [], False
                if batch or first:
                    await anyio.to_thread.run_sync(q.put, uploads.chunk_request(
                        request_id, institution_code, batch, first))
            finally:
                await anyio.to_thread.run_sync(q.put, None)

        result: dict[str, Any] = {}

        async def consume() -> None:
            try:
                result["report"] = await call(lambda it, timeout: up.claims.StreamFeeDetails(it, timeout=timeout),
                                              uploads.iterate(q.get), deadline, "ClaimsService/StreamFeeDetails")
            except BaseException:
                # Unblock the producer, which may be waiting for room in the queue.
                while True:
                    try:
                        q.get_nowait()
                    except queue.Empty:
                        break
                raise

        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(consume)
                await produce()
        except BaseExceptionGroup as group:  # noqa: F821 (builtin since 3.11)
            first_error = group.exceptions[0]
            if isinstance(first_error, grpc.RpcError):
                raise from_rpc(first_error) from None
            raise first_error from None
        return uploads.merge_report(result["report"], sent, local)
