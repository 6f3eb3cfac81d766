"""Storage for real-time analysis (3101/3102): the few statements of each request, compiled once.

A request, or a batch of them, reads twice (the stored answers of replayed request ids; the
patients' history) and writes in one transaction of two statements: patients, claims and
their order lines while rules and physician_codes answer, then findings and the analysis
records with the COMMIT (``AnalysisWrite``). Each table's rows travel
as one JSON array read back with ``json_populate_recordset`` as the table's own row type (a
claim's order lines are one row of ``claim_orders``, its lines one JSON array of arrays), so
a value is converted by the column's type exactly as a multi-row INSERT of it would be, and the SQL
text never changes with the number of rows (SQLAlchemy would otherwise compile a multi-row
VALUES statement afresh for every request). Every statement is also prepared on
the server once per connection: parsing and planning the write each time cost PostgreSQL
as much CPU as executing it.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import date
from typing import Any, cast

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY, JSON, insert
from sqlalchemy.engine import Connection, Engine

from services.claims.domain.model import ClaimRecord, FindingRecord, LineRecord, PatientRecord
from services.claims.store.tables import (
    ORDER_LINE_FIELDS,
    analyses,
    claim_orders,
    claims,
    fee_lines,
    fill_in,
    findings,
    patients,
)

# The columns each write names, as the domain records carry them (the rest take their
# server defaults, as before: received_at, created_at, state's default...).
PATIENT_COLUMNS = [f.name for f in fields(PatientRecord)]
CLAIM_COLUMNS = [f.name for f in fields(ClaimRecord) if f.name != "lines"] + ["trace_id", "traceparent"]
ORDER_COLUMNS = ["claim_id", "patient_id", "institution_code", "lines"]
# A stored order line is its LineRecord's values, in order.
assert tuple(f.name for f in fields(LineRecord)) == ORDER_LINE_FIELDS
FINDING_COLUMNS = [*(f.name for f in fields(FindingRecord)), "moment"]
ANALYSIS_COLUMNS = ["request_id", "moment", "trigger_scene", "task_id", "claim_ids", "finding_ids",
                    "requested_at", "responded_at"]


@dataclass(frozen=True)
class Prepared:
    """A statement compiled once, PREPAREd on each pooled connection the first time that
    connection runs it (the connection's ``info`` remembers; a replaced connection starts
    afresh), then EXECUTEd with its parameters. Both go through SQLAlchemy's connection, so
    the statement events (and their spans) remain."""

    name: str
    prepare: str
    execute: str
    constants: dict[str, Any]

    @classmethod
    def of(cls, name: str, stmt: sa.Executable) -> Prepared:
        compiled = stmt.compile(dialect=postgresql.psycopg2.dialect())  # type: ignore[attr-defined]
        sql = str(compiled)
        assert "%%" not in sql  # PREPARE is sent without parameters: no %-escapes to undo
        order: list[str] = []

        def numbered(m: re.Match[str]) -> str:
            if m.group(1) not in order:
                order.append(m.group(1))
            return f"${order.index(m.group(1)) + 1}"

        body = re.sub(r"%\((\w+)\)s", numbered, sql)
        return cls(name, f"PREPARE {name} AS {body}", f"EXECUTE {name}({', '.join(f'%({n})s' for n in order)})",
                   {k: v for k, v in compiled.params.items() if v is not None})

    def run(self, conn: Connection, params: dict[str, Any], before: str = "", after: str = "") -> sa.CursorResult[Any]:
        """EXECUTE, with ``before`` and ``after`` (whole statements: BEGIN, COMMIT) sent in the
        same round trip."""
        prepared = conn.connection.info.setdefault("claims.prepared", set())
        if self.name not in prepared:
            conn.exec_driver_sql(self.prepare)
            prepared.add(self.name)
        return conn.exec_driver_sql(f"{before}{self.execute}{after}", {**self.constants, **params})


def _json_rows(table: sa.Table, param: str, columns: Sequence[str]) -> sa.Select[Any]:
    """The rows of a JSON array parameter, typed as ``table``'s rows."""
    for c in columns:
        assert c in table.c, f"{table.name} has no column {c}"
    # json, not jsonb: parsed once as it is read, without building a jsonb value first.
    rows = sa.func.json_populate_recordset(
        sa.literal_column(f"NULL::{table.fullname}"), sa.cast(sa.bindparam(param, type_=sa.Text), JSON),
    ).table_valued(*columns, name=f"new_{table.name}")
    return sa.select(*(rows.c[c] for c in columns))


def _seen() -> Prepared:
    """The first statement of a batch's write: what its checks saw (patients, claims, order
    lines), sent while rules and physician_codes are still answering."""
    new_patients = insert(patients).from_select(PATIENT_COLUMNS, _json_rows(patients, "patients", PATIENT_COLUMNS))
    new_patients = new_patients.on_conflict_do_update(
        index_elements=[patients.c.patient_id],
        set_=fill_in(patients, new_patients.excluded, ("name", "gender", "birth_date", "death_date", "insurance_type")),
    )
    new_claims = insert(claims).from_select(CLAIM_COLUMNS, _json_rows(claims, "claims", CLAIM_COLUMNS))
    # A claim keeps the trace it first arrived with; everything else follows the upload.
    keep = {"claim_id", "trace_id", "traceparent", "received_at", "invoice_no"}
    new_claims = new_claims.on_conflict_do_update(
        index_elements=[claims.c.claim_id],
        set_=fill_in(claims, new_claims.excluded, [c.name for c in claims.columns if c.name not in keep]),
    )
    new_orders = insert(claim_orders).from_select(ORDER_COLUMNS, _json_rows(claim_orders, "orders", ORDER_COLUMNS))
    # Orders may still change before settlement: a line sent again replaces the stored one
    # (by line id), lines not sent again stay.
    merged = sa.literal_column(
        "(SELECT json_agg(merged.line) FROM ("
        "SELECT line FROM json_array_elements(excluded.lines) AS line UNION ALL "
        f"SELECT line FROM json_array_elements({claim_orders.fullname}.lines) AS line "
        "WHERE line ->> 0 NOT IN (SELECT sent ->> 0 FROM json_array_elements(excluded.lines) AS sent)"
        ") AS merged)", JSON)
    new_orders = new_orders.on_conflict_do_update(
        index_elements=[claim_orders.c.claim_id],
        set_={"patient_id": new_orders.excluded.patient_id,
              "institution_code": new_orders.excluded.institution_code, "lines": merged},
    )
    # Data-modifying CTEs all run, referenced or not.
    return Prepared.of("claims_record_seen", new_orders.add_cte(new_patients.cte("saved_patients"),
                                                                new_claims.cte("saved_claims")))


def _found() -> Prepared:
    """The second statement: what the checks found, and the answers of requests with an id."""
    new_findings = (insert(findings).from_select(FINDING_COLUMNS, _json_rows(findings, "findings", FINDING_COLUMNS))
                    .on_conflict_do_nothing(index_elements=[findings.c.finding_id]))
    # A request id answered twice at once (two gateways) keeps the first answer.
    new_analyses = (insert(analyses).from_select(ANALYSIS_COLUMNS, _json_rows(analyses, "analyses", ANALYSIS_COLUMNS))
                    .on_conflict_do_nothing(index_elements=[analyses.c.request_id]))
    return Prepared.of("claims_record_found", new_analyses.add_cte(new_findings.cte("saved_findings")))


SEEN, FOUND = _seen(), _found()


# The claim columns of a history row, in the order history_claims reads them; its line
# columns follow, in LineRecord's order.
HISTORY_HEADS = [claims.c.claim_id, claims.c.encounter_id, claims.c.institution_code, claims.c.institution_level,
                 claims.c.patient_id, claims.c.care_setting, claims.c.med_type, claims.c.admission_date,
                 claims.c.discharge_date, claims.c.doctor_code, claims.c.dept_code, claims.c.insurance_type,
                 claims.c.total_amount, claims.c.diagnoses, claims.c.procedures, claims.c.invoice_no]


def _history() -> Prepared:
    c, ln = claims.c, fee_lines.c
    # Only the line columns rules and bindings read (not extra: decoding JSON per line costs).
    lines = [ln.line_id, ln.item_code, ln.item_name, ln.item_type, ln.item_class, ln.quantity, ln.unit_price,
             ln.amount, ln.service_date, ln.dept_code, ln.doctor_code, ln.doctor_name, ln.original_line_id]
    # One statement: the patients' lines by ix_fee_lines_patient_date in the month partitions
    # the window touches, each joined to its claim by primary key.
    return Prepared.of(
        "claims_history",
        sa.select(*HISTORY_HEADS, *lines)
        .join_from(fee_lines, claims, c.claim_id == ln.claim_id)
        .where(ln.patient_id == sa.any_(sa.bindparam("patient_ids", type_=ARRAY(sa.Text))),
               ln.service_date >= sa.bindparam("since", type_=sa.Date),
               ln.service_date < sa.bindparam("until", type_=sa.Date),
               ln.claim_id != sa.all_(sa.bindparam("current", type_=ARRAY(sa.Text))))
        .order_by(c.patient_id, c.claim_id, ln.service_date, ln.line_id))


HISTORY = _history()
HEAD_FIELDS = len(HISTORY_HEADS)
STORED_ANSWERS = Prepared.of("claims_stored_answers", sa.select(
    analyses.c.request_id, analyses.c.claim_ids, analyses.c.finding_ids,
).where(analyses.c.request_id == sa.any_(sa.bindparam("request_ids", type_=ARRAY(sa.Text)))))


# msgspec writes Decimals as their exact text (never a float), dates and times in ISO form,
# and does it in C: the standard library's encoder called back into Python for every
# amount and date, ~12 % of claims' CPU on a 50-line check.
_ENCODER = msgspec.json.Encoder(decimal_format="string")


def _dumps(rows: Sequence[Any]) -> str:
    return _ENCODER.encode(rows).decode()


@contextmanager
def autocommit(engine: Engine) -> Iterator[Connection]:
    """A pooled connection whose statements each commit on their own: no BEGIN and ROLLBACK
    round trips around reads, and a single statement is its own transaction.

    psycopg2's own autocommit switch costs no round trip; SQLAlchemy's AUTOCOMMIT isolation
    level would send two SET statements per checkout (it restores READ COMMITTED explicitly).
    """
    with engine.connect() as conn:
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None
        dbapi.autocommit = True
        try:
            yield conn
        finally:
            if not dbapi.closed:  # type: ignore[attr-defined]
                dbapi.autocommit = False


def stored_answers(conn: Connection, request_ids: Sequence[str]) -> dict[str, tuple[list[str], list[str]]]:
    """For each recorded request id: the claim ids and finding ids its analysis answered."""
    if not request_ids:
        return {}
    rows = cast(Sequence[tuple[Any, ...]], STORED_ANSWERS.run(conn, {"request_ids": list(request_ids)}).all())
    return {r[0]: (list(r[1]), list(r[2])) for r in rows}


def history_claims(conn: Connection, patient_ids: Sequence[str], since: date, until: date,
                   current: Sequence[str]) -> list[ClaimRecord]:
    """The patients' claims, other than ``current``, with billed lines served in [since, until),
    with those lines; ordered by patient and claim id, each claim's lines by day and line id."""
    if not patient_ids:
        return []
    rows = cast(Sequence[tuple[Any, ...]], HISTORY.run(conn, {
        "patient_ids": list(patient_ids), "since": since, "until": until, "current": list(current)}).all())
    out: list[ClaimRecord] = []
    for r in rows:
        if not out or out[-1].claim_id != r[0]:
            out.append(ClaimRecord(
                claim_id=r[0], encounter_id=r[1], institution_code=r[2], institution_level=r[3], patient_id=r[4],
                care_setting=r[5], med_type=r[6], admission_date=r[7], discharge_date=r[8], doctor_code=r[9],
                dept_code=r[10], insurance_type=r[11], total_amount=r[12], diagnoses=list(r[13]),
                procedures=list(r[14]), lines=[], invoice_no=r[15]))
        out[-1].lines.append(LineRecord(*r[HEAD_FIELDS:]))
    return out


@dataclass(frozen=True)
class AnalysisRecord:
    """What one real-time analysis saw and found, as stored: its patients and claims (with
    the trace they arrived in), its findings and, for a request with an id, its answer."""

    people: Sequence[PatientRecord]
    records: Sequence[ClaimRecord]
    found: Sequence[FindingRecord]
    moment: str
    trace_id: str
    traceparent: str
    analysis: dict[str, Any] | None = None


class AnalysisWrite:
    """One batch's write: one transaction of two statements on ``conn`` (in autocommit, so
    the transaction is opened and committed here). ``seen`` opens it and upserts the
    patients, claims and order lines, which need nothing from rules or physician_codes and
    so can be written while they answer; ``found`` inserts the findings (a finding already
    stored is left as it is) and the analysis records of requests with an id, and commits in
    the same round trip. Leaving the block before ``found`` has committed (an exception,
    a refused check) rolls everything back: nothing of the batch is half stored. The
    analyses of a batch share no claim (the caller splits those that do)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.open = False

    def __enter__(self) -> AnalysisWrite:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.open:
            self.open = False
            try:
                self.conn.exec_driver_sql("ROLLBACK")
            except sa.exc.DBAPIError:
                # The connection is gone or broken: never back into the pool half-way.
                self.conn.invalidate()

    def seen(self, batch: Sequence[AnalysisRecord]) -> None:
        people_rows = [p.__dict__ for p in {p.patient_id: p for a in batch for p in a.people}.values()]
        claim_rows = [{k: v for k, v in r.__dict__.items() if k != "lines"}
                      | {"trace_id": a.trace_id, "traceparent": a.traceparent} for a in batch for r in a.records]
        orders = _order_rows([r for a in batch for r in a.records])
        assert not self.open, "one transaction per write"
        self.open = True  # from here on, even if the statement fails half-way
        SEEN.run(self.conn, {"patients": _dumps(people_rows), "claims": _dumps(claim_rows), "orders": _dumps(orders)},
                 before="BEGIN; ")

    def found(self, batch: Sequence[AnalysisRecord]) -> None:
        finding_rows = [{**f.__dict__, "line_ids": list(f.line_ids), "evidence": json.loads(f.evidence or "{}"),
                         "moment": a.moment} for a in batch for f in a.found]
        analysis_rows = [{k: a.analysis[k] for k in ANALYSIS_COLUMNS} for a in batch if a.analysis is not None]
        assert self.open, "seen first"
        FOUND.run(self.conn, {"findings": _dumps(finding_rows), "analyses": _dumps(analysis_rows)},
                  after="; COMMIT")
        self.open = False


def record_analyses(conn: Connection, batch: Sequence[AnalysisRecord]) -> None:
    """What the checks of ``batch`` saw and found, in one transaction (``AnalysisWrite``)."""
    with AnalysisWrite(conn) as write:
        write.seen(batch)
        write.found(batch)


_line_values = operator.attrgetter(*ORDER_LINE_FIELDS)


def _order_rows(records: Sequence[ClaimRecord]) -> list[dict[str, Any]]:
    """Each claim's order lines as its claim_orders row: the lines as arrays of values."""
    return [{"claim_id": r.claim_id, "patient_id": r.patient_id, "institution_code": r.institution_code,
             "lines": [_line_values(line) for line in r.lines]} for r in records if r.lines]
