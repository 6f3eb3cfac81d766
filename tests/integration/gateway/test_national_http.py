"""The national interface over HTTP, in exactly the shape provincial clients send,
against real gRPC servers."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

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


def national(gw: Gateway, body: dict[str, Any]) -> dict[str, Any]:
    r = gw.role("platform", "POST", NATIONAL, json=body)
    reply: dict[str, Any] = r.json()
    assert r.status_code == 200 and reply["infcode"] == 0, reply
    assert reply["inf_refmsgid"] == body["msgid"]
    return reply


def claim(gw: Gateway, claim_id: str) -> dict[str, Any]:
    r = gw.role("auditor", "GET", f"/api/v1/claims/{claim_id}")
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_3103_feedback_on_a_real_warning_is_recorded_once(gw: Gateway) -> None:
    warned = national(gw, sample("02-female-drug-for-male"))["output"]["result"]
    jr_id = warned[0]["jr_id"]
    body = envelope("3103", {"data": [{"warn_rslt_id": jr_id, "dspo_way": "1", "dspo_way_rea": "clinically needed",
                                       "province_x": {"k": 1}}], "province_ext": "y"})
    assert national(gw, body)["output"] == {"recorded": 1, "replayed": False}
    again = national(gw, body)  # the same msgid: reported as a replay, nothing recorded twice
    assert again["output"] == {"recorded": 1, "replayed": True}
    events = gw.role("auditor", "GET", f"/api/v1/findings/{jr_id}/events").json()["events"]
    feedback = [e for e in events if "clinically needed" in e["reason"]]
    assert len(feedback) == 1 and feedback[0]["actor"] == "D32118100101"
    # Continuing past a warning flags it for the auditors.
    flagged = gw.role("auditor", "GET", "/api/v1/findings", params={
        "institution_code": "H32118100064", "continued_only": "true", "page_size": 1000}).json()
    assert jr_id in {f["finding_id"] for f in flagged["findings"]}
    unanswered = national(gw, sample("03-ct-above-ceiling"))["output"]["result"][0]["jr_id"]
    assert unanswered not in {f["finding_id"] for f in flagged["findings"]}
    # A warning that was never given is named, not silently recorded.
    r = gw.role("platform", "POST", NATIONAL, json=envelope("3103", {"data": {
        "warn_rslt_id": "NEVER-GIVEN", "dspo_way": "2"}}))
    assert r.status_code == 400 and r.json()["infcode"] == -1 and "NEVER-GIVEN" in r.json()["err_msg"]
    # Another institution cannot answer this hospital's warning: the same answer as a never-given one.
    r = gw.role("platform", "POST", NATIONAL, json=envelope("3103", {"data": {
        "warn_rslt_id": jr_id, "dspo_way": "2"}}, institution="H32118100071"))
    assert r.status_code == 400 and f"no warning {jr_id!r}" in r.json()["err_msg"]


def fee_rows(encounter: str, n: int, **extra: Any) -> list[dict[str, Any]]:
    return [{"feedetl_sn": f"{encounter}-{i}", "mdtrt_id": encounter, "psn_no": "P-GW-1",
             "fee_ocur_time": "2026-10-05 10:00:00", "med_list_codg": "XA01", "med_list_name": "片剂",
             "cnt": "2", "pric": "1.25", "det_item_fee_sumamt": "2.50", "bilg_dr_codg": "D32118100101",
             "prov_x": "k", **extra} for i in range(n)]


# Outpatient and inpatient: fee details, settlement, reversal.
FLOWS = [("2204", "2207", "2208"), ("2301", "2304", "2305")]


@pytest.mark.parametrize(("upload", "settle", "reverse"), FLOWS, ids=["-".join(f) for f in FLOWS])
def test_fee_details_settlement_and_reversal_reach_claims(gw: Gateway, upload: str, settle: str,
                                                          reverse: str, engine: Engine) -> None:
    enc = f"M-GW-{upload}"
    claim_id = f"H32118100064-{enc}"
    body = envelope(upload, {"feedetail": fee_rows(enc, 3), "mdtrtinfo": {"mdtrt_id": enc, "psn_no": "P-GW-1",
                                                                        "med_type": "11", "prov_y": "z"}})
    out = national(gw, body)["output"]
    assert (out["accepted"], out["rejected"], out["errors"], out["replayed"]) == (3, 0, [], False)
    assert [r["fundguard_status"] for r in out["result"]] == ["accepted"] * 3
    lines = claim(gw, claim_id)["encounter"]["lines"]
    assert sorted(ln["line_id"] for ln in lines) == [f"{enc}-{i}" for i in range(3)]
    assert all(Decimal(ln["amount"]["amount"]) == Decimal("2.50") and Decimal(ln["quantity"]) == 2 for ln in lines)
    again = national(gw, body)["output"]
    assert again["replayed"] is True and again["accepted"] == 3
    assert len(claim(gw, claim_id)["encounter"]["lines"]) == 3

    setl = envelope(settle, {"data": {"setl_id": f"S-{enc}", "mdtrt_id": enc, "psn_no": "P-GW-1",
                                      "medfee_sumamt": 7.5, "hifp_payamt": "5.00", "psn_cash_pay": "2.50",
                                      "setl_time": "2026-10-05 11:00:00", "prov_z": [1]}})
    assert national(gw, setl)["output"]["setlinfo"] == {
        "setl_id": f"S-{enc}", "fundguard_claim_id": claim_id, "state": "settled", "replayed": False}
    assert national(gw, setl)["output"]["setlinfo"]["replayed"] is True
    [stored] = claim(gw, claim_id)["settlements"]
    assert (stored["settlement_id"], stored["state"]) == (f"S-{enc}", "settled")
    assert Decimal(stored["total_amount"]["amount"]) == Decimal("7.5")

    rev = envelope(reverse, {"data": {"setl_id": f"S-{enc}", "mdtrt_id": enc, "psn_no": "P-GW-1",
                                      "rea": "entered twice", "prov_w": "v"}})
    assert national(gw, rev)["output"]["setlinfo"] == {
        "setl_id": f"S-{enc}", "fundguard_claim_id": claim_id, "state": "reversed", "replayed": False}
    assert national(gw, rev)["output"]["setlinfo"]["replayed"] is True
    assert [s["state"] for s in claim(gw, claim_id)["settlements"]] == ["reversed"]
    with engine.connect() as conn:  # the province's own field travelled with the reversal
        kept = conn.execute(sa.text("SELECT extra FROM claims.settlement_events WHERE settlement_id = :s "
                                    "AND kind = 'reversed'"), {"s": f"S-{enc}"}).scalar_one()
    assert kept["prov_w"] == "v"
    # Reversing a settlement that never happened is not found.
    r = gw.role("platform", "POST", NATIONAL, json=envelope(reverse, {"data": {"setl_id": "S-NEVER"}}))
    assert r.status_code == 404 and r.json()["infcode"] == -1 and "S-NEVER" in r.json()["err_msg"]


def test_bad_fee_detail_rows_are_named_and_the_good_ones_kept(gw: Gateway) -> None:
    enc = "M-GW-BAD"
    rows = fee_rows(enc, 3)
    rows[1]["cnt"] = "lots"
    del rows[2]["fee_ocur_time"]
    r = gw.role("platform", "POST", NATIONAL, json=envelope("2204", {"feedetail": rows}))
    reply = r.json()
    # The call went through; some rows did not: 200 with infcode -1 and the full report.
    assert r.status_code == 200 and reply["infcode"] == -1, reply
    out = reply["output"]
    assert (out["accepted"], out["rejected"]) == (1, 2)
    assert [(e["row"], e["field"]) for e in out["errors"]] == [(1, "cnt"), (2, "fee_ocur_time")]
    assert "lots" in out["errors"][0]["reason"]
    assert [x["fundguard_status"] for x in out["result"]] == ["accepted", "rejected", "rejected"]
    assert "feedetail[1].cnt" in reply["err_msg"] and "feedetail[2].fee_ocur_time" in reply["err_msg"]
    lines = claim(gw, f"H32118100064-{enc}")["encounter"]["lines"]
    assert [ln["line_id"] for ln in lines] == [f"{enc}-0"]


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


def test_a_nul_character_is_refused_by_field_name_and_nothing_is_stored(gw: Gateway) -> None:
    body = sample("01-clean-outpatient")
    encounter = body["input"]["data"]["patient_dtos"][0]["fsi_encounter_dtos"][0]
    encounter["mdtrt_id"] = "NUL-CHECK-1"
    encounter["fsi_order_dtos"][0]["hilist_name"] = "阿莫西林\x00胶囊"
    r = gw.role("platform", "POST", NATIONAL, json=body)  # json.dumps writes the NUL as \u0000
    assert r.status_code == 400 and r.json()["infcode"] == -1, r.text
    assert "item_name" in r.json()["err_msg"] and "NUL" in r.json()["err_msg"]
    assert gw.role("auditor", "GET", f"/api/v1/claims/{body['fixmedins_code']}-NUL-CHECK-1").status_code == 404
    # A raw NUL byte is not JSON at all.
    raw = json.dumps(sample("01-clean-outpatient"), ensure_ascii=False).replace("丹阳", "丹\x00阳").encode()
    r = gw.role("platform", "POST", NATIONAL, content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 400 and "JSON" in r.json()["err_msg"]
    # An escaped backslash before "u0000" is text, not a NUL: accepted.
    ok = sample("01-clean-outpatient")
    ok["input"]["data"]["patient_dtos"][0]["fsi_encounter_dtos"][0]["fsi_order_dtos"][0]["hilist_name"] = "x\\u0000"
    assert national(gw, ok)["infcode"] == 0


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
