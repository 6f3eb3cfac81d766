"""A doctor's profile composed from three services' answers, for the gateway to call.

physician_codes answers who the doctor is, where they practise, their status and peer
group; claims answers findings (it owns the lines); credit answers points. Nothing is
copied between the services: this module only asks each and puts the answers side by side.
It holds no state and no database, so the gateway can import it and pass its own stubs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from fundguard.claims.v1 import claims_pb2
from fundguard.common.v1 import common_pb2
from fundguard.credit.v1 import credit_pb2
from fundguard.physician_codes.v1 import physician_codes_pb2 as pb

MAX_PAGES = 1000  # a doctor with more than a million findings in a month is a data problem


class RegistryStub(Protocol):
    def GetStaffProfile(self, request: pb.GetStaffProfileRequest, **kw: Any) -> pb.StaffProfile: ...
    def ListPeers(self, request: pb.ListPeersRequest, **kw: Any) -> pb.ListPeersResponse: ...


class ClaimsStub(Protocol):
    def ListFindings(self, request: claims_pb2.ListFindingsRequest, **kw: Any) -> claims_pb2.ListFindingsResponse: ...


class CreditStub(Protocol):
    def GetLedger(self, request: credit_pb2.GetLedgerRequest, **kw: Any) -> credit_pb2.GetLedgerResponse: ...


@dataclass
class RuleTally:
    rule_id: str
    rule_name: str
    findings: int = 0
    amount: Decimal = Decimal("0")


@dataclass
class DoctorProfile:
    profile: pb.StaffProfile
    period: str
    findings_by_rule: dict[str, RuleTally] = field(default_factory=dict)
    findings_total: int = 0
    amount_total: Decimal = Decimal("0")
    points: int | None = None          # None when credit did not answer
    peer_codes: dict[str, list[str]] = field(default_factory=dict)  # institution level -> peers


def findings_of(claims: ClaimsStub, doctor_code: str, period: str, *, page_size: int = 500,
                timeout: float = 10.0) -> Iterator[common_pb2.Finding]:
    """Every finding of the doctor in the period, page by page (claims pages them)."""
    token = ""
    for _ in range(MAX_PAGES):
        page = claims.ListFindings(claims_pb2.ListFindingsRequest(
            doctor_code=doctor_code, period=period, page_size=page_size, page_token=token), timeout=timeout)
        yield from page.findings
        token = page.next_page_token
        if not token:
            return


def tally(findings: Iterator[common_pb2.Finding]) -> dict[str, RuleTally]:
    out: dict[str, RuleTally] = {}
    for f in findings:
        t = out.setdefault(f.rule_id, RuleTally(f.rule_id, f.rule_name))
        t.findings += 1
        t.amount += Decimal(f.amount.amount or "0")
    return out


def doctor_profile(registry: RegistryStub, claims: ClaimsStub, credit: CreditStub | None, code: str,
                   period: str, as_of: str = "", unmask: bool = False, timeout: float = 10.0) -> DoctorProfile:
    """The doctor's identity, status and peers from physician_codes; findings by rule from
    claims; points for the period's year from credit (absent if credit cannot answer)."""
    profile = registry.GetStaffProfile(pb.GetStaffProfileRequest(code=code, as_of=as_of, unmask=unmask),
                                       timeout=timeout)
    out = DoctorProfile(profile=profile, period=period)
    out.findings_by_rule = tally(findings_of(claims, code, period, timeout=timeout))
    out.findings_total = sum(t.findings for t in out.findings_by_rule.values())
    out.amount_total = sum((t.amount for t in out.findings_by_rule.values()), Decimal("0"))
    for group in profile.peer_groups:
        peers = registry.ListPeers(pb.ListPeersRequest(staff_code=code, as_of=profile.as_of,
                                                       institution_level=group.institution_level,
                                                       page_size=1000), timeout=timeout)
        out.peer_codes[group.institution_level] = list(peers.staff_codes)
    if credit is not None:
        try:
            ledger = credit.GetLedger(credit_pb2.GetLedgerRequest(subject=code, year=period[:4]), timeout=timeout)
            out.points = ledger.total_points
        except Exception:  # noqa: BLE001 - points are one part of the picture; the rest stands
            out.points = None
    return out
