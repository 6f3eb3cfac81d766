"""An institution through the threshold actions, the public lists, and the annual grade."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from fundguard.credit.v1 import credit_pb2 as pb
from fundguard.credit.v1 import credit_pb2_grpc
from tests.integration.credit.helpers import finding_event
from tests.servers import serve

pytestmark = pytest.mark.integration


@pytest.fixture()
def credit(migrated_url: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch):
    with serve("credit", migrated_url, data_dir) as (channel, _):
        yield credit_pb2_grpc.CreditServiceStub(channel)


def _kinds(credit, subject: str) -> list[str]:
    return [d.kind for d in credit.GetStanding(pb.GetStandingRequest(subject=subject)).active_decisions]


def test_threshold_actions_lists_and_an_overturn(credit) -> None:
    inst = "H32010000041"
    now = datetime.now(UTC) - timedelta(days=2)
    when = [(now + timedelta(hours=i)).isoformat() for i in range(4)]
    # A-tier definite findings of 60,000 yuan: 2 base + 3 for the amount band = 5 points each.
    events = [finding_event(f"F-I{i}", institution=inst, amount="60000.00", occurred_at=when[i]) for i in range(4)]
    credit.DeliverEvents(pb.DeliverEventsRequest(events=events[:1]))
    assert _kinds(credit, inst) == []
    credit.DeliverEvents(pb.DeliverEventsRequest(events=events[1:2]))
    assert _kinds(credit, inst) == ["order_to_correct"]                      # 10 >= 6
    credit.DeliverEvents(pb.DeliverEventsRequest(events=events[2:3]))
    assert _kinds(credit, inst) == ["order_to_correct", "public_criticism"]  # 15 >= 12
    credit.DeliverEvents(pb.DeliverEventsRequest(events=events[3:4]))
    standing = credit.GetStanding(pb.GetStandingRequest(subject=inst))
    assert standing.points == 20 and standing.status == "suspended"
    [suspension] = [d for d in standing.active_decisions if d.kind == "suspension"]
    business_day = datetime.fromisoformat(when[3]).astimezone(ZoneInfo("Asia/Shanghai")).date()
    assert suspension.start_date == business_day.isoformat()
    assert suspension.end_date > suspension.start_date

    disclosed = {(d.institution_code, d.sanction) for d in credit.ListDisclosures(pb.ListDisclosuresRequest()).disclosures}
    assert {(inst, "public_criticism"), (inst, "suspension")} <= disclosed
    assert (inst, "order_to_correct") not in disclosed
    assert (inst, "suspension") in {(e.subject, e.sanction)
                                    for e in credit.ListBlacklist(pb.ListBlacklistRequest()).entries}

    # The last finding is overturned: the suspension no longer follows from the points.
    credit.DeliverEvents(pb.DeliverEventsRequest(events=[finding_event(
        "F-I3", kind="finding.overturned", institution=inst)]))
    standing = credit.GetStanding(pb.GetStandingRequest(subject=inst))
    assert standing.points == 15 and standing.status == "active"
    assert [d.kind for d in standing.active_decisions] == ["order_to_correct", "public_criticism"]
    assert inst not in {e.subject for e in credit.ListBlacklist(pb.ListBlacklistRequest()).entries}
    assert (inst, "suspension") not in {(d.institution_code, d.sanction)
                                        for d in credit.ListDisclosures(pb.ListDisclosuresRequest()).disclosures}


def test_annual_grade_sets_prepayment_and_two_failing_years_end_the_agreement(credit) -> None:
    good, bad = "H32010000042", "H32010000043"
    events = [finding_event("F-G1", institution=good, occurred_at="2025-06-01T02:00:00+00:00")]   # 2 points
    for year in (2025, 2026):
        # 9 findings of 60,000 yuan: 45 points -> score 55 -> grade E (failing).
        events += [finding_event(f"F-B{year}-{i}", institution=bad, amount="60000",
                                 occurred_at=f"{year}-04-0{i + 1}T02:00:00+00:00") for i in range(9)]
    credit.DeliverEvents(pb.DeliverEventsRequest(events=events))

    first = {a.institution_code: a for a in credit.RunAnnualAssessment(pb.RunAnnualAssessmentRequest(
        request_id="assess-2025", year=2025, institution_codes=["H32010000044"])).assessments}
    assert (first[good].grade, first[good].prepayment_ratio, first[good].failing) == ("A", "0.95", False)
    assert first["H32010000044"].grade == "A" and first["H32010000044"].points == 0
    assert (first[bad].points, first[bad].grade, first[bad].failing, first[bad].agreement_ended) == (45, "E", True, False)

    second = {a.institution_code: a for a in credit.RunAnnualAssessment(pb.RunAnnualAssessmentRequest(
        request_id="assess-2026", year=2026)).assessments}
    assert second[bad].agreement_ended and good not in second
    standing = credit.GetStanding(pb.GetStandingRequest(subject=bad, year=2026))
    assert standing.grade == "E" and standing.prepayment_ratio == "0.00"
    assert any(d.kind == "termination" and "failing years" in d.cause and d.start_date == "2027-01-01"
               for d in standing.active_decisions)
    # Re-running the assessment adds nothing.
    before = len(credit.ListDecisions(pb.ListDecisionsRequest(subject=bad)).decisions)
    credit.RunAnnualAssessment(pb.RunAnnualAssessmentRequest(request_id="assess-2026b", year=2026))
    assert len(credit.ListDecisions(pb.ListDecisionsRequest(subject=bad)).decisions) == before
