"""Bulk upload parsing: NDJSON and CSV rows as they stream, bad rows named by number."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from fundguard.claims.v1 import claims_pb2
from gateway import uploads


async def chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i:i + size]


def parse(data: bytes, kind: str, size: int = 7) -> list[tuple[int, Any]]:
    async def run() -> list[tuple[int, Any]]:
        return [x async for x in uploads.rows(chunks(data, size), kind)]
    return asyncio.run(run())


def test_ndjson_rows_across_chunk_boundaries_and_bad_rows() -> None:
    data = '{"feedetl_sn": "1", "pric": 1.10, "名": "中文"}\n\nnot json\n[1]\r\n{"feedetl_sn": "4"}'.encode()
    got = parse(data, "ndjson", size=5)
    assert [n for n, _ in got] == [0, 1, 2, 3]
    assert got[0][1]["名"] == "中文" and str(got[0][1]["pric"]) == "1.10"
    assert isinstance(got[1][1], uploads.RowProblem) and "JSON" in got[1][1].reason
    assert isinstance(got[2][1], uploads.RowProblem) and "object" in got[2][1].reason
    assert got[3][1] == {"feedetl_sn": "4"}


def test_csv_rows_with_a_header() -> None:
    data = '\ufefffeedetl_sn,mdtrt_id,cnt,bilg_dr_name\n1,M1,2,"王, 五"\n2,M1\n3,M1,,x\n'.encode()
    got = parse(data, "csv")
    assert got[0] == (0, {"feedetl_sn": "1", "mdtrt_id": "M1", "cnt": "2", "bilg_dr_name": "王, 五"})
    assert isinstance(got[1][1], uploads.RowProblem) and "2 values" in got[1][1].reason
    assert got[2] == (2, {"feedetl_sn": "3", "mdtrt_id": "M1", "bilg_dr_name": "x"})


def test_row_detail_needs_its_serial_number() -> None:
    assert uploads.row_detail({"feedetl_sn": "1", "x": "y"}).extra["x"] == "y"
    try:
        uploads.row_detail({"mdtrt_id": "M"})
    except uploads.RowProblem as p:
        assert p.field == "feedetl_sn"
    else:
        raise AssertionError("a row without feedetl_sn was accepted")


def test_only_the_first_chunk_names_the_upload_and_every_chunk_its_institution() -> None:
    first = uploads.chunk_request("r1", "H32118100064", [], True)
    later = uploads.chunk_request("r1", "H32118100064", [], False)
    assert (first.request_id, first.institution_code) == ("r1", "H32118100064")
    assert (later.request_id, later.institution_code) == ("", "H32118100064")


def test_report_is_numbered_by_upload_row() -> None:
    # Rows 0 and 2 were bad here; rows 1, 3, 4 were sent as claims' rows 0, 1, 2.
    report = claims_pb2.IngestReport(accepted=2, rejected=1, errors=[
        claims_pb2.RowError(row=1, field="quantity", reason="not a number")])
    merged = uploads.merge_report(report, sent=[1, 3, 4], local=[(0, "row", "not valid JSON"),
                                                                 (2, "feedetl_sn", "required")])
    assert merged["rows"] == 5 and merged["accepted"] == 2 and merged["rejected"] == 3
    assert [(e["row"], e["field"]) for e in merged["errors"]] == [(0, "row"), (2, "feedetl_sn"), (3, "cnt")]
