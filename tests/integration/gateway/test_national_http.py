"""The national interface over HTTP, in exactly the shape provincial clients send,
against real gRPC servers."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from fundguard.demo import SAMPLES
from tests.integration.gateway.conftest import NATIONAL, Gateway

pytestmark = pytest.mark.integration
_seq = iter(range(1, 10_000))


def envelope(infno: str, inp: dict[str, Any], institution: str = "H32118100064") -> dict[str, Any]:
    stamp = datetime.now().strftime("%Y%m%d%H%M%S")
    return {"infno": infno, "msgid": f"{institution}{stamp}{next(_seq):04d}", "mdtrtarea_admvs": "321181",
            "insuplc_admdvs": "321181", "recer_sys_code": "FSI_LOCAL", "dev_no": "", "dev_safe_info": "",
            "cainfo": "", "signtype": "SM3", "infver": "V1.0", "opter_type": "1", "opter": "D32118100101",
            "opter_name": "王建国", "inf_time": "2026-11-01 09:30:00", "fixmedins_code": institution,
            "fixmedins_name": "丹阳市人民医院", "sign_no": "SIGN0001", "province_envelope_ext": "x", "input": inp}


def sample(name: str) -> dict[str, Any]:
    body = json.loads((SAMPLES / "requests" / f"3101-{name}.json").read_text(encoding="utf-8"))
    return envelope("3101", body["input"])


def test_3101_with_province_fields_returns_findings_in_the_national_shape(gw: Gateway) -> None:
    body = sample("05-psa-for-female-above-ceiling")
    body["input"]["data"]["province_data_ext"] = {"nested": [1, 2]}
    r = gw.role("platform", "POST", NATIONAL, json=body)
    reply = r.json()
    assert r.status_code == 200 and reply["infcode"] == 0, reply
    assert set(reply) == {"infcode", "inf_refmsgid", "refmsg_time", "respond_time", "err_msg", "output"}
    assert reply["inf_refmsgid"] == body["msgid"]
    rules = {x["rule_id"]: x for x in reply["output"]["result"]}
    assert set(rules) == {"R-SERVICE-SEX", "R-PRICE-CEILING"}
    assert rules["R-PRICE-CEILING"]["vola_amt"] == "13.00"
    assert {"jr_id", "vola_cont", "sev_deg", "judge_result_detail_dtos"} <= set(rules["R-SERVICE-SEX"])


def test_3102_is_the_in_event_check(gw: Gateway) -> None:
    body = sample("02-female-drug-for-male")
    body["infno"] = "3102"
    reply = gw.role("institution", "POST", NATIONAL, json=body).json()
    assert reply["infcode"] == 0, reply
    assert reply["output"]["result"], "the sample breaks a rule"


NOT_YET = [
    ("3103", {"data": [{"warn_rslt_id": "F1", "dspo_way": "1", "dspo_way_rea": "clinically needed"}]},
     "RecordFeedback"),
    ("2204", {"feedetail": [{"feedetl_sn": "1", "mdtrt_id": "M1", "psn_no": "P1", "cnt": "1", "pric": "2.50",
                             "det_item_fee_sumamt": "2.50", "bilg_dr_codg": "D32118100101", "prov_x": "k"}]},
     "UploadFeeDetails"),
    ("2301", {"feedetail": [{"feedetl_sn": "1", "mdtrt_id": "M2", "psn_no": "P1", "cnt": "-1",
                             "init_feedetl_sn": "0"}]}, "UploadFeeDetails"),
    ("2207", {"data": {"setl_id": "S1", "mdtrt_id": "M1", "psn_no": "P1", "medfee_sumamt": 12.5}}, "Settle"),
    ("2304", {"data": {"setl_id": "S2", "mdtrt_id": "M2", "psn_no": "P1", "medfee_sumamt": "99"}}, "Settle"),
    ("2208", {"data": {"setl_id": "S1", "mdtrt_id": "M1", "psn_no": "P1"}}, "ReverseSettlement"),
    ("2305", {"data": {"setl_id": "S2", "mdtrt_id": "M2", "psn_no": "P1"}}, "ReverseSettlement"),
]


@pytest.mark.parametrize(("infno", "inp", "method"), NOT_YET, ids=[n for n, _, _ in NOT_YET])
def test_each_ingestion_and_feedback_transaction_reaches_claims(gw: Gateway, infno: str, inp: dict[str, Any],
                                                                method: str) -> None:
    """Until claims implements these RPCs it answers UNIMPLEMENTED: the translation went
    through and the call arrived, which is what the gateway owns."""
    r = gw.role("platform", "POST", NATIONAL, json=envelope(infno, inp))
    reply = r.json()
    assert r.status_code == 501, reply
    assert reply["infcode"] == -1
    assert f"ClaimsService/{method}" in reply["err_msg"] and "not implemented" in reply["err_msg"]


@pytest.mark.parametrize(("infno", "inp", "field"), [
    ("3103", {"data": {"warn_rslt_id": "F1", "dspo_way": "1"}}, "dspo_way_rea"),
    ("2204", {"feedetail": []}, "input.feedetail"),
    ("2207", {"data": {"psn_no": "P1"}}, "input.data.setl_id"),
    ("2208", {"data": {}}, "input.data.setl_id"),
])
def test_a_failed_check_names_the_field(gw: Gateway, infno: str, inp: dict[str, Any], field: str) -> None:
    r = gw.role("platform", "POST", NATIONAL, json=envelope(infno, inp))
    assert r.status_code == 400 and r.json()["infcode"] == -1 and field in r.json()["err_msg"]


def test_unknown_infno_and_malformed_envelopes_answer_infcode_minus_one(gw: Gateway) -> None:
    r = gw.role("platform", "POST", NATIONAL, json=envelope("9999", {}))
    assert r.status_code == 400 and r.json()["infcode"] == -1 and "infno" in r.json()["err_msg"]
    r = gw.role("platform", "POST", NATIONAL, content=b"{not json")
    assert r.json()["infcode"] == -1 and "JSON" in r.json()["err_msg"]
    r = gw.role("platform", "POST", NATIONAL, json=[1, 2])
    assert r.json()["infcode"] == -1 and "envelope" in r.json()["err_msg"]
    r = gw.role("platform", "POST", NATIONAL, json={"infno": "3101", "msgid": "short", "input": "x"})
    err = r.json()["err_msg"]
    assert r.status_code == 400 and all(f in err for f in ("msgid", "fixmedins_code", "input"))


def test_a_platform_may_speak_only_for_its_region_and_an_institution_only_for_itself(gw: Gateway) -> None:
    body = sample("01-clean-outpatient")
    r = gw.as_("platform-11", "POST", NATIONAL, json=body)
    assert r.status_code == 403 and r.json()["infcode"] == -1 and "H32118100064" in r.json()["err_msg"]
    r = gw.as_("inst-99", "POST", NATIONAL, json=sample("01-clean-outpatient"))
    assert r.status_code == 403 and r.json()["infcode"] == -1
    # An encounter naming another institution inside an envelope of one's own is refused too.
    body = sample("01-clean-outpatient")
    body["input"]["data"]["patient_dtos"][0]["fsi_encounter_dtos"][0]["medins_id"] = "H11000000001"
    r = gw.role("platform", "POST", NATIONAL, json=body)
    assert r.status_code == 403 and "H11000000001" in r.json()["err_msg"]


@pytest.mark.parametrize("role", ["auditor", "admin", "agency", "public"])
def test_only_platforms_and_institutions_use_the_national_interface(gw: Gateway, role: str) -> None:
    r = gw.role(role, "POST", NATIONAL, json=sample("01-clean-outpatient"))
    assert r.status_code == 403 and r.json()["infcode"] == -1


def test_unsigned_national_request_is_refused_in_the_national_shape(gw: Gateway) -> None:
    r = gw.client.post(NATIONAL, json=sample("01-clean-outpatient"))
    assert r.status_code == 401 and r.json()["infcode"] == -1 and "x-tif" in r.json()["err_msg"]
