"""Tenancy (someone else's data looks like no data), rate limits, overload, body size,
deadlines, bulk uploads and caller management over HTTP."""

from __future__ import annotations

import json

import pytest

from gateway.config import GatewayConfig
from tests.integration.gateway.conftest import CALLERS, NATIONAL, Gateway, build_gateway

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def claim_id(gw: Gateway) -> str:
    from tests.integration.gateway.test_national_http import sample

    reply = gw.role("platform", "POST", NATIONAL, json=sample("05-psa-for-female-above-ceiling")).json()
    return str(reply["output"]["result"][0]["fundguard_claim_id"])


def test_the_owner_and_its_platform_read_a_claim(gw: Gateway, claim_id: str) -> None:
    for caller in ("inst-64", "platform-32", "auditor-1", "admin-1"):
        r = gw.as_(caller, "GET", f"/api/v1/claims/{claim_id}")
        assert r.status_code == 200, (caller, r.text)
        assert r.json()["claim_id"] == claim_id


def test_another_institution_gets_exactly_the_not_found_answer(gw: Gateway, claim_id: str) -> None:
    theirs = gw.as_("inst-99", "GET", f"/api/v1/claims/{claim_id}")
    other_region = gw.as_("platform-11", "GET", f"/api/v1/claims/{claim_id}")
    owner = claim_id.split("-", 1)[0]
    assert theirs.status_code == other_region.status_code == 404
    # The owner asking for an encounter that was never sent gets the same answer, bar the id.
    absent = gw.as_("inst-64", "GET", f"/api/v1/claims/{owner}-NEVER-SENT")
    assert absent.status_code == 404
    assert theirs.content == other_region.content
    assert theirs.json()["detail"] == f"claim {claim_id} not found"
    assert absent.json() == {**theirs.json(), "detail": f"claim {owner}-NEVER-SENT not found"}
    assert theirs.headers["content-type"] == absent.headers["content-type"] == "application/problem+json"


def test_institution_data_of_others_is_not_found(gw: Gateway) -> None:
    for path in ("/api/v1/institutions/H32118100064/findings",
                 "/api/v1/institutions/H32118100064/deduction-statements/2026-10"):
        mine = gw.as_("inst-64", "GET", path)
        theirs = gw.as_("inst-99", "GET", path)
        assert mine.status_code != 404 or "H32118100064" not in mine.text
        assert theirs.status_code == 404
        assert theirs.json()["detail"] == "institution H32118100064 not found"
    r = gw.as_("inst-99", "POST", "/api/v1/institutions/H32118100064/findings/F1/appeal",
               json={"request_id": "a1", "reason": "x"})
    assert r.status_code == 404 and r.json()["detail"] == "finding F1 not found"


def test_an_institution_lists_its_findings(gw: Gateway, claim_id: str) -> None:
    r = gw.as_("auditor-1", "GET", "/api/v1/institutions/H32118100064/findings")
    assert r.status_code == 200 and r.json()["findings"]
    r = gw.as_("inst-64", "GET", "/api/v1/institutions/H32118100064/findings")
    assert r.status_code == 200
    # Not yet published: nothing is shown to the institution while the audit is under way.
    assert all(f["state"] not in ("", "found") for f in r.json().get("findings", []))


def test_an_agency_reads_only_its_own_feed(gw: Gateway) -> None:
    assert gw.as_("agency-health", "GET", "/api/v1/agencies/police/feed").status_code == 404
    r = gw.as_("agency-police", "GET", "/api/v1/agencies/police/feed")
    assert r.status_code == 501 and "CreditService/ReadFeed" in r.json()["detail"]


def test_bad_query_and_body_fields_are_each_named(gw: Gateway) -> None:
    r = gw.as_("auditor-1", "POST", "/api/v1/audit-runs", json={"request_id": "", "period": "2026-13", "x": 1})
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"request_id", "period", "x"} <= fields
    r = gw.as_("auditor-1", "GET", "/api/v1/findings", params={"period": "nope", "page_size": 0})
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"query.period", "query.page_size"} <= fields


def test_rules_and_the_registry_are_reachable(gw: Gateway) -> None:
    r = gw.as_("auditor-1", "GET", "/api/v1/rules")
    assert r.status_code == 200 and r.json()["rules"]
    r = gw.as_("admin-1", "POST", "/api/v1/registry/institutions", json={"request_id": "imp-1", "items": [
        {"code": "H32118100077", "name": "测试医院", "level": "2", "type": "hospital", "division": "321181",
         "agreement_status": "active"}, {"code": "bad"}]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["accepted"] == 1 and body["rejected"] == 1 and body["results"][1]["status"] == "rejected"


def test_callers_are_managed_by_admins_and_tokens_shown_once(gw: Gateway) -> None:
    r = gw.as_("admin-1", "POST", "/api/v1/callers", json={"caller_id": "rest-made-1", "role": "institution",
                                                          "scope": "H32118100064"})
    assert r.status_code == 201 and r.json()["token"]
    listing = gw.as_("admin-1", "GET", "/api/v1/callers").json()["callers"]
    assert any(c["caller_id"] == "rest-made-1" for c in listing)
    assert r.json()["token"] not in json.dumps(listing)
    r = gw.as_("admin-1", "POST", "/api/v1/callers", json={"caller_id": "rest-made-2", "role": "institution",
                                                          "scope": "not-a-code"})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "scope"
    assert gw.as_("admin-1", "POST", "/api/v1/callers/rest-made-1/rotate", json={}).status_code == 200
    assert gw.as_("admin-1", "DELETE", "/api/v1/callers/rest-made-1").status_code == 204
    assert gw.as_("admin-1", "DELETE", "/api/v1/callers/rest-made-1").status_code == 404


def test_upload_streams_rows_to_claims_and_refuses_other_media(gw: Gateway) -> None:
    rows = "\n".join(json.dumps({"feedetl_sn": str(i), "mdtrt_id": "M1", "cnt": "1"}) for i in range(2500))
    r = gw.as_("inst-64", "POST", "/api/v1/uploads/fee-details", content=rows.encode(),
               params={"institution_code": "H32118100064", "request_id": "up-1"},
               headers={"content-type": "application/x-ndjson"})
    assert r.status_code == 501 and "ClaimsService/StreamFeeDetails" in r.json()["detail"]
    r = gw.as_("inst-64", "POST", "/api/v1/uploads/fee-details", content=b"x",
               params={"institution_code": "H32118100064", "request_id": "up-2"},
               headers={"content-type": "application/xml"})
    assert r.status_code == 415
    r = gw.as_("inst-99", "POST", "/api/v1/uploads/fee-details", content=b"{}",
               params={"institution_code": "H32118100064", "request_id": "up-3"},
               headers={"content-type": "application/x-ndjson"})
    assert r.status_code == 404


def test_a_deadline_the_caller_asks_for_is_passed_on(gw: Gateway) -> None:
    from tests.integration.gateway.test_national_http import sample

    r = gw.role("platform", "POST", NATIONAL, json=sample("03-ct-above-ceiling"),
                headers={"x-fundguard-timeout": "0.000001"})
    assert r.status_code == 504 and r.json()["infcode"] == -1


@pytest.fixture(scope="module")
def tight(migrated_url: str, upstream_addrs: dict[str, str], tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    config = GatewayConfig(rate=0.5, burst=2, max_body=2048, max_inflight=64)
    with build_gateway(migrated_url, tmp_path_factory.mktemp("tight"), upstream_addrs, config,
                       {k: CALLERS[k] for k in ("auditor-1", "admin-1")}, "tight-") as g:
        yield g


def test_rate_limit_per_caller_answers_429_with_retry_after(tight: Gateway) -> None:
    codes = [tight.as_("auditor-1", "GET", "/api/v1/whoami").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    r = tight.as_("auditor-1", "GET", "/api/v1/whoami")
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert r.headers["content-type"] == "application/problem+json"
    # Another caller has its own bucket.
    assert tight.as_("admin-1", "GET", "/api/v1/whoami").status_code == 200


def test_bodies_over_the_limit_are_refused(tight: Gateway) -> None:
    big = json.dumps({"request_id": "r", "period": "2026-10", "pad": "x" * 5000})
    r = tight.as_("admin-1", "POST", "/api/v1/audit-runs", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_overload_answers_429_at_once(tight: Gateway) -> None:
    gate = tight.app.state.edge.gate
    taken = 0
    while gate.enter():
        taken += 1
    try:
        r = tight.as_("admin-1", "GET", "/api/v1/whoami")
        assert r.status_code == 429 and r.headers["retry-after"] == "1"
    finally:
        for _ in range(taken):
            gate.leave()
