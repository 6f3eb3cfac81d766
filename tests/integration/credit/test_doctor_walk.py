"""A doctor from a first finding to suspension and back, across real credit and physician_codes
servers: the suspension must show in physician_codes' binding check, and lift after the appeal."""

from __future__ import annotations

from pathlib import Path

import pytest

from fundguard.credit.v1 import credit_pb2 as pb
from fundguard.credit.v1 import credit_pb2_grpc
from fundguard.physician_codes.v1 import physician_codes_pb2 as pc
from fundguard.physician_codes.v1 import physician_codes_pb2_grpc
from tests.integration.credit.helpers import finding_event
from tests.servers import serve

pytestmark = pytest.mark.integration
INSTITUTION = "H32010000031"
DOCTOR = "D320100000031"


def _binding(registry, day: str) -> int:
    return registry.VerifyBindings(pc.VerifyBindingsRequest(lines=[pc.BindingQuery(
        line_id="L1", staff_code=DOCTOR, institution_code=INSTITUTION, service_date=day)])).results[0].status


def _sanction_dispatch(credit, kind: str) -> pb.Decision:
    [d] = [d for d in credit.ListDecisions(pb.ListDecisionsRequest(subject=DOCTOR)).decisions if d.kind == kind]
    return d


def test_doctor_suspended_in_physician_codes_and_lifted_after_appeal(migrated_url: str, data_dir: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    with serve("physician_codes", migrated_url, data_dir) as (pc_channel, pc_runner):
        registry = physician_codes_pb2_grpc.PhysicianCodesServiceStub(pc_channel)
        with serve("credit", migrated_url, data_dir,
                   addrs={"physician_codes": pc_runner.settings.listen_addr}) as (channel, _):
            credit = credit_pb2_grpc.CreditServiceStub(channel)
            registry.UpsertInstitution(pc.UpsertInstitutionRequest(request_id="i1", institution=pc.Institution(
                code=INSTITUTION, name="Walk Hospital", level="2", type="hospital", division="320100")))
            registry.UpsertStaff(pc.UpsertStaffRequest(request_id="s1", staff=pc.Staff(
                code=DOCTOR, name="Dr Walk", role="doctor"), id_number="320102198001011234"))
            registry.AddRegistration(pc.AddRegistrationRequest(request_id="r1", registration=pc.Registration(
                staff_code=DOCTOR, institution_code=INSTITUTION, valid_from="2020-01-01")))
            assert _binding(registry, "2026-03-20") == pc.BINDING_STATUS_VALID

            credit.DeliverEvents(pb.DeliverEventsRequest(events=[
                finding_event("F-W1", institution=INSTITUTION, doctor=DOCTOR, tier="A"),
                finding_event("F-W2", institution=INSTITUTION, doctor=DOCTOR, tier="B",
                              occurred_at="2026-03-12T02:00:00+00:00")]))
            suspension = _sanction_dispatch(credit, "staff_suspension")
            assert suspension.dispatch_state == "sent", suspension.dispatch_error
            assert _binding(registry, "2026-03-20") == pc.BINDING_STATUS_SUSPENDED
            assert _binding(registry, "2026-05-20") == pc.BINDING_STATUS_VALID   # after the end date

            credit.DeliverEvents(pb.DeliverEventsRequest(events=[finding_event(
                "F-W2", kind="finding.overturned", institution=INSTITUTION, doctor=DOCTOR, reason="appeal upheld")]))
            withdrawal = _sanction_dispatch(credit, "withdrawal")
            assert withdrawal.withdraws == suspension.decision_id
            assert withdrawal.dispatch_state == "sent", withdrawal.dispatch_error
            assert _binding(registry, "2026-03-20") == pc.BINDING_STATUS_VALID
