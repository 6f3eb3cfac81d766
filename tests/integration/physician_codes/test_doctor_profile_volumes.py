"""A doctor's profile through the real claims and physician_codes servers on a real PostgreSQL:
claims sums the billed lines of the doctor and the peers in one call, physician_codes says who
the peers are, and the composer puts the answers side by side (nothing copied between them)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import grpc
import pytest

from fundguard.claims.v1 import claims_pb2, claims_pb2_grpc
from fundguard.common.v1 import common_pb2
from fundguard.physician_codes.v1 import physician_codes_pb2 as pb
from fundguard.physician_codes.v1 import physician_codes_pb2_grpc as pb_grpc
from fundguard.runtime.errors import field_violations_from
from services.physician_codes.compose import doctor_profile
from tests.servers import serve

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stubs(migrated_url: str, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[tuple[pb_grpc.PhysicianCodesServiceStub, claims_pb2_grpc.ClaimsServiceStub]]:
    data_dir: Path = tmp_path_factory.mktemp("profile")
    with serve("physician_codes", migrated_url, data_dir) as (pc_channel, pc_runner), \
            serve("claims", migrated_url, data_dir, {"physician_codes": pc_runner.settings.listen_addr}
                  ) as (claims_channel, _):
        yield pb_grpc.PhysicianCodesServiceStub(pc_channel), claims_pb2_grpc.ClaimsServiceStub(claims_channel)


def serial() -> int:
    """A random serial well above the other registry tests' counters (the database is shared)."""
    return 50000 + uuid.uuid4().int % 49000


def line(sn: str, enc: str, patient: str, doctor: str, when: str, qty: str, amount: str,
         original: str = "") -> claims_pb2.FeeDetail:
    return claims_pb2.FeeDetail(detail_sn=sn, encounter_id=enc, patient_id=patient, occurred_at=f"{when} 09:30:00",
                                item_code="110200001", item_name="普通门诊诊查费", item_type="201", quantity=qty,
                                amount=common_pb2.Money(amount=amount), doctor_code=doctor,
                                original_detail_sn=original)


def upload(claims: claims_pb2_grpc.ClaimsServiceStub, inst: str, details: list[claims_pb2.FeeDetail]) -> None:
    report = claims.UploadFeeDetails(claims_pb2.UploadFeeDetailsRequest(
        request_id=f"vol-{uuid.uuid4().hex}", institution_code=inst, details=details), timeout=10)
    assert (report.accepted, report.rejected) == (len(details), 0), report.errors


def test_the_profile_compares_the_doctors_costs_with_the_peers_medians(stubs) -> None:
    registry, claims = stubs
    t = serial()
    dept, here, there = f"V{t}", f"H110101{t:05d}", f"H110101{t + 1:05d}"
    for inst in (here, there):
        registry.UpsertInstitution(pb.UpsertInstitutionRequest(institution=pb.Institution(
            code=inst, name=f"医院{inst}", level="3", type="hospital", division="110101")), timeout=10)
    doctor, peer1, peer2, stranger = (f"D110101{t:05d}{i}" for i in range(4))
    for code, inst, d in ((doctor, here, dept), (peer1, there, dept), (peer2, here, dept), (stranger, here, "OTHER")):
        registry.UpsertStaff(pb.UpsertStaffRequest(staff=pb.Staff(code=code, name="医生", role="doctor",
                                                                  title="主治医师", dept_code=d)), timeout=10)
        registry.AddRegistration(pb.AddRegistrationRequest(registration=pb.Registration(
            staff_code=code, institution_code=inst, valid_from="2025-01-01"), changed_by="tester",
            reason="test"), timeout=10)

    e, p = f"E{t}", f"P{t}"
    upload(claims, here, [
        # E1, patient 1: 100.00 + 50.00, the 50.00 returned (negative quantity): nets 100.00, 2 charges
        line("1", f"{e}1", f"{p}1", doctor, "2026-10-03", "2", "100.00"),
        line("2", f"{e}1", f"{p}1", doctor, "2026-10-03", "1", "50.00"),
        line("3", f"{e}1", f"{p}1", doctor, "2026-10-05", "-1", "-50.00", original="2"),
        # E2, patient 1 again: 71.00
        line("4", f"{e}2", f"{p}1", doctor, "2026-10-20", "1", "71.00"),
        # E3, patient 2: charged and wholly returned: no visit, no patient, but its charge line counts
        line("5", f"{e}3", f"{p}2", doctor, "2026-10-21", "1", "30.00"),
        line("6", f"{e}3", f"{p}2", doctor, "2026-10-22", "-1", "-30.00", original="5"),
        # outside October (in the quarter)
        line("7", f"{e}7", f"{p}1", doctor, "2026-11-01", "1", "999.00"),
        # peer 2: two visits of two patients, 25.00 and 55.00
        line("8", f"{e}8", f"{p}8", peer2, "2026-10-08", "1", "25.00"),
        line("9", f"{e}9", f"{p}9", peer2, "2026-10-09", "1", "55.00"),
        # not a peer (another department): never asked about
        line("10", f"{e}10", f"{p}10", stranger, "2026-10-10", "1", "5000.00"),
    ])
    upload(claims, there, [line("1", f"{e}4", f"{p}4", peer1, "2026-10-04", "3", "30.00")])  # peer 1: 30.00

    got = doctor_profile(registry, claims, None, doctor, "2026-10", as_of="2026-10-15")
    v = got.volume
    assert v is not None
    # 100.00 + 71.00 + 0.00 = 171.00 over E1 and E2 (E3 nets zero), one patient; 4 charge lines
    assert (v.encounters, v.patients, v.lines, v.total_cost.amount) == (2, 1, 4, "171.00")
    assert (v.cost_per_encounter.amount, v.cost_per_patient.amount) == ("85.50", "171.00")
    assert sorted(got.peer_codes["3"]) == sorted([peer1, peer2])
    assert {c: (pv.encounters, pv.patients, pv.total_cost.amount, pv.cost_per_encounter.amount)
            for c, pv in got.peer_volumes.items()} == {peer1: (1, 1, "30.00", "30.00"), peer2: (2, 2, "80.00", "40.00")}
    cmp = got.peer_comparisons["3"]
    # medians of (30.00, 40.00) per visit and per patient: 35.00; 85.50 / 35 = 2.44, 171 / 35 = 4.89
    assert (cmp.peers, cmp.peers_billing) == (2, 2)
    assert (cmp.median_cost_per_encounter, cmp.median_cost_per_patient) == (Decimal("35.00"), Decimal("35.00"))
    assert (cmp.ratio_cost_per_encounter, cmp.ratio_cost_per_patient) == (Decimal("2.44"), Decimal("4.89"))
    assert got.findings_total == 0 and got.points is None and got.profile.status_on_date == "active"

    # The quarter takes in November's line; a doctor without lines is answered with zeros.
    quarter = claims.GetDoctorVolumes(claims_pb2.GetDoctorVolumesRequest(
        doctor_codes=[doctor, f"NOBODY{t}", doctor], period="2026-Q4"), timeout=10)
    assert [(q.doctor_code, q.encounters, q.patients, q.lines, q.total_cost.amount, q.cost_per_encounter.amount)
            for q in quarter.volumes] == [(doctor, 3, 1, 5, "1170.00", "390.00"), (f"NOBODY{t}", 0, 0, 0, "0.00", "0.00")]


def test_bad_volume_requests_name_every_bad_field(stubs) -> None:
    _, claims = stubs
    with pytest.raises(grpc.RpcError) as err:
        claims.GetDoctorVolumes(claims_pb2.GetDoctorVolumesRequest(doctor_codes=["D1", ""], period="2026-13"),
                                timeout=10)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in field_violations_from(err.value)] == ["period", "doctor_codes[1]"]
    with pytest.raises(grpc.RpcError) as err:
        claims.GetDoctorVolumes(claims_pb2.GetDoctorVolumesRequest(
            doctor_codes=[f"D{i}" for i in range(2001)], period="2026-Q1"), timeout=10)
    assert [v.field for v in field_violations_from(err.value)] == ["doctor_codes"]
