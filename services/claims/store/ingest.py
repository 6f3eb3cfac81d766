"""Bulk ingestion of fee lines: COPY into a session-local staging table, then set-based
INSERT ... ON CONFLICT DO NOTHING into the month-partitioned fee_lines.

Idempotent by the national key (claim = institution + mdtrt_id, feedetl_sn, service date):
a retried row is counted as a duplicate and changes nothing. No per-row ORM work.
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from services.claims.domain.ingest import RowProblem

STAGE_COLUMNS = ("row_no", "claim_id", "encounter_id", "line_id", "service_date", "patient_id", "institution_code",
                 "item_code", "item_name", "item_type", "quantity", "unit_price", "amount", "occurred_at",
                 "dept_code", "doctor_code", "doctor_name", "original_line_id", "extra")
TEXT_COLUMNS = ("claim_id", "encounter_id", "line_id", "patient_id", "institution_code", "item_code", "item_name",
                "item_type", "dept_code", "doctor_code", "doctor_name", "original_line_id")
LINE_COLUMNS = ("claim_id", "line_id", "service_date", "patient_id", "institution_code", "item_code", "item_name",
                "item_type", "quantity", "unit_price", "amount", "occurred_at", "dept_code", "doctor_code",
                "doctor_name", "original_line_id", "extra")

CREATE_STAGE = """
CREATE TEMP TABLE IF NOT EXISTS fee_stage (
    row_no bigint, claim_id text, encounter_id text, line_id text, service_date date, patient_id text,
    institution_code text, item_code text, item_name text, item_type text, quantity numeric, unit_price numeric,
    amount numeric, occurred_at timestamptz, dept_code text, doctor_code text, doctor_name text,
    original_line_id text, extra jsonb
) ON COMMIT DELETE ROWS
"""
COPY_STAGE = (f"COPY fee_stage ({', '.join(STAGE_COLUMNS)}) FROM STDIN WITH (FORMAT csv, "
              f"FORCE_NOT_NULL ({', '.join(TEXT_COLUMNS)}))")

# A return must name an original line of the same claim that exists (stored, or in this batch).
ORPHAN_RETURNS = """
DELETE FROM fee_stage s
WHERE s.original_line_id <> ''
  AND NOT EXISTS (SELECT 1 FROM claims.fee_lines f
                  WHERE f.claim_id = s.claim_id AND f.line_id = s.original_line_id AND f.original_line_id = '')
  AND NOT EXISTS (SELECT 1 FROM fee_stage o
                  WHERE o.claim_id = s.claim_id AND o.line_id = s.original_line_id AND o.original_line_id = '')
RETURNING row_no, original_line_id
"""
# The batch's distinct claims and patients are gathered in Python while checking (cheap there)
# and sent as arrays: cheaper than DISTINCT over the staging table in the database.
NEW_CLAIMS = """
INSERT INTO claims.claims (claim_id, encounter_id, institution_code, patient_id, trace_id, traceparent)
SELECT c, e, i, p, %(trace_id)s, %(traceparent)s
FROM unnest(%(claims)s::text[], %(encounters)s::text[], %(institutions)s::text[], %(patients)s::text[]) AS t(c, e, i, p)
ON CONFLICT (claim_id) DO NOTHING
"""
NEW_PATIENTS = """
INSERT INTO claims.patients (patient_id) SELECT unnest(%(patients)s::text[])
ON CONFLICT (patient_id) DO NOTHING
"""
INSERT_LINES = (f"INSERT INTO claims.fee_lines ({', '.join(LINE_COLUMNS)}) "
                f"SELECT {', '.join(LINE_COLUMNS)} FROM fee_stage ON CONFLICT DO NOTHING")


def partition_name(month: date) -> str:
    return f"fee_lines_{month.year:04d}_{month.month:02d}"


@dataclass
class BatchResult:
    accepted: int = 0
    duplicates: int = 0
    problems: list[RowProblem] = field(default_factory=list)


class PartitionKeeper:
    """Creates a month's partition the first time a line of that month arrives."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.known: set[str] = set()
        self.lock = threading.Lock()

    def ensure(self, months: Iterable[str]) -> None:
        missing = sorted(set(months) - self.known)
        if not missing:
            return
        with self.lock, self.engine.begin() as conn:
            # One creator at a time across replicas: IF NOT EXISTS alone races.
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('claims.fee_lines partitions'))"))
            for ym in missing:
                year, month = int(ym[:4]), int(ym[5:7])
                start = date(year, month, 1)
                end = date(year + (month == 12), month % 12 + 1, 1)
                conn.execute(sa.text(
                    f'CREATE TABLE IF NOT EXISTS claims."{partition_name(start)}" PARTITION OF claims.fee_lines '
                    f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"))
        self.known.update(missing)


def write_batch(conn: Connection, rows: Sequence[tuple[str, ...]], trace_id: str, traceparent: str) -> BatchResult:
    """Stage and insert checked rows inside the caller's transaction."""
    result = BatchResult()
    if not rows:
        return result
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    buf.seek(0)
    raw = conn.connection.dbapi_connection
    assert raw is not None
    cur = raw.cursor()
    try:
        cur.execute(CREATE_STAGE)  # emptied at every commit (ON COMMIT DELETE ROWS)
        cur.copy_expert(COPY_STAGE, buf)
        cur.execute(ORPHAN_RETURNS)
        orphans = cur.fetchall()
        for row_no, original in sorted(orphans):
            result.problems.append(RowProblem(int(row_no), "original_detail_sn",
                                              f"no original line {original!r} in this encounter to return"))
        rejected = {str(row_no) for row_no, _ in orphans}
        heads: dict[str, tuple[str, str, str]] = {}
        for r in rows:
            if r[1] not in heads and r[0] not in rejected:
                heads[r[1]] = (r[2], r[6], r[5])
        cur.execute(NEW_PATIENTS, {"patients": sorted({h[2] for h in heads.values()})})
        cur.execute(NEW_CLAIMS, {"trace_id": trace_id, "traceparent": traceparent, "claims": list(heads),
                                 "encounters": [h[0] for h in heads.values()],
                                 "institutions": [h[1] for h in heads.values()],
                                 "patients": [h[2] for h in heads.values()]})
        cur.execute(INSERT_LINES)
        result.accepted = cur.rowcount
    finally:
        cur.close()
    result.duplicates = len(rows) - len(orphans) - result.accepted
    return result
