"""A doctor's profile composed from three services' answers, for the gateway to call.

physician_codes answers who the doctor is, where they practise, their status and peer
group; claims answers findings and the billed volumes of the doctor and the peers (it owns the
lines, and sums them in one call for all the codes asked); credit answers points. Nothing is
copied between the services: this module only asks each and puts the answers side by side.
It holds no state and no database, so the gateway can import it and pass its own stubs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from fundguard.claims.v1 import claims_pb2
from fundguard.common.v1 import common_pb2
from fundguard.credit.v1 import credit_pb2
from fundguard.physician_codes.v1 import physician_codes_pb2 as pb

MAX_PAGES = 1000  # a doctor with more than a million findings in a month is a data problem
VOLUME_BATCH = 2000  # claims' limit of codes per GetDoctorVolumes call
CENT = Decimal("0.01")


class RegistryStub(Protocol):
    def GetStaffProfile(self, request: pb.GetStaffProfileRequest, **kw: Any) -> pb.StaffProfile: ...
    def ListPeers(self, request: pb.ListPeersRequest, **kw: Any) -> pb.ListPeersResponse: ...


class ClaimsStub(Protocol):
    def ListFindings(self, request: claims_pb2.ListFindingsRequest, **kw: Any) -> claims_pb2.ListFindingsResponse: ...
    def GetDoctorVolumes(self, request: claims_pb2.GetDoctorVolumesRequest,
                         **kw: Any) -> claims_pb2.GetDoctorVolumesResponse: ...


class CreditStub(Protocol):
    def GetLedger(self, request: credit_pb2.GetLedgerRequest, **kw: Any) -> credit_pb2.GetLedgerResponse: ...


@dataclass
class RuleTally:
    rule_id: str
    rule_name: str
    findings: int = 0
    amount: Decimal = Decimal("0")


@dataclass
class PeerComparison:
    """The doctor against one peer group (same role and department, same institution level).

    Medians are over the peers who billed something in the period (a peer without encounters
    has no cost per encounter to compare); a ratio is None when there is no median to divide by.
    """
    institution_level: str
    peers: int                               # peers in the group
    peers_billing: int                       # peers with encounters in the period
    median_cost_per_encounter: Decimal | None
    median_cost_per_patient: Decimal | None
    ratio_cost_per_encounter: Decimal | None  # doctor / median, two decimals
    ratio_cost_per_patient: Decimal | None


@dataclass
class DoctorProfile:
    profile: pb.StaffProfile
    period: str
    findings_by_rule: dict[str, RuleTally] = field(default_factory=dict)
    findings_total: int = 0
    amount_total: Decimal = Decimal("0")
    points: int | None = None          # None when credit did not answer
    peer_codes: dict[str, list[str]] = field(default_factory=dict)  # institution level -> peers
    volume: claims_pb2.DoctorVolume | None = None   # claims' answer for the doctor, as given
    peer_volumes: dict[str, claims_pb2.DoctorVolume] = field(default_factory=dict)  # code -> claims' answer
    peer_comparisons: dict[str, PeerComparison] = field(default_factory=dict)      # institution level -> figures


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


def median(values: list[Decimal]) -> Decimal | None:
    """The middle value (the mean of the two middle ones for an even count, to the cent, half up)."""
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return ((ordered[mid - 1] + ordered[mid]) / 2).quantize(CENT, rounding=ROUND_HALF_UP)


def ratio(mine: Decimal, typical: Decimal | None) -> Decimal | None:
    """mine / typical to two decimals, half up; None without a positive typical value."""
    if typical is None or typical <= 0:
        return None
    return (mine / typical).quantize(CENT, rounding=ROUND_HALF_UP)


def compare(level: str, doctor: claims_pb2.DoctorVolume, peers: list[claims_pb2.DoctorVolume]) -> PeerComparison:
    billing = [p for p in peers if p.encounters > 0]
    per_encounter = median([Decimal(p.cost_per_encounter.amount) for p in billing])
    per_patient = median([Decimal(p.cost_per_patient.amount) for p in billing if p.patients > 0])
    return PeerComparison(
        institution_level=level, peers=len(peers), peers_billing=len(billing),
        median_cost_per_encounter=per_encounter, median_cost_per_patient=per_patient,
        ratio_cost_per_encounter=ratio(Decimal(doctor.cost_per_encounter.amount or "0"), per_encounter),
        ratio_cost_per_patient=ratio(Decimal(doctor.cost_per_patient.amount or "0"), per_patient))


def peers_of(registry: RegistryStub, code: str, as_of: str, level: str, timeout: float) -> list[str]:
    """Every peer at the level, page by page (physician_codes pages them)."""
    out: list[str] = []
    token = ""
    for _ in range(MAX_PAGES):
        page = registry.ListPeers(pb.ListPeersRequest(staff_code=code, as_of=as_of, institution_level=level,
                                                      page_size=1000, page_token=token), timeout=timeout)
        out.extend(page.staff_codes)
        token = page.next_page_token
        if not token:
            break
    return out


def volumes_of(claims: ClaimsStub, codes: list[str], period: str,
               timeout: float) -> dict[str, claims_pb2.DoctorVolume]:
    """claims' volumes for the codes, one call per 2,000 codes (usually one call in all)."""
    out: dict[str, claims_pb2.DoctorVolume] = {}
    for i in range(0, len(codes), VOLUME_BATCH):
        answer = claims.GetDoctorVolumes(claims_pb2.GetDoctorVolumesRequest(
            doctor_codes=codes[i:i + VOLUME_BATCH], period=period), timeout=timeout)
        out.update((v.doctor_code, v) for v in answer.volumes)
    return out


def doctor_profile(registry: RegistryStub, claims: ClaimsStub, credit: CreditStub | None, code: str,
                   period: str, as_of: str = "", unmask: bool = False, timeout: float = 10.0) -> DoctorProfile:
    """The doctor's identity, status and peers from physician_codes; findings by rule from
    claims; volumes of the doctor and every peer from claims in one call, compared per peer
    group by the peers' median cost per encounter and per patient; points for the period's
    year from credit (absent if credit cannot answer)."""
    profile = registry.GetStaffProfile(pb.GetStaffProfileRequest(code=code, as_of=as_of, unmask=unmask),
                                       timeout=timeout)
    out = DoctorProfile(profile=profile, period=period)
    out.findings_by_rule = tally(findings_of(claims, code, period, timeout=timeout))
    out.findings_total = sum(t.findings for t in out.findings_by_rule.values())
    out.amount_total = sum((t.amount for t in out.findings_by_rule.values()), Decimal("0"))
    for group in profile.peer_groups:
        out.peer_codes[group.institution_level] = peers_of(registry, code, profile.as_of,
                                                           group.institution_level, timeout)
    everyone = list(dict.fromkeys([code, *(p for peers in out.peer_codes.values() for p in peers)]))
    volumes = volumes_of(claims, everyone, period, timeout)
    out.volume = volumes.get(code) or claims_pb2.DoctorVolume(doctor_code=code)
    out.peer_volumes = {c: v for c, v in volumes.items() if c != code}
    for level, peers in out.peer_codes.items():
        out.peer_comparisons[level] = compare(level, out.volume, [volumes[p] for p in peers if p in volumes])
    if credit is not None:
        try:
            ledger = credit.GetLedger(credit_pb2.GetLedgerRequest(subject=code, year=period[:4]), timeout=timeout)
            out.points = ledger.total_points
        except Exception:  # noqa: BLE001 - points are one part of the picture; the rest stands
            out.points = None
    return out
