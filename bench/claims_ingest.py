"""Bulk fee-line ingestion into PostgreSQL against raw COPY of the same rows, same run.

    .venv/bin/python -m bench.claims_ingest [--quick]

Figures (medians of several repeats):
- ingest: protobuf FeeDetail messages -> checked rows -> COPY into staging -> returns checked ->
  claims/patients upserted -> INSERT ... ON CONFLICT DO NOTHING into the month partitions;
- retry: the same upload again (every row a duplicate, nothing changes);
- baseline: COPY of the already-checked rows into a plain table of the same columns (no key,
  no index, no Python checks), the ceiling ingestion could reach.

Uses DATABASE_URL's server (a scratch database made and dropped here) or an embedded server.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import statistics
import time
from contextlib import AbstractContextManager
from pathlib import Path

import psycopg2
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bench import common
from fundguard.claims.v1 import claims_pb2
from fundguard.common.v1 import common_pb2
from fundguard.runtime import migrations
from fundguard.runtime.db import create_engine, temporary_database
from services.claims.domain.ingest import RowProblem, check_detail
from services.claims.ingestion import Ingestion

RESULTS = Path(__file__).resolve().parent / "results" / "claims.json"
INSTITUTION = "H32118100064"


def scratch_database() -> AbstractContextManager[str]:
    return temporary_database(os.environ.get("DATABASE_URL"), "fg_bench_claims")


def make_upload(rows: int, per_message: int) -> list[claims_pb2.UploadFeeDetailsRequest]:
    """Encounters of 8 lines over two service months, in messages of ``per_message`` lines."""
    out: list[claims_pb2.UploadFeeDetailsRequest] = []
    msg = claims_pb2.UploadFeeDetailsRequest(request_id="", institution_code=INSTITUTION)
    for i in range(rows):
        enc, sn = divmod(i, 8)
        month = 10 + (enc % 2)
        msg.details.append(claims_pb2.FeeDetail(
            detail_sn=f"{sn + 1:04d}", encounter_id=f"MT{enc:09d}", patient_id=f"P{enc % 50_000:010d}",
            occurred_at=f"2026-{month:02d}-{1 + enc % 28:02d} 09:{enc % 60:02d}:00", item_code="110200001",
            item_name="普通门诊诊查费", item_type="201", quantity="2", unit_price=common_pb2.Money(amount="4.50"),
            amount=common_pb2.Money(amount="9.00"), dept_code="A03", doctor_code="D32118100101",
            doctor_name="王建国", extra={"prov_fld": "x"} if sn == 0 else {}))
        if len(msg.details) == per_message:
            out.append(msg)
            msg = claims_pb2.UploadFeeDetailsRequest(request_id="", institution_code=INSTITUTION)
    if msg.details:
        out.append(msg)
    return out


def checked_rows(upload: list[claims_pb2.UploadFeeDetailsRequest]) -> list[tuple[str, ...]]:
    problems: list[RowProblem] = []
    rows = []
    n = 0
    for msg in upload:
        for d in msg.details:
            r = check_detail(d, d.unit_price.amount, d.amount.amount, dict(d.extra), n, INSTITUTION, "", "", problems)
            assert r is not None
            rows.append(r)
            n += 1
    return rows


def raw_copy(url: str, rows: list[tuple[str, ...]]) -> float:
    conn = psycopg2.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False))
    with conn, conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS public.bench_copy")
        cur.execute("CREATE TABLE public.bench_copy (row_no bigint, claim_id text, encounter_id text, line_id text, "
                    "service_date date, patient_id text, institution_code text, item_code text, item_name text, "
                    "item_type text, quantity numeric, unit_price numeric, amount numeric, occurred_at timestamptz, "
                    "dept_code text, doctor_code text, doctor_name text, original_line_id text, extra jsonb)")
    t0 = time.perf_counter()
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    buf.seek(0)
    with conn, conn.cursor() as cur:
        cur.copy_expert("COPY public.bench_copy FROM STDIN WITH (FORMAT csv)", buf)
    elapsed = time.perf_counter() - t0
    with conn, conn.cursor() as cur:
        cur.execute("DROP TABLE public.bench_copy")
    conn.close()
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rows and repeats (a smoke run)")
    args = parser.parse_args(argv)
    rows_n, repeats = (40_000, 2) if args.quick else (200_000, 3)
    upload = make_upload(rows_n, 5_000)
    rows = checked_rows(upload)
    ingest_s: list[float] = []
    retry_s: list[float] = []
    copy_s: list[float] = []
    with scratch_database() as url:
        migrations.upgrade("claims", url)
        engine = create_engine(url)
        ingestion = Ingestion(engine)
        for _ in range(repeats):
            with engine.begin() as conn:
                conn.execute(sa.text("TRUNCATE claims.fee_lines, claims.claims, claims.patients CASCADE"))
            copy_s.append(raw_copy(url, rows))
            t0 = time.perf_counter()
            report = ingestion.upload(upload)
            ingest_s.append(time.perf_counter() - t0)
            assert report.accepted == rows_n and report.rejected == 0, report
            t0 = time.perf_counter()
            again = ingestion.upload(upload)
            retry_s.append(time.perf_counter() - t0)
            assert again.accepted == 0 and again.duplicates == rows_n, again
        with engine.connect() as conn:
            partitions = conn.execute(sa.text(
                "SELECT count(*) FROM pg_inherits WHERE inhparent = 'claims.fee_lines'::regclass")).scalar_one()
        engine.dispose()
    copy_rate = rows_n / statistics.median(copy_s)
    ingest_rate = rows_n / statistics.median(ingest_s)
    retry_rate = rows_n / statistics.median(retry_s)
    machine = f"{platform.machine()} {os.cpu_count()} cpu, Python {platform.python_version()}"
    out = {
        "ingest_lines_per_second": {"value": round(ingest_rate), "unit": "lines/s", "baseline": round(copy_rate),
                                    "baseline_name": "raw COPY of the same rows into a plain table",
                                    "ratio": round(ingest_rate / copy_rate, 3), "machine": machine,
                                    "rows": rows_n, "repeats": repeats, "partitions": partitions},
        "retry_lines_per_second": {"value": round(retry_rate), "unit": "lines/s", "baseline": round(copy_rate),
                                   "baseline_name": "raw COPY of the same rows into a plain table",
                                   "ratio": round(retry_rate / copy_rate, 3), "machine": machine,
                                   "rows": rows_n, "repeats": repeats},
    }
    common.merge_results(RESULTS, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
