"""Bulk fee-detail uploads: NDJSON or CSV rows, parsed as they stream in, never held whole.

Each row is a national ``feedetail`` object (the 2204/2301 row shape, unknown fields kept).
Rows are sent to claims in chunks; a row that cannot be parsed is reported by its number
and never sent, and claims' own per-row answers are mapped back to the upload's numbering.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

from fundguard.claims.v1 import claims_pb2
from gateway import national

CHUNK_ROWS = 1000
MAX_LINE = 1024 * 1024


class RowProblem(Exception):
    def __init__(self, reason: str, field: str = "row") -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


async def lines(chunks: AsyncIterator[bytes]) -> AsyncIterator[str]:
    """Text lines from a byte stream, decoding UTF-8 across chunk boundaries."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pending = ""
    async for chunk in chunks:
        pending += decoder.decode(chunk)
        *complete, pending = pending.split("\n")
        for line in complete:
            yield line.rstrip("\r")
        if len(pending) > MAX_LINE:
            yield pending  # reported as a bad row rather than buffering without end
            pending = ""
    pending += decoder.decode(b"", final=True)
    if pending.strip():
        yield pending.rstrip("\r")


def ndjson_row(line: str) -> dict[str, Any]:
    try:
        row = json.loads(line, parse_float=Decimal)
    except (ValueError, RecursionError) as exc:
        raise RowProblem(f"not valid JSON ({exc})") from None
    if not isinstance(row, dict):
        raise RowProblem("must be a JSON object (one fee-detail row)")
    return row


def csv_row(header: list[str], line: str) -> dict[str, Any]:
    values = next(csv.reader(io.StringIO(line)), [])
    if len(values) != len(header):
        raise RowProblem(f"has {len(values)} values; the header names {len(header)} columns")
    return {k: v for k, v in zip(header, values, strict=True) if v != ""}


async def rows(chunks: AsyncIterator[bytes], kind: str) -> AsyncIterator[tuple[int, dict[str, Any] | RowProblem]]:
    """(row number, row or the problem with it) for each non-blank data line."""
    header: list[str] | None = None
    n = 0
    async for line in lines(chunks):
        if not line.strip():
            continue
        if kind == "csv" and header is None:
            header = [h.strip().lstrip("\ufeff") for h in next(csv.reader(io.StringIO(line)), [])]
            continue
        try:
            row = csv_row(header or [], line) if kind == "csv" else ndjson_row(line)
            yield n, row
        except RowProblem as problem:
            yield n, problem
        n += 1


def chunk_request(request_id: str, institution_code: str, details: list[claims_pb2.FeeDetail],
                  first: bool) -> claims_pb2.UploadFeeDetailsRequest:
    """One message of the stream. The first names the upload (its request_id); every one names
    the institution, because claims checks each message's rows against its own
    institution_code (a chunk without one would have all its rows refused)."""
    req = claims_pb2.UploadFeeDetailsRequest(details=details, institution_code=institution_code)
    if first:
        req.request_id = request_id
    return req


def row_detail(row: dict[str, Any]) -> claims_pb2.FeeDetail:
    detail = national.fee_detail(row)
    if not detail.detail_sn:
        raise RowProblem("required", "feedetl_sn")
    bad = national.nul_fields(detail)
    if bad:
        raise RowProblem("must not contain a NUL character", bad[0])
    return detail


def merge_report(report: claims_pb2.IngestReport, sent: list[int],
                 local: list[tuple[int, str, str]]) -> dict[str, Any]:
    """claims' report (numbered by rows sent) plus the rows refused here, by upload row."""
    errors = [(sent[int(e.row)] if 0 <= int(e.row) < len(sent) else int(e.row), national.national_field(e.field),
               e.reason)
              for e in report.errors]
    errors += local
    errors.sort()
    rejected_rows = {r for r, _, _ in local}
    return {"rows": len(sent) + len(rejected_rows), "accepted": int(report.accepted),
            "duplicates": int(report.duplicates), "rejected": int(report.rejected) + len(rejected_rows),
            "replayed": bool(report.replayed),
            "errors": [{"row": r, "field": f, "reason": why} for r, f, why in errors]}


def iterate(queue_get: Any) -> Iterator[claims_pb2.UploadFeeDetailsRequest]:
    """Requests from a thread-safe queue until the None sentinel."""
    while True:
        item = queue_get()
        if item is None:
            return
        yield item
