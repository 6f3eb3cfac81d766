"""physician_codes through its real gRPC server and a real PostgreSQL."""

from __future__ import annotations

import io
import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import redirect_stdout
from datetime import date, timedelta
from decimal import Decimal

import grpc
import polars as pl
import pytest
import sqlalchemy as sa

from fundguard import cli
from fundguard.claims.v1 import claims_pb2
from fundguard.common.v1 import common_pb2
from fundguard.credit.v1 import credit_pb2
from fundguard.physician_codes.v1 import physician_codes_pb2 as pb
from fundguard.physician_codes.v1 import physician_codes_pb2_grpc as pb_grpc
from fundguard.runtime.errors import field_violations_from
from services.physician_codes.compose import doctor_profile
from services.physician_codes.servicer import today
from tests.servers import serve

pytestmark = pytest.mark.integration
DIVISION = "110101"  # apart from the samples' 321181, which other tests load into the same database
_serial = itertools.count(1)


def inst_code() -> str:
    return f"H{DIVISION}{next(_serial):05d}"


def doc_code() -> str:
    return f"D{DIVISION}{next(_serial):05d}"


@pytest.fixture(scope="module")
def server(migrated_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[pb_grpc.PhysicianCodesServiceStub, str]]:
    with serve("physician_codes", migrated_url, tmp_path_factory.mktemp("pc")) as (channel, runner):
        yield pb_grpc.PhysicianCodesServiceStub(channel), runner.settings.listen_addr


@pytest.fixture()
def stub(server) -> pb_grpc.PhysicianCodesServiceStub:
    return server[0]


def add_institution(stub, level: str = "3", code: str | None = None) -> str:
    code = code or inst_code()
    stub.UpsertInstitution(pb.UpsertInstitutionRequest(institution=pb.Institution(
        code=code, name=f"医院{code}", level=level, type="hospital", division=DIVISION)), timeout=10)
    return code


def add_doctor(stub, dept: str = "A03", id_number: str = "", code: str | None = None) -> str:
    code = code or doc_code()
    stub.UpsertStaff(pb.UpsertStaffRequest(staff=pb.Staff(code=code, name="医生", role="doctor", title="主治医师",
                                                          dept_code=dept), id_number=id_number), timeout=10)
    return code


def register(stub, staff: str, inst: str, start: str, end: str = "") -> pb.Registration:
    return stub.AddRegistration(pb.AddRegistrationRequest(registration=pb.Registration(
        staff_code=staff, institution_code=inst, valid_from=start, valid_to=end), changed_by="tester",
        reason="test"), timeout=10)


def verify(stub, staff: str, inst: str, *days: str) -> list[str]:
    reply = stub.VerifyBindings(pb.VerifyBindingsRequest(lines=[
        pb.BindingQuery(line_id=str(i), staff_code=staff, institution_code=inst, service_date=d)
        for i, d in enumerate(days)]), timeout=10)
    return [pb.BindingStatus.Name(r.status).removeprefix("BINDING_STATUS_").lower() for r in reply.results]


def violations(exc: grpc.RpcError) -> dict[str, str]:
    return {v.field: v.reason for v in field_violations_from(exc)}


# -- registry records -------------------------------------------------------------------


def test_institution_agreement_changes_are_kept_as_history(stub):
    code = add_institution(stub)
    stub.UpsertInstitution(pb.UpsertInstitutionRequest(institution=pb.Institution(
        code=code, name=f"医院{code}", level="3", type="hospital", division=DIVISION, agreement_status="suspended",
        agreement_effective_from="2026-11-10"), changed_by="auditor-1", reason="协议暂停"), timeout=10)
    record = stub.GetInstitution(pb.GetInstitutionRequest(code=code), timeout=10)
    assert record.institution.agreement_status == "suspended"
    assert record.institution.agreement_effective_from == "2026-11-10"
    assert [(h.agreement_status, h.changed_by) for h in record.agreement_history] == [
        ("active", ""), ("suspended", "auditor-1")]
    assert record.agreement_history[1].reason == "协议暂停"


def test_bad_records_name_every_bad_field(stub):
    with pytest.raises(grpc.RpcError) as err:
        stub.UpsertInstitution(pb.UpsertInstitutionRequest(institution=pb.Institution(
            code="H11010", name="", level="5", division=DIVISION)), timeout=10)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(violations(err.value)) == {"institution.code", "institution.name", "institution.level"}
    with pytest.raises(grpc.RpcError) as err:
        stub.UpsertStaff(pb.UpsertStaffRequest(staff=pb.Staff(code=doc_code(), name="x", role="nurse")), timeout=10)
    assert "starts with N" in violations(err.value)["staff.role"]


def test_identity_numbers_are_masked_unless_unmask_and_found_by_keyed_hash(stub, engine):
    code = add_doctor(stub, id_number="110101198001011234")
    staff = stub.GetStaff(pb.GetStaffRequest(code=code), timeout=10)
    assert staff.id_number_masked == "1101**********1234" and staff.id_number == ""
    assert stub.GetStaff(pb.GetStaffRequest(code=code, unmask=True), timeout=10).id_number == "110101198001011234"
    found = stub.ListStaff(pb.ListStaffRequest(id_number="110101198001011234"), timeout=10)
    assert [s.code for s in found.staff] == [code] and found.staff[0].id_number == ""
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT * FROM physician_codes.staff WHERE code = :c"), {"c": code}).mappings().one()
    assert "110101198001011234" not in " ".join(str(v) for v in stored.values())
    # Saving the record again without the number (or with the masked one) keeps it.
    stub.UpsertStaff(pb.UpsertStaffRequest(staff=pb.Staff(code=code, name="改名", role="doctor"),
                                           id_number="1101**********1234"), timeout=10)
    assert stub.GetStaff(pb.GetStaffRequest(code=code, unmask=True), timeout=10).id_number == "110101198001011234"


def test_every_change_records_who_and_why(stub, engine):
    code = add_doctor(stub)
    stub.UpsertStaff(pb.UpsertStaffRequest(staff=pb.Staff(code=code, name="新名", role="doctor", dept_code="A03"),
                                           changed_by="registrar-7", reason="改名"), timeout=10)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT action, changed_by, reason, detail FROM physician_codes.registry_changes"
                                    " WHERE entity = 'staff' AND entity_key = :c ORDER BY id"), {"c": code}).all()
    assert [(r.action, r.changed_by, r.reason) for r in rows] == [("insert", "", ""), ("update", "registrar-7", "改名")]
    assert rows[1].detail["before"]["name"] == "医生" and rows[1].detail["after"]["name"] == "新名"


# -- registrations ----------------------------------------------------------------------


def test_overlapping_registrations_at_one_institution_are_refused_multi_site_is_not(stub):
    doctor, hosp, clinic = add_doctor(stub), add_institution(stub), add_institution(stub, level="1")
    register(stub, doctor, hosp, "2026-01-01", "2026-06-30")
    with pytest.raises(grpc.RpcError) as err:
        register(stub, doctor, hosp, "2026-06-01")
    assert "overlaps the registration" in violations(err.value)["registration.valid_from"]
    register(stub, doctor, hosp, "2026-07-01")
    register(stub, doctor, clinic, "2026-03-01", "2026-09-30")  # a second site at the same time
    assert verify(stub, doctor, hosp, "2026-06-30", "2026-07-01") == ["valid", "valid"]
    assert verify(stub, doctor, clinic, "2026-02-28", "2026-03-01", "2026-10-01") == [
        "not_registered", "valid", "not_registered"]


# -- import and export ------------------------------------------------------------------


def _import(stub, kind: str, text: str) -> pb.ImportReport:
    return stub.ImportRegistry(pb.ImportRegistryRequest(kind=kind, csv=text.encode(), changed_by="importer",
                                                         reason="bulk"), timeout=30)


def test_imports_accept_good_rows_report_each_bad_one_and_are_idempotent(stub):
    h1, h2, d1, d2 = inst_code(), inst_code(), doc_code(), doc_code()
    institutions = (
        "code,name,level,type,division\n"
        f"{h1},一院,3,hospital,{DIVISION}\n"
        f"H{DIVISION}1,坏码,3,hospital,{DIVISION}\n"       # line 3: code too short
        f"{h2},二院,9,hospital,{DIVISION}\n"                # line 4: level
        f"{inst_code()},三院,2,hospital,320100\n")           # line 5: division differs from the code's
    report = _import(stub, "institutions", institutions)
    assert (report.rows, report.accepted, report.unchanged, report.rejected) == (4, 1, 0, 3)
    assert [(e.row, e.field) for e in report.errors] == [(3, "code"), (4, "level"), (5, "division")]

    staff = ("code,name,role,title,dept_code,id_number\n"
             f"{d1},甲,doctor,主任医师,A03,110101197001011234\n"
             f"{d2},乙,doctor,医师,A03,\n"
             f"{doc_code()},丙,pharmacist,药师,A03,\n")      # line 4: a D-code is not a pharmacist's
    report = _import(stub, "staff", staff)
    assert (report.accepted, report.rejected) == (2, 1)
    assert [(e.row, e.field) for e in report.errors] == [(4, "role")]

    registrations = ("staff_code,institution_code,valid_from,valid_to\n"
                     f"{d1},{h1},2026-01-01,\n"
                     f"{d2},{h1},2026-01-01,2026-06-30\n"
                     f"{d2},{h1},2026-06-01,\n"               # line 4: overlaps line 3
                     f"{doc_code()},{h1},2026-01-01,\n"        # line 5: unknown staff
                     f"{d1},{h2},2026-01-01,\n"                # line 6: unknown institution (refused above)
                     f"{d1},{h1},2026-02-30,\n")               # line 7: not a date
    report = _import(stub, "registrations", registrations)
    assert (report.accepted, report.rejected) == (2, 4)
    assert [(e.row, e.field) for e in report.errors] == [
        (4, "valid_from"), (5, "staff_code"), (6, "institution_code"), (7, "valid_from")]

    again = _import(stub, "registrations", registrations)
    assert (again.accepted, again.unchanged, again.rejected) == (0, 2, 4)
    assert _import(stub, "staff", staff).unchanged == 2

    exported = stub.ExportRegistry(pb.ExportRegistryRequest(kind="staff"), timeout=30).csv.decode()
    assert f"{d1},甲,doctor,主任医师,A03,1101**********1234" in exported
    assert "110101197001011234" not in exported
    back = _import(stub, "staff", exported)
    assert back.accepted == 0 and back.rejected == 0  # an export imports as no change at all
    full = stub.ExportRegistry(pb.ExportRegistryRequest(kind="staff", unmask=True), timeout=30).csv.decode()
    assert "110101197001011234" in full
    regs = stub.ExportRegistry(pb.ExportRegistryRequest(kind="registrations"), timeout=30).csv.decode()
    assert f"{d2},{h1},2026-01-01,2026-06-30" in regs
    assert _import(stub, "registrations", regs).accepted == 0


def test_a_file_with_the_wrong_header_is_refused_whole(stub):
    with pytest.raises(grpc.RpcError) as err:
        _import(stub, "staff", "code,name\nD1,x\n")
    assert "missing columns role" in violations(err.value)["csv"]


def test_cli_imports_and_exports_through_the_service(server, tmp_path, capsys):
    _, addr = server
    h = inst_code()
    src = tmp_path / "institutions.csv"
    src.write_text(f"code,name,level,type,division\n{h},四院,2,hospital,{DIVISION}\nH1,坏,2,hospital,{DIVISION}\n",
                   encoding="utf-8")
    assert cli.main(["registry", "import", "institutions", str(src), "--addr", addr]) == 1
    out = capsys.readouterr().out
    assert "2 rows, 1 accepted, 0 unchanged, 1 rejected" in out and "line 3: code:" in out
    dest = tmp_path / "out.csv"
    assert cli.main(["registry", "export", "institutions", "-o", str(dest), "--addr", addr]) == 0
    assert f"{h},四院,2,hospital,{DIVISION},active," in dest.read_text(encoding="utf-8")
    buf = io.StringIO()
    with redirect_stdout(buf):
        assert cli.main(["registry", "import", "institutions", str(dest), "--addr", addr]) == 0


# -- sanctions --------------------------------------------------------------------------


def test_a_whole_encounter_is_judged_line_by_line_as_each_line_alone(stub):
    """Lines sharing a doctor, an institution and a day are judged once per request: each
    line's answer must still be the one it gets when checked on its own."""
    doctor, suspended, hosp, other = add_doctor(stub), add_doctor(stub), add_institution(stub), add_institution(stub)
    register(stub, doctor, hosp, "2026-01-01")
    register(stub, suspended, hosp, "2026-01-01")
    stub.SuspendStaff(pb.SuspendStaffRequest(decision_id=f"SUS-{suspended}", staff_code=suspended,
                                             start_date="2026-11-10", end_date="2026-11-20", decided_by="credit"),
                      timeout=10)
    queries = []
    for i in range(60):
        staff = [doctor, suspended, "", "D11010199999"][i % 4 if i % 5 else 0]
        inst = other if i % 7 == 0 else hosp
        day = ["2026-11-09", "2026-11-10 08:30:00", "2026-11-10", "2026-11-21"][i % 3 if i % 11 else 3]
        queries.append(pb.BindingQuery(line_id=f"L{i}", staff_code=staff, institution_code=inst, service_date=day))
    together = stub.VerifyBindings(pb.VerifyBindingsRequest(lines=queries), timeout=10).results
    alone = [stub.VerifyBindings(pb.VerifyBindingsRequest(lines=[q]), timeout=10).results[0] for q in queries]
    assert list(together) == alone
    assert {r.status for r in together} == {pb.BINDING_STATUS_VALID, pb.BINDING_STATUS_SUSPENDED,
                                            pb.BINDING_STATUS_MISSING_CODE, pb.BINDING_STATUS_UNKNOWN_CODE,
                                            pb.BINDING_STATUS_NOT_REGISTERED}
    # A bad date is named on every line that carries it, a repeated one included.
    bad = [pb.BindingQuery(line_id=str(i), staff_code=doctor, institution_code=hosp, service_date=d)
           for i, d in enumerate(["2026-11-10", "2026-13-01", "2026-11-10", "2026-13-01", ""])]
    with pytest.raises(grpc.RpcError) as err:
        stub.VerifyBindings(pb.VerifyBindingsRequest(lines=bad), timeout=10)
    assert set(violations(err.value)) == {"lines[1].service_date", "lines[3].service_date", "lines[4].service_date"}


def test_a_suspension_mid_month_judges_fees_on_each_side_and_ends_by_itself(stub):
    doctor, hosp = add_doctor(stub), add_institution(stub)
    register(stub, doctor, hosp, "2026-01-01")
    reply = stub.SuspendStaff(pb.SuspendStaffRequest(
        decision_id=f"SUS-{doctor}", staff_code=doctor, start_date="2026-11-10", end_date="2026-11-20",
        reason="9 points in 2026", decided_by="credit"), timeout=10)
    assert not reply.already_applied and reply.staff_code == doctor
    # Effective for the very next check; the day after the end date is payable with no one acting.
    assert verify(stub, doctor, hosp, "2026-11-09", "2026-11-10", "2026-11-20", "2026-11-21") == [
        "valid", "suspended", "suspended", "valid"]

    # The same through the bulk path.
    frame = pl.DataFrame({"line_id": ["a", "b", "c", "d"], "staff_code": [doctor] * 4,
                          "institution_code": [hosp] * 4,
                          "service_date": ["2026-11-09", "2026-11-10", "2026-11-20", "2026-11-21"]})
    buf = io.BytesIO()
    frame.write_ipc_stream(buf)
    bulk = stub.VerifyBindingsBulk(pb.VerifyBindingsBulkRequest(arrow_ipc=buf.getvalue()), timeout=10)
    answer = pl.read_ipc_stream(io.BytesIO(bulk.arrow_ipc))
    assert answer["status"].to_list() == ["valid", "suspended", "suspended", "valid"]
    assert answer["decision_id"].to_list() == [None, f"SUS-{doctor}", f"SUS-{doctor}", None]
    assert bulk.lines == 4 and bulk.registry_version > 0


def test_status_today_follows_the_dates(stub):
    doctor = add_doctor(stub)
    t = today()
    reply = stub.SuspendStaff(pb.SuspendStaffRequest(
        decision_id=f"SUS-{doctor}", staff_code=doctor, start_date=(t - timedelta(days=3)).isoformat(),
        end_date=(t + timedelta(days=3)).isoformat()), timeout=10)
    assert reply.staff_status_today == "suspended"
    assert stub.GetStaff(pb.GetStaffRequest(code=doctor), timeout=10).status == "suspended"
    other = add_doctor(stub)
    reply = stub.SuspendStaff(pb.SuspendStaffRequest(
        decision_id=f"SUS-{other}", staff_code=other, start_date=(t - timedelta(days=30)).isoformat(),
        end_date=(t - timedelta(days=1)).isoformat()), timeout=10)
    assert reply.staff_status_today == "active"  # ended yesterday: nothing had to lift it


def test_concurrent_identical_sanction_requests_apply_once(stub, engine):
    doctor, hosp = add_doctor(stub), add_institution(stub)
    register(stub, doctor, hosp, "2026-01-01")
    request = pb.SuspendStaffRequest(decision_id=f"RACE-{doctor}", staff_code=doctor, start_date="2026-11-01",
                                     end_date="2026-12-31", reason="points", decided_by="credit")
    start = threading.Barrier(8)
    replies: list[pb.SanctionResponse] = []
    failures: list[Exception] = []

    def send() -> None:
        start.wait()
        try:
            replies.append(stub.SuspendStaff(request, timeout=20))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            failures.append(exc)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert sorted(r.already_applied for r in replies) == [False] + [True] * 7
    with engine.connect() as conn:
        events = conn.execute(sa.text("SELECT count(*) FROM physician_codes.status_events WHERE decision_id = :d"),
                              {"d": request.decision_id}).scalar_one()
        logged = conn.execute(sa.text("SELECT count(*) FROM physician_codes.registry_changes WHERE entity_key = :d"),
                              {"d": request.decision_id}).scalar_one()
    assert (events, logged) == (1, 1)
    # The same decision id for a different sanction is refused, not silently ignored.
    with pytest.raises(grpc.RpcError) as err:
        stub.SuspendStaff(pb.SuspendStaffRequest(decision_id=request.decision_id, staff_code=doctor,
                                                 start_date="2026-11-01", end_date="2026-11-30"), timeout=10)
    assert "already used" in violations(err.value)["decision_id"]


def test_termination_bans_new_registrations_until_the_ban_ends_and_lifts_are_idempotent(stub):
    doctor, hosp, clinic = add_doctor(stub), add_institution(stub), add_institution(stub, level="1")
    register(stub, doctor, hosp, "2020-01-01")
    stub.TerminateStaff(pb.TerminateStaffRequest(decision_id=f"TER-{doctor}", staff_code=doctor,
                                                 effective_date="2026-11-15", ban_until="2027-11-15",
                                                 reason="12 points", decided_by="credit"), timeout=10)
    assert verify(stub, doctor, hosp, "2026-11-14", "2026-11-15", "2027-12-01") == [
        "valid", "terminated", "terminated"]
    with pytest.raises(grpc.RpcError) as err:
        register(stub, doctor, clinic, "2027-11-14")
    assert "no registration before 2027-11-15" in violations(err.value)["registration.valid_from"]
    register(stub, doctor, clinic, "2027-11-15")
    assert verify(stub, doctor, clinic, "2027-11-14", "2027-11-15") == ["terminated", "valid"]

    with pytest.raises(grpc.RpcError) as err:
        stub.LiftSanction(pb.LiftSanctionRequest(decision_id="NO-SUCH", lift_decision_id="L-x"), timeout=10)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    lift = pb.LiftSanctionRequest(decision_id=f"TER-{doctor}", lift_decision_id=f"LIFT-{doctor}",
                                  reason="appeal upheld", decided_by="reviewer")
    assert stub.LiftSanction(lift, timeout=10).already_applied is False
    assert stub.LiftSanction(lift, timeout=10).already_applied is True
    assert verify(stub, doctor, hosp, "2026-11-15", "2027-12-01") == ["valid", "valid"]


def test_sanction_requests_are_checked(stub):
    with pytest.raises(grpc.RpcError) as err:
        stub.SuspendStaff(pb.SuspendStaffRequest(staff_code="D1", start_date="2026-11-10", end_date="2026-11-01"),
                          timeout=10)
    assert set(violations(err.value)) == {"decision_id", "staff_code", "end_date"}
    with pytest.raises(grpc.RpcError) as err:
        stub.TerminateStaff(pb.TerminateStaffRequest(decision_id="T-unknown", staff_code=doc_code(),
                                                     effective_date="2026-11-10"), timeout=10)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


def test_a_sanction_written_through_one_replica_is_seen_by_the_next_check_on_another(
        stub, migrated_url, tmp_path):
    doctor, hosp = add_doctor(stub), add_institution(stub)
    register(stub, doctor, hosp, "2026-01-01")
    with serve("physician_codes", migrated_url, tmp_path) as (channel, _):
        other = pb_grpc.PhysicianCodesServiceStub(channel)
        assert verify(other, doctor, hosp, "2026-11-12") == ["valid"]  # its snapshot is loaded now
        stub.SuspendStaff(pb.SuspendStaffRequest(decision_id=f"REP-{doctor}", staff_code=doctor,
                                                 start_date="2026-11-10", end_date="2026-11-20"), timeout=10)
        assert verify(other, doctor, hosp, "2026-11-12") == ["suspended"]


# -- doctors ----------------------------------------------------------------------------


def test_doctor_profile_and_peers(stub):
    tertiary, secondary, elsewhere = add_institution(stub, "3"), add_institution(stub, "2"), add_institution(stub, "3")
    dept = f"X{next(_serial)}"
    doctor = add_doctor(stub, dept=dept, id_number="110101198505051234")
    register(stub, doctor, tertiary, "2024-01-01")
    register(stub, doctor, secondary, "2026-03-01", "2026-12-31")
    peers = [add_doctor(stub, dept=dept) for _ in range(3)]
    register(stub, peers[0], elsewhere, "2025-01-01")             # same level, same dept: a peer
    register(stub, peers[1], secondary, "2026-01-01")             # level 2: a peer for that group
    register(stub, peers[2], tertiary, "2020-01-01", "2023-12-31")  # no longer there on the day
    other_dept = add_doctor(stub, dept="OTHER")
    register(stub, other_dept, tertiary, "2024-01-01")
    stub.SuspendStaff(pb.SuspendStaffRequest(decision_id=f"PRO-{doctor}", staff_code=doctor,
                                             start_date="2026-11-10", end_date="2026-11-20", reason="9 points",
                                             decided_by="credit"), timeout=10)

    profile = stub.GetStaffProfile(pb.GetStaffProfileRequest(code=doctor, as_of="2026-11-15"), timeout=10)
    assert profile.staff.code == doctor and profile.staff.id_number == ""
    assert profile.status_on_date == "suspended"
    assert [(r.institution_code, r.valid_from, r.valid_to) for r in profile.registrations] == [
        (tertiary, "2024-01-01", ""), (secondary, "2026-03-01", "2026-12-31")]
    assert [(e.decision_id, e.status, e.start_date, e.end_date, e.decided_by) for e in profile.status_history] == [
        (f"PRO-{doctor}", "suspended", "2026-11-10", "2026-11-20", "credit")]
    assert {(g.role, g.dept_code, g.institution_level) for g in profile.peer_groups} == {
        ("doctor", dept, "2"), ("doctor", dept, "3")}
    assert {i.code for i in profile.institutions} == {tertiary, secondary}
    later = stub.GetStaffProfile(pb.GetStaffProfileRequest(code=doctor, as_of="2026-11-21", unmask=True), timeout=10)
    assert later.status_on_date == "active" and later.staff.id_number == "110101198505051234"

    first = stub.ListPeers(pb.ListPeersRequest(staff_code=doctor, as_of="2026-11-15", page_size=1), timeout=10)
    rest = stub.ListPeers(pb.ListPeersRequest(staff_code=doctor, as_of="2026-11-15", page_size=1,
                                              page_token=first.next_page_token), timeout=10)
    assert rest.next_page_token == ""
    assert sorted([*first.staff_codes, *rest.staff_codes]) == sorted(peers[:2])
    level3 = stub.ListPeers(pb.ListPeersRequest(staff_code=doctor, as_of="2026-11-15", institution_level="3"),
                            timeout=10)
    assert list(level3.staff_codes) == [peers[0]]
    at_site = stub.ListStaff(pb.ListStaffRequest(institution_code=tertiary, as_of="2026-11-15"), timeout=10)
    assert sorted(s.code for s in at_site.staff) == sorted([doctor, other_dept])

    with pytest.raises(grpc.RpcError) as err:
        stub.GetStaffProfile(pb.GetStaffProfileRequest(code=doc_code()), timeout=10)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


def test_a_terminated_doctors_profile_shows_the_cut_registration(stub):
    doctor, hosp = add_doctor(stub), add_institution(stub)
    register(stub, doctor, hosp, "2020-01-01")
    stub.TerminateStaff(pb.TerminateStaffRequest(decision_id=f"CUT-{doctor}", staff_code=doctor,
                                                 effective_date="2026-06-01", ban_until="2027-06-01"), timeout=10)
    profile = stub.GetStaffProfile(pb.GetStaffProfileRequest(code=doctor, as_of="2026-07-01"), timeout=10)
    assert profile.status_on_date == "terminated"
    assert [(r.valid_to, r.effective_to) for r in profile.registrations] == [("", "2026-05-31")]
    assert list(profile.peer_groups) == [] and date.fromisoformat(profile.as_of) == date(2026, 7, 1)


class FakeClaims:
    """claims' ListFindings, paging two findings at a time (claims owns the findings)."""

    def __init__(self, findings):
        self.findings = findings
        self.asked = []
        self.volumes_asked = []

    def ListFindings(self, request, timeout=None):
        self.asked.append((request.doctor_code, request.period, request.page_token))
        start = int(request.page_token or 0)
        page = [f for f in self.findings if f.doctor_code == request.doctor_code][start:start + 2]
        more = start + 2 < len([f for f in self.findings if f.doctor_code == request.doctor_code])
        return claims_pb2.ListFindingsResponse(findings=page, next_page_token=str(start + 2) if more else "")

    def GetDoctorVolumes(self, request, timeout=None):
        self.volumes_asked.append((list(request.doctor_codes), request.period))
        return claims_pb2.GetDoctorVolumesResponse(volumes=[claims_pb2.DoctorVolume(
            doctor_code=c, cost_per_encounter=common_pb2.Money(amount="0.00"),
            cost_per_patient=common_pb2.Money(amount="0.00")) for c in request.doctor_codes])


class FakeCredit:
    def GetLedger(self, request, timeout=None):
        assert request.year == "2026"
        return credit_pb2.GetLedgerResponse(total_points=9)


def test_a_doctor_profile_composes_registry_claims_and_credit_answers(stub):
    hosp, dept = add_institution(stub, "2"), f"C{next(_serial)}"
    doctor, peer = add_doctor(stub, dept=dept), add_doctor(stub, dept=dept)
    register(stub, doctor, hosp, "2025-01-01")
    register(stub, peer, hosp, "2025-06-01")

    def finding(rule: str, amount: str) -> common_pb2.Finding:
        return common_pb2.Finding(rule_id=rule, rule_name=rule, doctor_code=doctor,
                                  amount=common_pb2.Money(amount=amount))

    claims = FakeClaims([finding("R-PRICE-CEILING", "13.00"), finding("R-PRICE-CEILING", "7.50"),
                         finding("R-DOCTOR-BINDING", "100.00")])
    got = doctor_profile(stub, claims, FakeCredit(), doctor, "2026-11", as_of="2026-11-15")
    assert got.profile.staff.code == doctor and got.profile.status_on_date == "active"
    assert {r: (t.findings, t.amount) for r, t in got.findings_by_rule.items()} == {
        "R-PRICE-CEILING": (2, Decimal("20.50")), "R-DOCTOR-BINDING": (1, Decimal("100.00"))}
    assert (got.findings_total, got.amount_total, got.points) == (3, Decimal("120.50"), 9)
    assert got.peer_codes == {"2": [peer]}
    assert [a[2] for a in claims.asked] == ["", "2"]  # paged through claims, nothing copied
    assert claims.volumes_asked == [([doctor, peer], "2026-11")]  # the doctor and the peers in one call
    assert got.peer_comparisons["2"].peers == 1 and got.peer_comparisons["2"].median_cost_per_encounter is None


def test_notify_mode_sees_own_writes_at_once_and_other_replicas_within_moments(
        migrated_url, tmp_path, monkeypatch):
    monkeypatch.setenv("FUNDGUARD_REGISTRY_FRESHNESS", "notify")
    with serve("physician_codes", migrated_url, tmp_path / "a") as (ch_a, runner_a), \
            serve("physician_codes", migrated_url, tmp_path / "b") as (ch_b, _):
        a, b = pb_grpc.PhysicianCodesServiceStub(ch_a), pb_grpc.PhysicianCodesServiceStub(ch_b)
        doctor, hosp = add_doctor(a), add_institution(a)
        register(a, doctor, hosp, "2026-01-01")
        assert verify(a, doctor, hosp, "2026-11-12") == ["valid"]  # its own commit, no waiting
        a.SuspendStaff(pb.SuspendStaffRequest(decision_id=f"NTF-{doctor}", staff_code=doctor,
                                              start_date="2026-11-10", end_date="2026-11-20"), timeout=10)
        assert verify(a, doctor, hosp, "2026-11-12") == ["suspended"]
        # Replica b hears of it by NOTIFY: within moments, not necessarily at its next check.
        deadline = time.monotonic() + 5
        while verify(b, doctor, hosp, "2026-11-12") != ["suspended"]:
            assert time.monotonic() < deadline, "replica b never heard of the suspension"
            time.sleep(0.02)
        assert runner_a is not None


def test_a_bad_freshness_setting_stops_the_start(migrated_url, tmp_path, monkeypatch):
    from fundguard.runtime.settings import SettingsError, load
    from services.physician_codes import main

    monkeypatch.setenv("FUNDGUARD_REGISTRY_FRESHNESS", "sometimes")
    with pytest.raises(SettingsError, match="FUNDGUARD_REGISTRY_FRESHNESS"):
        main.build(load("physician_codes", {"DATABASE_URL": migrated_url, "FUNDGUARD_DATA_DIR": str(tmp_path)}))


def test_in_notify_mode_checks_read_nothing_and_learn_versions_from_notifications(migrated_url):
    from fundguard.runtime.db import create_engine
    from services.physician_codes.domain.binding import Sanction
    from services.physician_codes.store.repository import Change, RegistryStore
    from services.physician_codes.store.snapshots import SnapshotCache

    listening_engine, writing_engine = create_engine(migrated_url), create_engine(migrated_url)
    cache = SnapshotCache(RegistryStore(listening_engine), "notify")
    try:
        deadline = time.monotonic() + 5
        while not cache._listening:
            assert time.monotonic() < deadline, "the listener never connected"
            time.sleep(0.02)

        def no_reads() -> int:
            raise AssertionError("a check read the version while the listener was connected")

        cache._probe.read = no_reads  # type: ignore[method-assign]
        before = cache.current().version
        writer = RegistryStore(writing_engine)  # another replica: no commit hook of ours on it
        code = doc_code()
        writer.upsert_staff([{"code": code, "name": "x", "role": "doctor", "title": "", "dept_code": ""}], Change())
        writer.record_sanction(Sanction(f"LSN-{code}", "suspended", date(2026, 11, 1), date(2026, 11, 5)),
                               code, Change("credit", "test"))
        deadline = time.monotonic() + 5
        while cache.current().facts.get(code) is None or not cache.current().facts[code].statuses:
            assert time.monotonic() < deadline, "the notification never arrived"
            time.sleep(0.01)
        assert cache.current().version >= before + 2
    finally:
        cache.close()
        listening_engine.dispose()
        writing_engine.dispose()
