"""Fund indicators from supplied aggregates: growth, peers, warnings with drill-down, risk scores."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest

from fundguard.common.v1 import common_pb2
from fundguard.credit.v1 import credit_pb2 as pb
from fundguard.credit.v1 import credit_pb2_grpc
from tests.integration.credit.helpers import finding_event
from tests.servers import serve

pytestmark = pytest.mark.integration
JUMPER = "H32050000006"


def _m(x: float) -> common_pb2.Money:
    return common_pb2.Money(amount=f"{x:.2f}")


def _row(code: str, period: str, scale: float, drug_x: float = 0.0) -> pb.InstitutionPeriod:
    drug = 4000 * scale + drug_x
    exam, treat = 3000 * scale, 3000 * scale
    total = drug + exam + treat
    return pb.InstitutionPeriod(
        institution_code=code, institution_name=f"Hospital {code[-2:]}", level="2", type="hospital",
        region="320500", period=period, settlements=int(100 * scale), patients=int(80 * scale),
        total_cost=_m(total), fund_paid=_m(total * 0.7),
        cost_by_kind={"drug": f"{drug:.2f}", "exam": f"{exam:.2f}", "treatment": f"{treat:.2f}"},
        discharges=20, hospital_infections=1, unplanned_readmissions_31d=1,
        items=[pb.ItemAggregate(item_code="XDRUG-A", item_name="drug A", item_kind="drug", count=int(40 * scale),
                                amount=_m(4000 * scale)),
               pb.ItemAggregate(item_code="XDRUG-X", item_name="drug X", item_kind="drug", count=int(drug_x / 50),
                                amount=_m(drug_x)),
               pb.ItemAggregate(item_code="EXAM-1", item_name="exam", item_kind="exam", count=10, amount=_m(exam))],
        doctors=[pb.DoctorAggregate(doctor_code=f"D3205000000{code[-2:]}", visits=int(100 * scale),
                                    patients=int(80 * scale), total_cost=_m(total), drug_cost=_m(drug))])


@pytest.fixture()
def credit(migrated_url: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch):
    with serve("credit", migrated_url, data_dir) as (channel, _):
        stub = credit_pb2_grpc.CreditServiceStub(channel)
        rows = []
        for i in range(1, 7):
            code = f"H320500000{i:02d}"
            growth = 1.0 + 0.02 * i          # peers grow 2-12 %
            for month in ("01", "02", "03"):
                rows.append(_row(code, f"2025-{month}", 1.0))
                rows.append(_row(code, f"2026-{month}", growth, drug_x=30000.0 if code == JUMPER else 0.0))
        assert stub.RecordIndicators(pb.RecordIndicatorsRequest(request_id="ind-1", rows=rows)).recorded == 36
        yield stub


def test_growth_warning_with_drilldown_to_the_drug_behind_it(credit) -> None:
    resp = credit.GetIndicators(pb.GetIndicatorsRequest(period="2026-03"))
    by_code = {i.institution_code: i for i in resp.institutions}
    assert len(by_code) == 6
    normal = by_code["H32050000001"]
    assert normal.growth["total_cost"] == "0.0200" and not normal.warnings
    assert normal.values["ZB10000205001000"] == "0.4000"     # drug share
    assert normal.values["ZB10000205007000"] == "0.0500"     # infections per discharge
    jumper = by_code[JUMPER]
    growth = next(w for w in jumper.warnings if w.indicator == "growth.total_cost")
    assert float(growth.score) > 3.5 and growth.drilldown[0].item_code == "XDRUG-X"
    assert growth.drilldown[0].increase.amount == "30000.00" and float(growth.drilldown[0].share_of_increase) > 0.9
    share = next(w for w in jumper.warnings if w.indicator == "ZB10000205001000")
    assert {d.item_kind for d in share.drilldown} == {"drug"}


def test_quarter_sums_its_months(credit) -> None:
    [q] = credit.GetIndicators(pb.GetIndicatorsRequest(period="2026-Q1", institution_code="H32050000001")).institutions
    assert q.values["settlements"] == "306.0000" and q.growth["settlements"] == "0.0200"


def test_risk_scores_rank_the_jumper_first_and_always_give_reasons(credit) -> None:
    credit.DeliverEvents(pb.DeliverEventsRequest(events=[finding_event(
        "F-R1", institution=JUMPER, doctor="D320500000006", amount="5000.00")]))
    scores = credit.GetRiskScores(pb.GetRiskScoresRequest(period="2026-Q1")).scores
    assert scores[0].subject == JUMPER
    assert all({r.code for r in s.reasons} == {"indicator_anomaly", "violation_history", "sanctions"} for s in scores)
    assert "1 confirmed finding(s)" in next(r.detail for r in scores[0].reasons if r.code == "violation_history")
    doctors = credit.GetRiskScores(pb.GetRiskScoresRequest(period="2026-Q1", subject_kind="doctor")).scores
    assert doctors[0].subject == "D320500000006" and doctors[0].institution_code == JUMPER


def test_bad_rows_are_refused_naming_each_field(credit) -> None:
    bad = _row("H32050000099", "2026-13", 1.0)
    bad.total_cost.amount = "lots"
    bad.cost_by_kind["gold"] = "1"
    with pytest.raises(grpc.RpcError) as err:
        credit.RecordIndicators(pb.RecordIndicatorsRequest(rows=[bad]))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    for name in ("rows[0].period", "rows[0].total_cost.amount", "rows[0].cost_by_kind[gold]"):
        assert name in err.value.details()
    with pytest.raises(grpc.RpcError) as err:
        credit.GetIndicators(pb.GetIndicatorsRequest(period="2026-03", institution_code="H32050000099"))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


def test_a_rerecorded_period_replaces_the_earlier_one_and_request_ids_repeat(credit) -> None:
    row = _row("H32050000001", "2026-03", 2.0)
    del row.items[:]
    assert credit.RecordIndicators(pb.RecordIndicatorsRequest(request_id="ind-2", rows=[row])).recorded == 1
    [i] = credit.GetIndicators(pb.GetIndicatorsRequest(period="2026-03", institution_code="H32050000001")).institutions
    assert i.values["settlements"] == "200.0000"
    # The same request again is answered from memory and does not overwrite a later correction.
    credit.RecordIndicators(pb.RecordIndicatorsRequest(request_id="ind-3", rows=[_row("H32050000001", "2026-03", 3.0)]))
    assert credit.RecordIndicators(pb.RecordIndicatorsRequest(request_id="ind-2", rows=[row])).recorded == 1
    [i] = credit.GetIndicators(pb.GetIndicatorsRequest(period="2026-03", institution_code="H32050000001")).institutions
    assert i.values["settlements"] == "300.0000"
