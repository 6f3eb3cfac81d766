"""``fundguard demo``: the suite end to end on a small real workload.

Starts everything on the embedded database, loads the sample catalogue and registry,
sends the sample 3101 requests through the gateway exactly as a hospital system would,
prints the findings and one claim's trace across the services, then stops.
"""

from __future__ import annotations

import csv
import json
import shutil
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import grpc
import httpx

from fundguard.physician_codes.v1 import physician_codes_pb2 as pc
from fundguard.physician_codes.v1 import physician_codes_pb2_grpc as pc_grpc
from fundguard.rules.v1 import rules_pb2, rules_pb2_grpc
from fundguard.runtime.supervisor import Suite
from fundguard.runtime.tracestore import claim_spans, read_spans, render
from gateway.client import provision_caller

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
NATIONAL_PATH = "/fsi/api/rsfComIfsService/callService"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def load_samples(suite: Suite) -> None:
    """The sample catalogue into rules and the sample registry into physician_codes, over gRPC."""
    with grpc.insecure_channel(suite.addrs["rules"]) as ch:
        files = {p.name: p.read_text(encoding="utf-8") for p in sorted((SAMPLES / "catalogue").glob("*.csv"))}
        rules_pb2_grpc.RulesServiceStub(ch).LoadCatalogue(rules_pb2.LoadCatalogueRequest(
            request_id="demo-catalogue", version="sample-2026.11", effective_from="2024-01-01", files=files),
            timeout=30)
    with grpc.insecure_channel(suite.addrs["physician_codes"]) as ch:
        registry = pc_grpc.PhysicianCodesServiceStub(ch)
        for row in _rows(SAMPLES / "registry" / "institutions.csv"):
            registry.UpsertInstitution(pc.UpsertInstitutionRequest(institution=pc.Institution(**row)), timeout=10)
        for row in _rows(SAMPLES / "registry" / "staff.csv"):
            id_number = row.pop("id_number")
            registry.UpsertStaff(pc.UpsertStaffRequest(staff=pc.Staff(**row), id_number=id_number), timeout=10)
        for row in _rows(SAMPLES / "registry" / "registrations.csv"):
            registry.AddRegistration(pc.AddRegistrationRequest(registration=pc.Registration(**row)), timeout=10)


def send_requests(base_url: str, auth: httpx.Auth | None = None) -> list[tuple[str, dict[str, Any]]]:
    """Each sample request with a fresh msgid (institution code + time + sequence), signed
    with the x-tif-* headers as a platform gateway does."""
    out = []
    stamp = datetime.now().strftime("%Y%m%d%H%M%S")
    for seq, path in enumerate(sorted((SAMPLES / "requests").glob("3101-*.json")), 1):
        body = json.loads(path.read_text(encoding="utf-8"))
        body["msgid"] = f"{body['fixmedins_code']}{stamp}{seq:04d}"
        reply = httpx.post(base_url + NATIONAL_PATH, json=body, timeout=30, auth=auth).json()
        out.append((path.stem, reply))
    return out


def fee_details_of(request: dict[str, Any], msgid: str) -> dict[str, Any]:
    """The 2204 upload a hospital sends for the orders it checked by 3101: one fee detail each."""
    patient = request["input"]["data"]["patient_dtos"][0]
    encounter = patient["fsi_encounter_dtos"][0]
    rows = [{"feedetl_sn": f"F{o['rx_id']}", "mdtrt_id": encounter["mdtrt_id"], "psn_no": patient["patn_id"],
             "fee_ocur_time": o["drord_begn_date"], "med_list_codg": o["hilist_code"],
             "med_list_name": o["hilist_name"], "cnt": o["cnt"], "pric": o["pric"],
             "det_item_fee_sumamt": o["sumamt"], "bilg_dept_codg": o["drord_dept_codg"],
             "bilg_dr_codg": o["drord_dr_codg"], "bilg_dr_name": o["drord_dr_name"]}
            for o in encounter["fsi_order_dtos"]]
    return {**request, "infno": "2204", "msgid": msgid, "input": {"feedetail": rows}}


def month_end(platform: httpx.Client, client: httpx.Client, base_url: str, period: str) -> dict[str, dict[str, Any]]:
    """The month after the fact: the platform forwards the bills (2204); the fund's auditor
    audits, publishes, lets the appeal deadline pass and deducts. Returns each institution's
    deduction statement."""
    stamp = datetime.now().strftime("%Y%m%d%H%M%S")
    for seq, path in enumerate(sorted((SAMPLES / "requests").glob("3101-*.json")), 1):
        request = json.loads(path.read_text(encoding="utf-8"))
        billed = platform.post(base_url + NATIONAL_PATH, json=fee_details_of(
            request, f"{request['fixmedins_code']}{stamp}{50 + seq:04d}"), timeout=30).json()
        if billed["infcode"] != 0:
            raise RuntimeError(f"2204 for {path.stem} refused: {billed['err_msg']}")
    run = client.post(base_url + "/api/v1/audit-runs", json={"request_id": f"demo-run-{stamp}", "period": period},
                      timeout=30).json()
    while run["state"] == "running":
        time.sleep(0.2)
        run = client.get(f"{base_url}/api/v1/audit-runs/{run['run_id']}", timeout=30).json()
    print(f"\nMonthly audit of {period}: {run['state']}, {run.get('lines_done', 0)} billed lines judged, "
          f"{run.get('findings', 0)} findings (run {run['run_id']})")
    client.post(f"{base_url}/api/v1/cycles/{period}/publish", json={"request_id": f"demo-pub-{stamp}",
                                                                     "run_id": run["run_id"]}, timeout=30)
    # Nobody appeals: once the deadline has passed the findings are confirmed and deducted.
    client.post(f"{base_url}/api/v1/cycles/confirm-due", json={"request_id": f"demo-due-{stamp}",
                                                               "as_of": "2099-12-31"}, timeout=30)
    institutions = sorted({json.loads(p.read_text(encoding="utf-8"))["fixmedins_code"]
                           for p in (SAMPLES / "requests").glob("3101-*.json")})
    return {code: client.get(f"{base_url}/api/v1/institutions/{code}/deduction-statements/{period}",
                             timeout=30).json() for code in institutions}


def wait_for_trace(data_dir: Path, claim_id: str, services: set[str], timeout: float = 10.0) -> list[dict[str, Any]]:
    """Spans are exported in batches; wait until every service's part of the trace is on disk.

    A service's first batch may hold only the children of its server span (which ends last),
    so once every service has appeared, wait until the trace stops growing for longer than
    one export interval (0.5 s)."""
    deadline = time.monotonic() + timeout
    settled_count, settled_at = -1, 0.0
    while True:
        spans = claim_spans(read_spans(data_dir), claim_id)
        seen = {str(s["service"]).removeprefix("fundguard-") for s in spans}
        now = time.monotonic()
        if now > deadline:
            return spans
        if services <= seen:
            if len(spans) != settled_count:
                settled_count, settled_at = len(spans), now
            elif now - settled_at >= 0.8:
                return spans
        time.sleep(0.2)


def run_demo(data_dir: Path | None = None) -> int:
    data_dir = data_dir or (Path(".fundguard") / "demo").resolve()
    shutil.rmtree(data_dir, ignore_errors=True)  # every demo starts from nothing
    t0 = time.monotonic()
    with Suite(data_dir, None, fixed_ports=False) as suite:
        print(f"suite up in {time.monotonic() - t0:.1f} s: " + ", ".join(f"{k} {v}" for k, v in suite.addrs.items()))
        load_samples(suite)
        # The demo is a platform caller for the province, provisioned like `fundguard callers add`.
        assert suite.database_url
        auth = provision_caller(suite.database_url, suite.env(), "demo-platform", "platform", "32", "demo")
        replies = send_requests(suite.gateway_url, auth)
        print("\nFindings (3101 pre-event analysis through the gateway):")
        traced = ""
        total_findings = 0
        for name, reply in replies:
            results = reply["output"].get("result", []) if reply["infcode"] == 0 else []
            status = "clean" if not results else f"{len(results)} finding(s)"
            if reply["infcode"] != 0:
                status = f"error: {reply['err_msg']}"
            print(f"  {name:<36} {status}")
            for r in results:
                print(f"      {r['rule_id']:<18} {r['sev_deg']}  {r['vola_amt']:>8} 元  {r['vola_cont']}")
                if len(results) > 1:
                    traced = r["fundguard_claim_id"]
            total_findings += len(results)
        if not traced:
            print("no claim had several findings; nothing to trace", flush=True)
            return 1
        # The fund's side: an auditor caller runs the month's audit and the deduction cycle.
        auditor = provision_caller(suite.database_url, suite.env(), "demo-auditor", "auditor", "", "demo")
        with httpx.Client(auth=auth) as platform, httpx.Client(auth=auditor) as client:
            statements = month_end(platform, client, suite.gateway_url, "2026-11")
        print("Deduction statements (confirmed findings, largest per line, capped at line and bill):")
        for code, statement in statements.items():
            lines = [ln for ln in statement.get("lines", []) if ln.get("line_id")]
            print(f"  {code}  {statement.get('total', {}).get('amount', '0.00'):>8} 元 over {len(lines)} line(s)")
            for ln in lines:
                print(f"      {ln['claim_id']:<30} line {ln['line_id']:<4} {ln['deducted']['amount']:>8} 元  {ln['how']}")
        spans = wait_for_trace(data_dir, traced, {"gateway", "claims", "rules", "physician_codes"})
        print(f"\nTrace of claim {traced} ({len(spans)} spans):")
        print(render(spans, traced))
        print(f"\n{len(replies)} requests, {total_findings} findings. "
              f"Data and spans kept in {data_dir}; re-read the trace with:\n"
              f"  FUNDGUARD_DATA_DIR={data_dir} fundguard trace {traced}")
    return 0
