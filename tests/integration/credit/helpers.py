"""Building credit events the way claims' outbox sends them."""

from __future__ import annotations

import json
import uuid

from fundguard.common.v1 import common_pb2
from fundguard.credit.v1 import credit_pb2 as pb

INSTITUTION = "H32010000001"


def finding_event(finding_id: str, *, kind: str = "finding.confirmed", institution: str = INSTITUTION,
                  doctor: str = "", rule_id: str = "R-OVER-QUANTITY", tier: str = "A",
                  result_type: str = "definite", amount: str = "100.00", occurred_at: str = "2026-03-10T02:00:00+00:00",
                  responsibility: str = "", patient_id: str = "", decided_by: str = "auditor-li",
                  reason: str = "") -> pb.Event:
    return pb.Event(
        event_id=f"{kind}-{finding_id}-{uuid.uuid4().hex[:8]}", kind=kind, institution_code=institution,
        doctor_code=doctor, claim_id=f"{institution}-E1", occurred_at=occurred_at, responsibility=responsibility,
        decided_by=decided_by, reason=reason,
        finding=common_pb2.Finding(finding_id=finding_id, rule_id=rule_id, tier=tier, result_type=result_type,
                                   amount=common_pb2.Money(amount=amount), institution_code=institution,
                                   doctor_code=doctor, patient_id=patient_id,
                                   evidence_json=json.dumps({"rule": rule_id})))
