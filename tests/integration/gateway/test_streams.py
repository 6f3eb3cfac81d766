"""The bulk upload's stream and the agency feed against stand-in gRPC servers that record
exactly what the gateway sends, in what chunks, and how the answers are numbered, resumed
and framed (the same flows against the real services are in test_tenancy_and_limits)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent import futures

import grpc
import pytest

from fundguard.claims.v1 import claims_pb2, claims_pb2_grpc
from fundguard.credit.v1 import credit_pb2, credit_pb2_grpc
from fundguard.runtime.supervisor import free_port
from gateway.config import GatewayConfig
from tests.integration.gateway.conftest import CALLERS, Gateway, build_gateway

pytestmark = pytest.mark.integration


class StandInClaims(claims_pb2_grpc.ClaimsServiceServicer):
    def __init__(self) -> None:
        self.chunks: list[claims_pb2.UploadFeeDetailsRequest] = []

    def StreamFeeDetails(self, request_iterator, context):  # type: ignore[no-untyped-def]
        rows = 0
        for chunk in request_iterator:
            self.chunks.append(chunk)
            rows += len(chunk.details)
        # The second row sent is refused by "claims"; the rest are accepted.
        return claims_pb2.IngestReport(accepted=rows - 1, rejected=1, errors=[
            claims_pb2.RowError(row=1, field="quantity", reason="not a number")])


class StandInCredit(credit_pb2_grpc.CreditServiceServicer):
    def ReadFeed(self, request, context):  # type: ignore[no-untyped-def]
        start = int(request.cursor or 0)
        events = [credit_pb2.FeedEvent(event_id=f"e{i}", cursor=str(i + 1), kind="case.referred",
                                       case=credit_pb2.Case(case_id=f"C{i}", referred_to=[request.agency]))
                  for i in range(start, min(start + 2, 3))]
        return credit_pb2.ReadFeedResponse(events=events, next_cursor=str(start + len(events)) if events else "")


@pytest.fixture(scope="module")
def stand_in(migrated_url: str, upstream_addrs: dict[str, str],
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gateway, StandInClaims]]:
    claims = StandInClaims()
    server = grpc.server(futures.ThreadPoolExecutor(4))
    claims_pb2_grpc.add_ClaimsServiceServicer_to_server(claims, server)
    credit_pb2_grpc.add_CreditServiceServicer_to_server(StandInCredit(), server)
    port = free_port()
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    addrs = {**upstream_addrs, "claims": f"127.0.0.1:{port}", "credit": f"127.0.0.1:{port}"}
    callers = {k: CALLERS[k] for k in ("inst-64", "agency-police")}
    with build_gateway(migrated_url, tmp_path_factory.mktemp("stand-in"), addrs, GatewayConfig(), callers,
                       "stand-in-") as gw:
        yield gw, claims
    server.stop(None)


def test_ndjson_upload_streams_in_chunks_and_reports_by_upload_row(stand_in: tuple[Gateway, StandInClaims]) -> None:
    gw, claims = stand_in
    lines = [f'{{"feedetl_sn": "{i}", "mdtrt_id": "M1", "cnt": "1", "prov_x": "k{i}"}}' for i in range(2300)]
    lines.insert(1, "not json")                  # upload row 1: refused here
    lines.insert(3, '{"mdtrt_id": "M1"}')        # upload row 3: no feedetl_sn, refused here
    r = gw.as_("inst-64", "POST", "/api/v1/uploads/fee-details", content="\n".join(lines).encode(),
               params={"institution_code": "H32118100064", "request_id": "month-11"},
               headers={"content-type": "application/x-ndjson"})
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["rows"] == 2302 and report["rejected"] == 3 and report["accepted"] == 2299
    # claims' row 1 is the second row sent, which is upload row 2 (row 1 never left).
    assert [(e["row"], e["field"]) for e in report["errors"]] == [(1, "row"), (2, "cnt"), (3, "feedetl_sn")]
    assert [len(c.details) for c in claims.chunks] == [1000, 1000, 300]
    assert claims.chunks[0].request_id == "month-11" and claims.chunks[0].institution_code == "H32118100064"
    assert claims.chunks[1].request_id == "" and claims.chunks[1].institution_code == "H32118100064"
    assert claims.chunks[0].details[0].extra["prov_x"] == "k0"


def test_csv_upload(stand_in: tuple[Gateway, StandInClaims]) -> None:
    gw, claims = stand_in
    claims.chunks.clear()
    body = "feedetl_sn,mdtrt_id,cnt,pric,det_item_fee_sumamt\n1,M1,1,2.5,2.5\n2,M1,x,1,1\n3,M1,1,1\n"
    r = gw.as_("inst-64", "POST", "/api/v1/uploads/fee-details", content=body.encode(),
               params={"institution_code": "H32118100064", "request_id": "csv-1"},
               headers={"content-type": "text/csv; charset=utf-8"})
    assert r.status_code == 200, r.text
    assert [(e["row"], e["field"]) for e in r.json()["errors"]] == [(1, "cnt"), (2, "row")]
    assert claims.chunks[0].details[0].unit_price.amount == "2.5"


def test_feed_pages_from_a_cursor(stand_in: tuple[Gateway, StandInClaims]) -> None:
    gw, _ = stand_in
    first = gw.as_("agency-police", "GET", "/api/v1/agencies/police/feed").json()
    assert [e["case"]["case_id"] for e in first["events"]] == ["C0", "C1"] and first["next_cursor"] == "2"
    rest = gw.as_("agency-police", "GET", "/api/v1/agencies/police/feed",
                  params={"cursor": first["next_cursor"]}).json()
    assert [e["case"]["case_id"] for e in rest["events"]] == ["C2"]
    empty = gw.as_("agency-police", "GET", "/api/v1/agencies/police/feed",
                   params={"cursor": "3", "wait": 1}).json()
    assert empty["events"] == [] and empty["next_cursor"] == "3"


def test_feed_as_server_sent_events_resumes_from_last_event_id(stand_in: tuple[Gateway, StandInClaims]) -> None:
    gw, _ = stand_in
    r = gw.as_("agency-police", "GET", "/api/v1/agencies/police/feed/events", params={"seconds": 1},
               headers={"last-event-id": "1"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    ids = [line[4:] for line in r.text.splitlines() if line.startswith("id: ")]
    assert ids == ["2", "3"]
    assert "event: case.referred" in r.text
