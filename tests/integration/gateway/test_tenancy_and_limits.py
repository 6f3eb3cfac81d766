"""Tenancy (someone else's data looks like no data), rate limits, overload, body size,
deadlines, bulk uploads and caller management over HTTP."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import grpc
import pytest

from fundguard.credit.v1 import credit_pb2, credit_pb2_grpc
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


def feed(gw: Gateway, caller: str, agency: str, **params: Any) -> dict[str, Any]:
    r = gw.as_(caller, "GET", f"/api/v1/agencies/{agency}/feed", params=params)
    assert r.status_code == 200, r.text
    return dict(r.json())


def feed_tail(gw: Gateway, caller: str, agency: str) -> str:
    """The cursor after everything on the feed so far (other tests share the database)."""
    cursor = ""
    while True:
        page = feed(gw, caller, agency, cursor=cursor, page_size=1000)
        if not page.get("events"):
            return str(page["next_cursor"])
        cursor = page["next_cursor"]


def open_case(gw: Gateway, request_id: str, **extra: Any) -> str:
    r = gw.as_("auditor-1", "POST", "/api/v1/cases", json={
        "request_id": request_id, "subjects": [{"kind": "institution", "code": "H32118100064", "name": "丹阳市人民医院"},
                                               {"kind": "insured", "code": "P-CASE-1", "id_number": "320123199001011234"}],
        "summary": "forged prescriptions", "amount": "60000.00", "fraud": True, "institution_code": "H32118100064",
        **extra})
    assert r.status_code == 200, r.text
    case = r.json()
    assert case["state"] == "open" and case["fine_basis"] == "art40" and case["amount"]["amount"] == "60000.00"
    return str(case["case_id"])


def refer(gw: Gateway, case_id: str, agency: str) -> None:
    r = gw.as_("auditor-1", "POST", f"/api/v1/cases/{case_id}/referrals",
               json={"request_id": f"ref-{case_id}-{agency}", "agency": agency, "note": "please act"})
    assert r.status_code == 200 and agency in r.json()["referred_to"], r.text


def sse(gw: Gateway, caller: str, agency: str, last_event_id: str) -> list[tuple[str, str, str]]:
    """(id, event, case_id) of each event a one-second SSE connection delivers."""
    headers = {**gw.headers(caller), "Last-Event-ID": last_event_id}
    out: list[tuple[str, str, str]] = []
    with gw.client.stream("GET", f"/api/v1/agencies/{agency}/feed/events", params={"seconds": 1},
                          headers=headers) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        for frame in r.read().decode().split("\n\n"):
            fields = dict(line.split(": ", 1) for line in frame.splitlines() if not line.startswith(":"))
            if "id" in fields:
                out.append((fields["id"], fields["event"], json.loads(fields["data"])["case"]["case_id"]))
    return out


def test_an_agency_reads_only_its_own_feed(gw: Gateway) -> None:
    police_tail = feed_tail(gw, "agency-police", "police")
    health_tail = feed_tail(gw, "agency-health", "health")
    a, b, c, d = (open_case(gw, f"feed-case-{x}") for x in "abcd")
    assert open_case(gw, "feed-case-a") == a  # a retried request_id opens nothing new
    refer(gw, a, "police")
    refer(gw, b, "police")
    refer(gw, b, "police")  # a repeat adds nothing to the feed
    refer(gw, c, "health")

    # Long-poll, one event a page, resumed from each next_cursor: in order, none lost or repeated.
    first = feed(gw, "agency-police", "police", cursor=police_tail, page_size=1, wait=5)
    second = feed(gw, "agency-police", "police", cursor=first["next_cursor"], page_size=1, wait=5)
    assert [(e["kind"], e["case"]["case_id"]) for e in first["events"] + second["events"]] == [
        ("case.referred", a), ("case.referred", b)]
    # The police may see identity numbers (they act on referrals); the case's subjects come along.
    insured = [s for s in first["events"][0]["case"]["subjects"] if s["kind"] == "insured"]
    assert insured[0]["id_number"] == "320123199001011234"

    # Nothing new: the long-poll waits, and answers as soon as a referral arrives meanwhile.
    credit = credit_pb2_grpc.CreditServiceStub(grpc.insecure_channel(gw.addrs["credit"]))
    timer = threading.Timer(0.5, lambda: credit.ReferCase(credit_pb2.ReferCaseRequest(
        request_id=f"ref-{d}", case_id=d, agency="police", referred_by="auditor-grpc"), timeout=10))
    timer.start()
    started = time.monotonic()
    third = feed(gw, "agency-police", "police", cursor=second["next_cursor"], wait=20)
    timer.join()
    assert [e["case"]["case_id"] for e in third["events"]] == [d]
    assert time.monotonic() - started < 15, "answered when the referral arrived, not at the end of the wait"
    empty = feed(gw, "agency-police", "police", cursor=third["next_cursor"], wait=0)
    assert empty["events"] == [] and empty["next_cursor"] == third["next_cursor"]

    # Server-sent events, resumed with Last-Event-ID after a disconnect: the same order, no repeats.
    streamed = sse(gw, "agency-police", "police", police_tail)
    assert [(k, case) for _, k, case in streamed] == [("case.referred", a), ("case.referred", b),
                                                      ("case.referred", d)]
    assert streamed[0][0] == first["events"][0]["cursor"]
    resumed = sse(gw, "agency-police", "police", streamed[0][0])
    assert [case for _, _, case in resumed] == [b, d]

    # Another agency sees nothing of it: the police feed is "not found", its own holds only c.
    theirs = gw.as_("agency-health", "GET", "/api/v1/agencies/police/feed")
    nowhere = gw.as_("agency-health", "GET", "/api/v1/agencies/nobody/feed")
    assert theirs.status_code == nowhere.status_code == 404
    assert theirs.json() == {**nowhere.json(), "detail": "feed police not found"}
    assert gw.as_("agency-health", "GET", "/api/v1/agencies/police/feed/events").status_code == 404
    health = feed(gw, "agency-health", "health", cursor=health_tail)
    assert [e["case"]["case_id"] for e in health["events"]] == [c]
    assert all(s["id_number"] != "320123199001011234" for s in health["events"][0]["case"]["subjects"])
    # ... and a case not referred to it answers exactly like a case that does not exist.
    hidden = gw.as_("agency-health", "GET", f"/api/v1/cases/{a}")
    absent = gw.as_("agency-health", "GET", "/api/v1/cases/CASE-NEVER")
    assert hidden.status_code == absent.status_code == 404
    assert hidden.json() == {**absent.json(), "detail": f"case {a} not found"}
    assert gw.as_("agency-police", "GET", f"/api/v1/cases/{a}").json()["case_id"] == a

    # Every read names its reader in credit's access log.
    log = credit.ListAccessLog(credit_pb2.ListAccessLogRequest(agency="police", page_size=1000), timeout=10)
    readers = {(e.reader, e.action) for e in log.entries}
    assert {(gw.cid("agency-police"), "read_feed"), (gw.cid("agency-police"), "get_case")} <= readers


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
    r = gw.as_("admin-1", "POST", "/api/v1/callers", json={"caller_id": "rest-made-3", "role": "auditor",
                                                          "name": "\x00"})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "name", r.text
    assert gw.as_("admin-1", "POST", "/api/v1/callers/rest-made-1/rotate", json={}).status_code == 200
    assert gw.as_("admin-1", "DELETE", "/api/v1/callers/rest-made-1").status_code == 204
    assert gw.as_("admin-1", "DELETE", "/api/v1/callers/rest-made-1").status_code == 404


def upload(gw: Gateway, caller: str, body: bytes, media: str, request_id: str,
           institution: str = "H32118100064") -> Any:
    return gw.as_(caller, "POST", "/api/v1/uploads/fee-details", content=body,
                  params={"institution_code": institution, "request_id": request_id}, headers={"content-type": media})


def upload_row(enc: str, i: int, **extra: Any) -> dict[str, Any]:
    return {"feedetl_sn": f"{enc}-{i}", "mdtrt_id": enc, "psn_no": "P-UP-1", "fee_ocur_time": "2026-10-07 08:00:00",
            "med_list_codg": "XB02", "cnt": "1", "pric": "3.10", "det_item_fee_sumamt": "3.10", "prov_col": "x",
            **extra}


def stored_lines(gw: Gateway, enc: str) -> list[dict[str, Any]]:
    r = gw.as_("auditor-1", "GET", f"/api/v1/claims/H32118100064-{enc}")
    assert r.status_code == 200, r.text
    return list(r.json()["encounter"]["lines"])


def test_upload_streams_rows_to_claims_and_refuses_other_media(gw: Gateway) -> None:
    # NDJSON over several 1,000-row chunks, with bad rows the gateway and claims each refuse.
    lines = [json.dumps(upload_row(f"M-UP-{i // 500}", i)) for i in range(2500)]
    lines[10] = "{not json"                                            # refused by the gateway
    lines[1200] = json.dumps({**upload_row("M-UP-2", 1200), "cnt": "0"})  # refused by claims
    lines[2499] = json.dumps({k: v for k, v in upload_row("M-UP-4", 2499).items() if k != "feedetl_sn"})
    body = "\n".join(lines).encode()
    r = upload(gw, "inst-64", body, "application/x-ndjson", "up-ndjson-1")
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["rows"], report["accepted"], report["rejected"], report["replayed"]) == (2500, 2497, 3, False)
    assert [(e["row"], e["field"]) for e in report["errors"]] == [(10, "row"), (1200, "cnt"), (2499, "feedetl_sn")]
    assert "zero" in report["errors"][1]["reason"]
    assert len(stored_lines(gw, "M-UP-0")) == 499 and len(stored_lines(gw, "M-UP-2")) == 499
    assert len(stored_lines(gw, "M-UP-3")) == 500
    # The same request_id again: a replay, nothing stored twice.
    again = upload(gw, "platform-32", body, "application/x-ndjson", "up-ndjson-1").json()
    assert again["replayed"] is True and again["accepted"] == 2497
    assert len(stored_lines(gw, "M-UP-3")) == 500
    # The same rows under a new request_id: duplicates, unchanged.
    dup = upload(gw, "inst-64", "\n".join(lines[500:1000]).encode(), "application/x-ndjson", "up-ndjson-2").json()
    assert (dup["accepted"], dup["duplicates"], dup["replayed"]) == (0, 500, False)

    # CSV: a header of national field names, then rows; a short row is named.
    header = list(upload_row("M-UP-CSV", 0))
    rows = [",".join(str(upload_row("M-UP-CSV", i)[h]) for h in header) for i in range(5)]
    rows.insert(2, "only,three,values")
    csv_body = ("\ufeff" + ",".join(header) + "\r\n" + "\r\n".join(rows) + "\r\n").encode()
    r = upload(gw, "inst-64", csv_body, "text/csv; charset=utf-8", "up-csv-1")
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["rows"], report["accepted"], report["rejected"]) == (6, 5, 1)
    assert [(e["row"], e["field"]) for e in report["errors"]] == [(2, "row")]
    stored = stored_lines(gw, "M-UP-CSV")
    assert sorted(ln["line_id"] for ln in stored) == [f"M-UP-CSV-{i}" for i in range(5)]

    r = upload(gw, "inst-64", b"x", "application/xml", "up-2")
    assert r.status_code == 415
    r = upload(gw, "inst-99", b"{}", "application/x-ndjson", "up-3")
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
    with tight.at_capacity():
        r = tight.as_("admin-1", "GET", "/api/v1/whoami")
        assert r.status_code == 429 and r.headers["retry-after"] == "1"
