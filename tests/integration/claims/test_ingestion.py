"""Ingestion through the real claims gRPC server on a real PostgreSQL: idempotent uploads,
bad rows reported while good rows are kept, returns, partitions, settlements and reversals."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from fundguard.claims.v1 import claims_pb2, claims_pb2_grpc
from fundguard.common.v1 import common_pb2
from tests.servers import serve

INST = "H32118100064"


@pytest.fixture()
def claims(migrated_url: str, data_dir: Path) -> Iterator[claims_pb2_grpc.ClaimsServiceStub]:
    with serve("claims", migrated_url, data_dir) as (channel, _):
        yield claims_pb2_grpc.ClaimsServiceStub(channel)


def detail(sn: str, enc: str, when: str = "2026-10-03 09:30:00", qty: str = "2", amount: str = "9.00",
           original: str = "", **extra: str) -> claims_pb2.FeeDetail:
    return claims_pb2.FeeDetail(detail_sn=sn, encounter_id=enc, patient_id="P" + enc, occurred_at=when,
                                item_code="110200001", item_name="普通门诊诊查费", item_type="201", quantity=qty,
                                unit_price=common_pb2.Money(amount="4.50"), amount=common_pb2.Money(amount=amount),
                                doctor_code="D32118100101", original_detail_sn=original, extra=extra)


def stored_lines(engine: Engine, enc: str) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.text(
            "SELECT * FROM claims.fee_lines WHERE claim_id = :c ORDER BY line_id"), {"c": f"{INST}-{enc}"}).mappings()]


def test_bad_rows_are_reported_by_row_field_and_reason_while_good_rows_are_kept(claims, engine) -> None:
    enc = uuid.uuid4().hex[:12]
    req = claims_pb2.UploadFeeDetailsRequest(request_id=f"m-{enc}", institution_code=INST, details=[
        detail("0001", enc, prov_flag="keep-me"),
        detail("0002", enc, qty="abc"),
        detail("0003", enc, when="2026-13-01 09:00:00"),
        detail("0004", enc, amount="9.001"),
        detail("", enc),
        detail("0006", enc),
    ])
    report = claims.UploadFeeDetails(req, timeout=10)
    assert (report.accepted, report.duplicates, report.rejected, report.replayed) == (2, 0, 4, False)
    assert [(e.row, e.field) for e in report.errors] == [
        (1, "quantity"), (2, "occurred_at"), (3, "amount"), (4, "detail_sn")]
    assert all(e.reason for e in report.errors)
    lines = stored_lines(engine, enc)
    assert [ln["line_id"] for ln in lines] == ["0001", "0006"]
    assert lines[0]["extra"] == {"prov_flag": "keep-me"}  # unknown province fields are kept


def test_a_retried_upload_changes_nothing_and_says_so(claims, engine) -> None:
    enc = uuid.uuid4().hex[:12]
    req = claims_pb2.UploadFeeDetailsRequest(request_id=f"m-{enc}", institution_code=INST,
                                             details=[detail("0001", enc), detail("0002", enc)])
    first = claims.UploadFeeDetails(req, timeout=10)
    assert (first.accepted, first.duplicates) == (2, 0)
    replay = claims.UploadFeeDetails(req, timeout=10)  # the same msgid: the stored answer
    assert replay.replayed and replay.accepted == 2
    req.request_id = f"m2-{enc}"                          # a new msgid, the same rows: duplicates
    req.details[0].amount.amount = "99.00"
    again = claims.UploadFeeDetails(req, timeout=10)
    assert (again.accepted, again.duplicates, again.replayed) == (0, 2, False)
    lines = stored_lines(engine, enc)
    assert len(lines) == 2 and str(lines[0]["amount"]) == "9.00"


def test_returns_refer_to_their_original_line(claims, engine) -> None:
    enc = uuid.uuid4().hex[:12]
    claims.UploadFeeDetails(claims_pb2.UploadFeeDetailsRequest(
        request_id=f"a-{enc}", institution_code=INST, details=[detail("0001", enc)]), timeout=10)
    report = claims.UploadFeeDetails(claims_pb2.UploadFeeDetailsRequest(
        request_id=f"b-{enc}", institution_code=INST, details=[
            detail("0002", enc, qty="-1", amount="-4.50", original="0001"),   # a return of a stored line
            detail("0003", enc, qty="-1", amount="-4.50", original="0999"),   # no such original
            detail("0004", enc, qty="-1", amount="-4.50"),                    # names no original
            detail("0005", enc),
            detail("0006", enc, qty="-1", amount="-4.50", original="0005"),   # original in the same upload
        ]), timeout=10)
    assert (report.accepted, report.rejected) == (3, 2)
    assert {(e.row, e.field) for e in report.errors} == {(1, "original_detail_sn"), (2, "original_detail_sn")}
    lines = {ln["line_id"]: ln for ln in stored_lines(engine, enc)}
    assert set(lines) == {"0001", "0002", "0005", "0006"}
    orphan = claims.UploadFeeDetails(claims_pb2.UploadFeeDetailsRequest(
        request_id=f"c-{enc}", institution_code=INST,
        details=[detail("0001", enc + "x", qty="-1", amount="-4.50", original="0000")]), timeout=10)
    assert (orphan.accepted, orphan.rejected) == (0, 1)
    with pytest.raises(grpc.RpcError) as err:  # a rejected row leaves no trace, not even an empty claim
        claims.GetClaim(claims_pb2.GetClaimRequest(claim_id=f"{INST}-{enc}x"), timeout=10)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert lines["0002"]["original_line_id"] == "0001" and str(lines["0002"]["quantity"]) == "-1.0000"


def test_a_stream_numbers_rows_across_messages_and_partitions_by_month(claims, engine) -> None:
    enc = uuid.uuid4().hex[:12]
    messages = [
        claims_pb2.UploadFeeDetailsRequest(request_id=f"s-{enc}", institution_code=INST,
                                           details=[detail("0001", enc, when="2031-01-05 08:00:00"),
                                                    detail("0002", enc, qty="")]),
        claims_pb2.UploadFeeDetailsRequest(institution_code=INST,
                                           details=[detail("0003", enc, when="2031-02-05 08:00:00"),
                                                    detail("0004", enc, when="2031-02-06")]),
    ]
    report = claims.StreamFeeDetails(iter(messages), timeout=10)
    assert (report.accepted, report.rejected) == (3, 1)
    assert [(e.row, e.field) for e in report.errors] == [(1, "quantity")]
    with engine.connect() as conn:
        parts = set(conn.execute(sa.text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'claims.fee_lines'::regclass")).scalars())
        where = conn.execute(sa.text(
            "SELECT line_id, tableoid::regclass::text FROM claims.fee_lines WHERE claim_id = :c ORDER BY line_id"),
            {"c": f"{INST}-{enc}"}).all()
    assert {"fee_lines_2031_01", "fee_lines_2031_02"} <= parts
    assert [w[1].split(".")[-1] for w in where] == ["fee_lines_2031_01", "fee_lines_2031_02", "fee_lines_2031_02"]
    again = claims.StreamFeeDetails(iter(messages), timeout=10)
    assert again.replayed and again.accepted == 3


def test_settlement_and_its_reversal_are_idempotent_and_keep_history(claims, engine) -> None:
    enc = uuid.uuid4().hex[:12]
    setl = claims_pb2.SettleRequest(request_id=f"st-{enc}", settlement_id=f"S{enc}", encounter_id=enc,
                                    patient_id="P" + enc, institution_code=INST,
                                    total_amount=common_pb2.Money(amount="120.50"),
                                    fund_paid=common_pb2.Money(amount="100.00"), settled_at="2026-10-03 10:00:00",
                                    invoice_no=f"INV{enc}", extra={"prov": "x"})
    done = claims.Settle(setl, timeout=10)
    assert (done.state, done.replayed, done.claim_id) == ("settled", False, f"{INST}-{enc}")
    setl.request_id = f"st2-{enc}"
    assert claims.Settle(setl, timeout=10).replayed  # the same setl_id: nothing changes
    with pytest.raises(grpc.RpcError) as err:
        claims.Settle(claims_pb2.SettleRequest(settlement_id="x", total_amount=common_pb2.Money(amount="1.234")),
                      timeout=10)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    rev = claims_pb2.ReverseSettlementRequest(request_id=f"rv-{enc}", settlement_id=f"S{enc}",
                                              institution_code=INST, reason="收费错误")
    out = claims.ReverseSettlement(rev, timeout=10)
    assert (out.state, out.replayed) == ("reversed", False)
    rev.request_id = f"rv2-{enc}"
    assert claims.ReverseSettlement(rev, timeout=10).replayed
    with engine.connect() as conn:
        kinds = conn.execute(sa.text("SELECT kind FROM claims.settlement_events WHERE settlement_id = :s ORDER BY seq"),
                             {"s": f"S{enc}"}).scalars().all()
        row = conn.execute(sa.text("SELECT state, extra, total_amount FROM claims.settlements "
                                   "WHERE settlement_id = :s"), {"s": f"S{enc}"}).one()
    assert kinds == ["settled", "reversed"]
    assert row.state == "reversed" and row.extra == {"prov": "x"} and str(row.total_amount) == "120.50"
    with pytest.raises(grpc.RpcError) as err:
        claims.ReverseSettlement(claims_pb2.ReverseSettlementRequest(settlement_id="nope", institution_code=INST),
                                 timeout=10)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
