"""The monthly cycle over REST against the real claims service: an audit run, publication,
an appeal by the institution, the auditor's review, confirmation and the deduction
statement. Uses its own period (2026-08) so no other test's data is published."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.integration.gateway.conftest import NATIONAL, Gateway
from tests.integration.gateway.test_national_http import envelope, sample

pytestmark = pytest.mark.integration
PERIOD = "2026-08"
INST = "H32118100064"


def ok(r: Any) -> dict[str, Any]:
    assert r.status_code == 200, (r.status_code, r.text)
    return dict(r.json())


def august_claim(gw: Gateway, name: str, encounter: str) -> None:
    """A sample claim moved to August under its own encounter id, sent by 3101."""
    text = json.dumps(sample(name)).replace("2026-11-", "2026-08-")
    body = json.loads(text)
    body["input"]["data"]["patient_dtos"][0]["fsi_encounter_dtos"][0]["mdtrt_id"] = encounter
    reply = gw.role("platform", "POST", NATIONAL, json=body).json()
    assert reply["infcode"] == 0 and reply["output"]["result"], reply
    # Then billed, as the hospital does: the monthly audit judges the fee details (2204), not
    # the orders checked in real time.
    patient = body["input"]["data"]["patient_dtos"][0]
    enc = patient["fsi_encounter_dtos"][0]
    rows = [{"feedetl_sn": f"{encounter}-F{o['rx_id']}", "mdtrt_id": encounter, "psn_no": patient["patn_id"],
             "fee_ocur_time": o["drord_begn_date"], "med_list_codg": o["hilist_code"], "med_list_name": o["hilist_name"],
             "cnt": o["cnt"], "pric": o["pric"], "det_item_fee_sumamt": o["sumamt"], "bilg_dept_codg": o["drord_dept_codg"],
             "bilg_dr_codg": o["drord_dr_codg"]} for o in enc["fsi_order_dtos"]]
    billed = gw.role("platform", "POST", NATIONAL, json=envelope("2204", {"feedetail": rows})).json()
    assert billed["infcode"] == 0 and billed["output"]["accepted"] == len(rows), billed


def test_audit_publish_appeal_review_confirm_and_the_statement(gw: Gateway) -> None:
    august_claim(gw, "05-psa-for-female-above-ceiling", "MDT-GW-CYCLE-1")
    run = ok(gw.as_("auditor-1", "POST", "/api/v1/audit-runs", json={"request_id": "gw-cycle-run", "period": PERIOD}))
    for _ in range(100):
        run = ok(gw.as_("auditor-1", "GET", f"/api/v1/audit-runs/{run['run_id']}"))
        if run["state"] != "running":
            break
        time.sleep(0.1)
    assert run["state"] == "done" and int(run["findings"]) >= 2, run
    assert gw.as_("auditor-1", "GET", "/api/v1/audit-runs/RUN-NEVER").status_code == 404

    # Before publication the institution sees none of it.
    mine = ok(gw.as_("inst-64", "GET", f"/api/v1/institutions/{INST}/findings", params={"period": PERIOD}))
    assert mine.get("findings", []) == []
    found = ok(gw.as_("auditor-1", "GET", "/api/v1/findings", params={"run_id": run["run_id"], "state": "found"}))
    assert int(found["total_count"]) == int(run["findings"])
    published = ok(gw.as_("admin-1", "POST", f"/api/v1/cycles/{PERIOD}/publish",
                          json={"request_id": "gw-cycle-pub", "institution_code": INST, "run_id": run["run_id"]}))
    assert int(published["published"]) >= 2 and published["appeal_deadline"]
    assert published["run_ids"] == [run["run_id"]]
    left = ok(gw.as_("auditor-1", "GET", "/api/v1/findings", params={"run_id": run["run_id"], "state": "found"}))
    assert int(left["total_count"]) == int(run["findings"]) - int(published["published"])
    mine = ok(gw.as_("inst-64", "GET", f"/api/v1/institutions/{INST}/findings", params={"period": PERIOD}))
    findings = [f for f in mine["findings"] if f["encounter_id"] == "MDT-GW-CYCLE-1"]
    assert findings and all(f["state"] == "published" for f in findings)
    appealed, kept = findings[0], findings[1:]

    # The institution appeals one; another institution cannot; the auditor overturns it.
    r = gw.as_("inst-99", "POST", f"/api/v1/institutions/{INST}/findings/{appealed['finding_id']}/appeal",
               json={"request_id": "gw-cycle-appeal-x", "reason": "not ours"})
    assert r.status_code == 404
    event = ok(gw.as_("inst-64", "POST", f"/api/v1/institutions/{INST}/findings/{appealed['finding_id']}/appeal",
                      json={"request_id": "gw-cycle-appeal", "reason": "the order was for another patient",
                            "evidence_refs": ["doc-1"]}))
    assert (event["from_state"], event["to_state"], event["actor"]) == ("published", "appealed", gw.cid("inst-64"))
    event = ok(gw.as_("auditor-1", "POST", f"/api/v1/findings/{appealed['finding_id']}/review",
                      json={"request_id": "gw-cycle-review", "decision": "overturned", "reason": "evidence holds"}))
    assert (event["to_state"], event["actor"]) == ("overturned", gw.cid("auditor-1"))
    history = ok(gw.as_("auditor-1", "GET", f"/api/v1/findings/{appealed['finding_id']}/events"))["events"]
    assert [e["to_state"] for e in history][-2:] == ["appealed", "overturned"]

    confirmed = ok(gw.as_("auditor-1", "POST", "/api/v1/cycles/confirm-due",
                          json={"request_id": "gw-cycle-confirm", "as_of": "2027-06-30"}))
    assert int(confirmed["confirmed"]) >= len(kept)
    statement = ok(gw.as_("inst-64", "GET", f"/api/v1/institutions/{INST}/deduction-statements/{PERIOD}"))
    deducted = [ln for ln in statement["lines"] if ln["claim_id"] == f"{INST}-MDT-GW-CYCLE-1"]
    assert deducted and appealed["finding_id"] not in {f for ln in deducted for f in ln["finding_ids"]}
    assert all(ln["how"] for ln in deducted)
