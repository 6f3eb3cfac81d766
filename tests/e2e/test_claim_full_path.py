"""One claim's whole life in OpenTelemetry, across every process of the suite.

A 3101 check, the fee details billed by 2204, the monthly audit run, publication, an
appeal the reviewer upholds (so the finding is confirmed), the deduction, the outbox
delivering to credit, points for the doctor, a case referred to the police and the police
reading it through the gateway: the trace query for the claim returns every step, from
every service, in time order, each later step linked to the claim's first trace.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import grpc
import httpx
import pytest

from fundguard.credit.v1 import credit_pb2, credit_pb2_grpc
from fundguard.demo import SAMPLES, load_samples
from fundguard.runtime.supervisor import Suite
from fundguard.runtime.tracestore import claim_spans, read_spans
from gateway.client import provision_caller

pytestmark = pytest.mark.e2e
NATIONAL = "/fsi/api/rsfComIfsService/callService"
INST, DOCTOR, ENCOUNTER, PERIOD = "H32118100064", "D32118100102", "MDT-FULL-PATH-1", "2026-09"
CLAIM = f"{INST}-{ENCOUNTER}"
# The steps of the claim's life: (service, span name). The first check's spans happen within
# one request (rules and physician_codes in parallel); every later step follows in order.
FIRST_CHECK = [
    ("gateway", "POST /fsi/api/rsfComIfsService/callService"),
    ("rules", "/fundguard.rules.v1.RulesService/Evaluate"),
    ("physician_codes", "/fundguard.physician_codes.v1.PhysicianCodesService/VerifyBindings"),
    ("claims", "claims.store_claim"),
]
LATER = [
    ("claims", "/fundguard.claims.v1.ClaimsService/UploadFeeDetails"),
    ("claims", "claims.audit_claim"),
    ("claims", "claims.publish"),
    ("claims", "claims.appeal"),
    ("claims", "claims.review"),
    ("claims", "claims.deduction"),
    ("claims", "claims.outbox_delivery"),
    ("credit", "credit.process_event"),
    ("credit", "credit.refer_case"),
    ("credit", "credit.feed_delivery"),
]
STEPS = FIRST_CHECK + LATER


@pytest.fixture(scope="module")
def suite(own_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    s = Suite(tmp_path_factory.mktemp("full-path"), own_database_url, fixed_ports=False,
              extra_env={"FUNDGUARD_OUTBOX_MAX_BACKOFF": "0.5"})
    s.start()
    load_samples(s)
    yield s
    s.stop()


def client(suite: Suite, caller: str, role: str, scope: str = "") -> httpx.Client:
    assert suite.database_url
    auth = provision_caller(suite.database_url, suite.env(), caller, role, scope)
    return httpx.Client(base_url=suite.gateway_url, auth=auth, timeout=30)


def envelope(infno: str, inp: dict[str, Any], seq: int) -> dict[str, Any]:
    body = json.loads((SAMPLES / "requests" / "3101-05-psa-for-female-above-ceiling.json").read_text(encoding="utf-8"))
    return {**body, "infno": infno, "msgid": f"{INST}20260905093000{seq:04d}", "input": inp}


def ok(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 200, (r.status_code, r.text)
    return dict(r.json())


def test_every_step_of_a_claims_life_is_traced_and_linked_to_its_first_trace(suite: Suite) -> None:
    platform = client(suite, "path-platform", "platform", "32")
    auditor = client(suite, "path-auditor", "auditor")
    hospital = client(suite, "path-hospital", "institution", INST)
    police = client(suite, "path-police", "agency", "police")

    # 1. The pre-event check while the doctor orders (3101): a PSA test for a woman, above its ceiling.
    check = json.loads((SAMPLES / "requests" / "3101-05-psa-for-female-above-ceiling.json").read_text(encoding="utf-8")
                       .replace("2026-11-", "2026-09-"))
    patient = check["input"]["data"]["patient_dtos"][0]
    enc = patient["fsi_encounter_dtos"][0]
    enc["mdtrt_id"] = ENCOUNTER
    warned = ok(platform.post(NATIONAL, json=envelope("3101", check["input"], 1)))
    assert {r["rule_id"] for r in warned["output"]["result"]} == {"R-SERVICE-SEX", "R-PRICE-CEILING"}

    # 2. The hospital bills it (2204).
    rows = [{"feedetl_sn": f"F{o['rx_id']}", "mdtrt_id": ENCOUNTER, "psn_no": patient["patn_id"],
             "fee_ocur_time": o["drord_begn_date"], "med_list_codg": o["hilist_code"], "cnt": o["cnt"],
             "pric": o["pric"], "det_item_fee_sumamt": o["sumamt"], "bilg_dr_codg": o["drord_dr_codg"]}
            for o in enc["fsi_order_dtos"]]
    billed = ok(platform.post(NATIONAL, json=envelope("2204", {"feedetail": rows}, 2)))
    assert billed["infcode"] == 0 and billed["output"]["accepted"] == len(rows)

    # 3. The monthly audit run, then publication.
    run = ok(auditor.post("/api/v1/audit-runs", json={"request_id": "path-run", "period": PERIOD}))
    for _ in range(300):
        run = ok(auditor.get(f"/api/v1/audit-runs/{run['run_id']}"))
        if run["state"] != "running":
            break
        time.sleep(0.1)
    assert run["state"] == "done" and int(run["findings"]) >= 2, run
    ok(auditor.post(f"/api/v1/cycles/{PERIOD}/publish",
                    json={"request_id": "path-publish", "institution_code": INST, "run_id": run["run_id"]}))

    # 4. The hospital appeals the sex-limit finding; the reviewer upholds it (confirmed, deducted).
    mine = ok(hospital.get(f"/api/v1/institutions/{INST}/findings", params={"period": PERIOD}))["findings"]
    finding = next(f for f in mine if f["claim_id"] == CLAIM and f["rule_id"] == "R-SERVICE-SEX")
    ok(hospital.post(f"/api/v1/institutions/{INST}/findings/{finding['finding_id']}/appeal",
                     json={"request_id": "path-appeal", "reason": "the patient's record is wrong"}))
    upheld = ok(auditor.post(f"/api/v1/findings/{finding['finding_id']}/review",
                             json={"request_id": "path-review", "decision": "upheld", "reason": "the record is right"}))
    assert upheld["to_state"] == "confirmed"

    # 5. The outbox reaches credit: points for the doctor who ordered it.
    with grpc.insecure_channel(suite.addrs["credit"]) as ch:
        ledger = credit_pb2_grpc.CreditServiceStub(ch)
        for _ in range(150):
            points = ledger.GetLedger(credit_pb2.GetLedgerRequest(subject=DOCTOR), timeout=5)
            if points.total_points > 0:
                break
            time.sleep(0.2)
    assert points.total_points > 0

    # 6. A case for the police, read on their feed through the gateway.
    case = ok(auditor.post("/api/v1/cases", json={
        "request_id": "path-case", "finding_ids": [finding["finding_id"]], "summary": "PSA billed for a woman",
        "subjects": [{"kind": "institution", "code": INST}, {"kind": "staff", "code": DOCTOR}]}))
    ok(auditor.post(f"/api/v1/cases/{case['case_id']}/referrals", json={"request_id": "path-refer", "agency": "police"}))
    feed = ok(police.get("/api/v1/agencies/police/feed"))
    assert case["case_id"] in {e["case"]["case_id"] for e in feed["events"]}

    # The claim's story, from the local span files of all five processes.
    deadline = time.monotonic() + 20
    while True:
        spans = claim_spans(read_spans(suite.data_dir), CLAIM)
        names = {(str(s["service"]).removeprefix("fundguard-"), s["name"]) for s in spans}
        if set(STEPS) <= names or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert set(STEPS) <= names, sorted(set(STEPS) - names)
    assert {"gateway", "claims", "rules", "physician_codes", "credit"} <= {n[0] for n in names}

    first = {(str(s["service"]).removeprefix("fundguard-"), s["name"]): s for s in reversed(spans)}
    first_trace = first[("claims", "claims.store_claim")]["trace_id"]
    http = first[("gateway", f"POST {NATIONAL}")]["attributes"]
    assert http["http.route"] == NATIONAL and http["http.response.status_code"] == 200 and http["url.path"] == NATIONAL
    assert {first[step]["trace_id"] for step in FIRST_CHECK} == {first_trace}
    starts = [max(first[step]["start_ns"] for step in FIRST_CHECK)] + [first[step]["start_ns"] for step in LATER]
    assert starts == sorted(starts), "steps out of time order"
    for step in LATER:
        span = first[step]
        tied = span["trace_id"] == first_trace or any(link["trace_id"] == first_trace for link in span["links"])
        if step[1].startswith("/fundguard.claims.v1.ClaimsService/"):
            tied = tied or span["attributes"].get("fundguard.claim_id") == CLAIM  # the upload names it
        assert tied, f"{step} is not tied to the claim's first trace"
    for step in LATER[1:]:
        assert first[step]["attributes"].get("fundguard.claim_id") == CLAIM, step


def test_the_path_shows_in_the_metrics(suite: Suite) -> None:
    """Runs after the full path: findings by rule and tier, audit throughput and lag, outbox
    backlog and feed lag per agency, as Prometheus scrapes them."""
    claims = httpx.get(f"http://{suite.metrics_addrs['claims']}/metrics", timeout=5).text
    assert any(line.startswith("fundguard_findings_total") and 'rule_id="R-SERVICE-SEX"' in line
               and 'moment="post"' in line and 'tier="A"' in line for line in claims.splitlines())
    assert any(line.startswith("fundguard_audit_lines_total") for line in claims.splitlines())
    backlog = [line for line in claims.splitlines()
               if line.startswith("fundguard_outbox_backlog") and 'measure="events"' in line]
    assert backlog and float(backlog[0].rsplit(" ", 1)[1]) == 0  # everything reached credit
    assert any(line.startswith("fundguard_audit_lag") for line in claims.splitlines())
    gateway = httpx.get(f"http://{suite.metrics_addrs['gateway']}/metrics", timeout=5).text
    assert any(line.startswith("http_server_request_duration_seconds_count") and f'http_route="{NATIONAL}"' in line
               and 'http_response_status_code="200"' in line for line in gateway.splitlines())
    credit = httpx.get(f"http://{suite.metrics_addrs['credit']}/metrics", timeout=5).text
    lag = [line for line in credit.splitlines()
           if line.startswith("fundguard_feed_lag") and 'agency="police"' in line and 'events_unread' in line]
    assert lag and float(lag[0].rsplit(" ", 1)[1]) == 0  # the police read their feed
