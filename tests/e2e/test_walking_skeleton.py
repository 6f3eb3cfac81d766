"""The suite as real processes on free ports: a claim through the gateway, across every
service, with one trace whose parent/child edges cross the process boundaries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from fundguard.demo import SAMPLES, load_samples, wait_for_trace
from fundguard.runtime.supervisor import Suite
from gateway.client import provision_caller

pytestmark = pytest.mark.e2e
NATIONAL = "/fsi/api/rsfComIfsService/callService"
GRPC_SERVICES = {
    "claims": "fundguard.claims.v1.ClaimsService",
    "rules": "fundguard.rules.v1.RulesService",
    "physician_codes": "fundguard.physician_codes.v1.PhysicianCodesService",
    "credit": "fundguard.credit.v1.CreditService",
}


@pytest.fixture(scope="module")
def suite(own_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    s = Suite(tmp_path_factory.mktemp("suite"), own_database_url, fixed_ports=False)
    s.start()
    load_samples(s)
    yield s
    pids = [p.pid for p in s.procs.values()]
    s.stop()
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()


def sample(name: str, msgid_seq: int) -> dict:
    body = json.loads((SAMPLES / "requests" / f"3101-{name}.json").read_text(encoding="utf-8"))
    body["msgid"] = f"{body['fixmedins_code']}20261101093000{msgid_seq:04d}"
    return body


@pytest.fixture(scope="module")
def signed(suite: Suite) -> Iterator[httpx.Client]:
    """A platform caller for the province (division 32), provisioned like the CLI does; every
    request carries fresh x-tif-* signature headers."""
    assert suite.database_url
    auth = provision_caller(suite.database_url, suite.env(), "e2e-platform", "platform", "32")
    with httpx.Client(auth=auth) as client:
        yield client


def test_every_service_answers_health_and_reflection(suite: Suite) -> None:
    for svc, full_name in GRPC_SERVICES.items():
        with grpc.insecure_channel(suite.addrs[svc]) as ch:
            health = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(service=full_name), timeout=5)
            assert health.status == health_pb2.HealthCheckResponse.SERVING
            reply = next(reflection_pb2_grpc.ServerReflectionStub(ch).ServerReflectionInfo(
                iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5))
            names = {s.name for s in reply.list_services_response.service}
            assert {full_name, "grpc.health.v1.Health"} <= names
    assert httpx.get(suite.gateway_url + "/readyz", timeout=5).json()["ready"] is True


def test_a_claim_breaking_two_rules_gets_both_findings_and_one_cross_service_trace(suite: Suite, signed: httpx.Client) -> None:
    reply = signed.post(suite.gateway_url + NATIONAL, json=sample("05-psa-for-female-above-ceiling", 1), timeout=30).json()
    assert reply["infcode"] == 0, reply
    results = {r["rule_id"]: r for r in reply["output"]["result"]}
    assert set(results) == {"R-SERVICE-SEX", "R-PRICE-CEILING"}
    assert results["R-PRICE-CEILING"]["vola_amt"] == "13.00"
    assert results["R-SERVICE-SEX"]["vola_amt"] == "68.00"
    claim_id = results["R-SERVICE-SEX"]["fundguard_claim_id"]

    stored = signed.get(f"{suite.gateway_url}/api/v1/claims/{claim_id}", timeout=10).json()
    assert {f["rule_id"] for f in stored["findings"]} == {"R-SERVICE-SEX", "R-PRICE-CEILING"}
    assert len(stored["encounter"]["lines"]) == 2

    spans = wait_for_trace(suite.data_dir, claim_id, {"gateway", "claims", "rules", "physician_codes"})
    assert len({s["trace_id"] for s in spans}) == 1
    by_id = {s["span_id"]: s for s in spans}

    def edge(client_service: str, server_service: str, method: str) -> bool:
        return any(
            s["kind"] == "SERVER" and s["service"] == f"fundguard-{server_service}" and s["name"].endswith(method)
            and (p := by_id.get(s["parent_span_id"] or "")) is not None
            and p["kind"] == "CLIENT" and p["service"] == f"fundguard-{client_service}"
            for s in spans
        )

    assert edge("gateway", "claims", "ClaimsService/Analyze")
    assert edge("claims", "rules", "RulesService/Evaluate")
    assert edge("claims", "physician_codes", "PhysicianCodesService/VerifyBindings")


def test_an_unregistered_doctor_is_found(suite: Suite, signed: httpx.Client) -> None:
    reply = signed.post(suite.gateway_url + NATIONAL, json=sample("04-unregistered-doctor", 2), timeout=30).json()
    assert [(r["rule_id"], r["vola_amt"]) for r in reply["output"]["result"]] == [("R-DOCTOR-BINDING", "12.50")]


def test_a_retried_request_returns_the_stored_answer(suite: Suite, signed: httpx.Client) -> None:
    body = sample("02-female-drug-for-male", 3)
    first = signed.post(suite.gateway_url + NATIONAL, json=body, timeout=30).json()
    again = signed.post(suite.gateway_url + NATIONAL, json=body, timeout=30).json()
    assert [r["jr_id"] for r in first["output"]["result"]] == [r["jr_id"] for r in again["output"]["result"]]


def test_bad_fields_are_each_named_and_nothing_is_stored(suite: Suite, signed: httpx.Client) -> None:
    body = sample("01-clean-outpatient", 4)
    enc = body["input"]["data"]["patient_dtos"][0]["fsi_encounter_dtos"][0]
    enc["mdtrt_id"] = "MDT-BAD-INPUT"
    enc["fsi_order_dtos"][0]["cnt"] = "two"
    enc["fsi_order_dtos"][1]["drord_begn_date"] = "2026-13-45"
    r = signed.post(suite.gateway_url + NATIONAL, json=body, timeout=30)
    assert r.status_code == 400
    err = r.json()["err_msg"]
    assert r.json()["infcode"] == -1
    assert "lines[0].quantity" in err and "lines[1].service_date" in err
    missing = signed.get(f"{suite.gateway_url}/api/v1/claims/H32118100064-MDT-BAD-INPUT", timeout=10)
    assert missing.status_code == 404


def test_a_malformed_envelope_is_refused_with_the_field_named(suite: Suite, signed: httpx.Client) -> None:
    r = signed.post(suite.gateway_url + NATIONAL, json={"infno": "3101", "msgid": "short", "input": {}}, timeout=10)
    assert r.status_code == 400
    assert "msgid" in r.json()["err_msg"] and "fixmedins_code" in r.json()["err_msg"]
    r = signed.post(suite.gateway_url + NATIONAL, json={**sample("01-clean-outpatient", 5), "infno": "9999"}, timeout=10)
    assert r.json()["infcode"] == -1 and "infno" in r.json()["err_msg"]


def test_every_process_exports_rpc_metrics_for_prometheus(suite: Suite) -> None:
    httpx.post(suite.gateway_url + NATIONAL, json=sample("01-clean-outpatient", 6), timeout=30)
    claims_metrics = httpx.get(f"http://{suite.metrics_addrs['claims']}/metrics", timeout=5).text
    analyze = [line for line in claims_metrics.splitlines()
               if line.startswith("rpc_server_requests") and 'rpc_method="Analyze"' in line]
    assert analyze and float(analyze[0].rsplit(" ", 1)[1]) >= 1
    assert 'rpc_method="Check"' not in claims_metrics  # health probes are not counted
    rules_metrics = httpx.get(f"http://{suite.metrics_addrs['rules']}/metrics", timeout=5).text
    assert 'rpc_method="Evaluate"' in rules_metrics
    gateway_metrics = httpx.get(f"http://{suite.metrics_addrs['gateway']}/metrics", timeout=5).text
    assert "http_server" in gateway_metrics


def test_checks_sent_at_once_each_find_their_claims_whole_path(suite: Suite) -> None:
    """Twelve 3101s at once: those that wait in the gateway go to claims together
    (AnalyzeBatch); each claim's story (`fundguard trace`) still holds its request's HTTP span,
    its claim span and the rules and bindings work, in its own trace or the batch's it links to."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    from fundguard.runtime.tracestore import claim_spans, read_spans

    assert suite.database_url
    auth = provision_caller(suite.database_url, suite.env(), "e2e-burst", "platform", "32")
    bodies = []
    for n in range(12):
        body = sample("05-psa-for-female-above-ceiling", 100 + n)
        patient = body["input"]["data"]["patient_dtos"][0]
        patient["patn_id"] = f"BURST-{n}"
        patient["fsi_encounter_dtos"][0]["mdtrt_id"] = patient["curr_mdtrt_id"] = f"MDT-BURST-{n}"
        bodies.append(body)
    with httpx.Client(auth=auth) as client, ThreadPoolExecutor(12) as pool:
        replies = list(pool.map(lambda b: client.post(suite.gateway_url + NATIONAL, json=b, timeout=30).json(),
                                bodies))
    assert all(r["infcode"] == 0 and {x["rule_id"] for x in r["output"]["result"]} == {"R-SERVICE-SEX",
                                                                                         "R-PRICE-CEILING"}
               for r in replies), replies
    claims = [f"{b['fixmedins_code']}-MDT-BURST-{n}" for n, b in enumerate(bodies)]
    wanted = {"claims.store_claim", "/fundguard.rules.v1.RulesService/Evaluate",
              "/fundguard.physician_codes.v1.PhysicianCodesService/VerifyBindings",
              "POST /fsi/api/rsfComIfsService/callService"}
    deadline = time.monotonic() + 20
    while True:
        spans = read_spans(suite.data_dir)
        missing = {c: wanted - {s["name"] for s in claim_spans(spans, c)} for c in claims}
        if not any(missing.values()) or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert not any(missing.values()), missing
    assert any(s["name"] == "gateway.analyze_batch" for s in spans), "no check waited: nothing was gathered"
