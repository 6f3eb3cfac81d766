"""Audit-run rate end to end, database to findings, against reading the same rows with COPY.

    .venv/bin/python -m bench.audit_e2e [--quick]

A generated world's patients, encounters and fee lines are put into plain PostgreSQL
tables (set-up, not timed). The figure is one audit pass: COPY the three tables out,
parse them into the rules domain's frames and run ``evaluate_frame`` with the default
pack and the world's catalogue. The baseline is the COPY out alone (the same bytes read,
nothing parsed or judged). Medians of repeats; sizes quick 100k, full 1M and 3M lines.

This measures the rules engine fed from the database, not the claims service's audit-run
RPC (the claims area owns that and may add its own figure). Uses DATABASE_URL's server
(a scratch database made and dropped here) or an embedded server.
Writes bench/results/audit.json.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import polars as pl
import psycopg2
from sqlalchemy.engine import make_url

from bench import common
from bench.generator.load import load_batch, load_catalogue
from fundguard.runtime.db import temporary_database
from services.rules.domain.engine import evaluate_frame
from services.rules.domain.model import ENCOUNTER_SCHEMA, LINE_SCHEMA, PATIENT_SCHEMA, Batch
from services.rules.main import load_default_pack

TABLES = {"patients": PATIENT_SCHEMA, "encounters": ENCOUNTER_SCHEMA, "lines": LINE_SCHEMA}
LISTS = ("diagnoses", "procedures")


def scratch_database() -> AbstractContextManager[str]:
    return temporary_database(os.environ.get("DATABASE_URL"), "fg_bench_audit")


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_type(dtype: Any) -> str:
    if dtype == pl.Date:
        return "date"
    if dtype == pl.Boolean:
        return "boolean"
    if isinstance(dtype, pl.Decimal):
        return f"numeric({dtype.precision},{dtype.scale})"
    return "text"


def load_tables(conn: Any, batch: Batch) -> None:
    frames = {"patients": batch.patients, "encounters": batch.encounters, "lines": batch.lines}
    with conn.cursor() as cur:
        for table, schema in TABLES.items():
            cols = ", ".join(f"{c} {_pg_type(t)}" for c, t in schema.items())
            cur.execute(f"DROP TABLE IF EXISTS audit_{table}; CREATE TABLE audit_{table} ({cols})")
            df = frames[table].select(list(schema)).with_columns(
                pl.col(c).list.join("|") for c in LISTS if c in schema)
            buf = io.BytesIO()
            df.write_csv(buf, include_header=False)
            buf.seek(0)
            cur.copy_expert(f"COPY audit_{table} FROM STDIN WITH (FORMAT csv)", buf)
    conn.commit()


def copy_out(conn: Any) -> dict[str, bytes]:
    out = {}
    with conn.cursor() as cur:
        for table in TABLES:
            buf = io.BytesIO()
            cur.copy_expert(f"COPY audit_{table} TO STDOUT WITH (FORMAT csv)", buf)
            out[table] = buf.getvalue()
    conn.commit()
    return out


def to_batch(raw: dict[str, bytes]) -> Batch:
    frames = {}
    for table, schema in TABLES.items():
        text_schema = {c: pl.String for c in schema}
        df = pl.read_csv(raw[table], has_header=False, new_columns=list(schema), schema=text_schema)
        casts = []
        for c, t in schema.items():
            if c in LISTS:
                casts.append(pl.col(c).fill_null("").str.split("|").list.eval(pl.element().filter(pl.element() != ""))
                             .alias(c))
            elif t == pl.Boolean:
                casts.append((pl.col(c) == "t").alias(c))
            elif t == pl.Date:
                casts.append(pl.col(c).str.to_date("%Y-%m-%d"))
            else:
                casts.append(pl.col(c).cast(t))
        frames[table] = df.select(casts)
    return Batch(frames["patients"], frames["encounters"], frames["lines"])


def measure(url: str, world: Path, lines: int, repeats: int) -> dict[str, Any]:
    batch = load_batch(world, common.parts_for(world, lines), extras=False)
    catalogue = load_catalogue(world)
    pack = load_default_pack()
    conn = psycopg2.connect(_dsn(url))
    try:
        load_tables(conn, batch)
        base_s, _, _ = common.timed(lambda: copy_out(conn), repeats)

        def audit() -> int:
            return evaluate_frame(to_batch(copy_out(conn)), catalogue, pack.rules).height

        run_s, findings, done = common.timed(audit, repeats)
        direct = evaluate_frame(batch, catalogue, pack.rules).height
    finally:
        conn.close()
    assert findings == direct, (findings, direct)  # the round trip through the database loses nothing
    return {"lines": batch.lines.height, "seconds": run_s, "baseline_s": base_s, "findings": findings,
            "repeats": done}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    sizes = [100_000] if args.quick else [1_000_000, 3_000_000]
    world = common.world(1_000_000 if args.quick else 10_000_000)
    out: dict[str, Any] = {}
    with scratch_database() as url:
        for lines in sizes:
            print(f"audit: {lines:,} lines", file=sys.stderr)
            m = measure(url, world, lines, 3)
            label = f"{lines // 1_000_000}M" if lines >= 1_000_000 else f"{lines // 1_000}k"
            out[f"audit_e2e_{label}_lines_per_second"] = common.metric(
                m["lines"] / m["seconds"], "lines/s", m["lines"] / m["baseline_s"],
                "COPY of the same rows out of PostgreSQL (no parsing, no rules)", lines=m["lines"],
                findings=m["findings"], repeats=m["repeats"], seconds=round(m["seconds"], 2))
    out["audit_e2e_peak_rss"] = common.metric(common.peak_rss_mb(), "MB", None, "", higher_is_better=False,
                                              lines=max(sizes))
    path = common.write_results("audit", out)
    print(json.dumps(out, indent=2, ensure_ascii=False))
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
