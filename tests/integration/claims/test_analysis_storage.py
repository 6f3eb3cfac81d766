"""The real-time analysis store (3101/3102): one statement writes exactly the rows that one
multi-row INSERT per table wrote before, and one query reads exactly the history that the
audit's loader reads."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection, Engine

from fundguard.runtime import migrations
from fundguard.runtime.db import create_engine
from services.claims.domain.model import ClaimRecord, FindingRecord, LineRecord, PatientRecord
from services.claims.store import analyses as store
from services.claims.store.repository import ClaimsStore, load_patient_claims
from services.claims.store.tables import (
    analyses,
    claim_orders,
    claims,
    fee_lines,
    fill_in,
    findings,
    order_lines,
    patients,
)

SERVER_CLOCK = {"received_at", "created_at"}  # now() of the writing transaction


@pytest.fixture(scope="module")
def own_url(own_database_url: str) -> str:
    """A database of this module's own: its billed lines must not reach other tests' audits."""
    migrations.upgrade_all(own_database_url)
    return own_database_url


@pytest.fixture()
def engine(own_url: str) -> Iterator[Engine]:
    eng = create_engine(own_url)
    yield eng
    eng.dispose()


# -- plain statements, one per table: the reference the stored rows must match -----------

def reference_write(conn: Connection, people: Sequence[PatientRecord], records: Sequence[ClaimRecord],
                    found: Sequence[FindingRecord], moment: str, trace_id: str, traceparent: str,
                    analysis: dict[str, Any] | None) -> None:
    if people:
        rows = [p.__dict__ for p in {p.patient_id: p for p in people}.values()]
        stmt = insert(patients).values(rows)
        conn.execute(stmt.on_conflict_do_update(
            index_elements=[patients.c.patient_id],
            set_=fill_in(patients, stmt.excluded, ("name", "gender", "birth_date", "death_date", "insurance_type"))))
    claim_rows = [{k: v for k, v in r.__dict__.items() if k != "lines"}
                  | {"trace_id": trace_id, "traceparent": traceparent} for r in records]
    stmt = insert(claims).values(claim_rows)
    keep = {"claim_id", "trace_id", "traceparent", "received_at", "invoice_no"}
    conn.execute(stmt.on_conflict_do_update(
        index_elements=[claims.c.claim_id],
        set_=fill_in(claims, stmt.excluded, [c.name for c in claims.columns if c.name not in keep])))
    for r in records:
        # A claim's order lines: those sent, then the stored ones not sent again (by line id).
        if not r.lines:
            continue
        sent = [[ln.line_id, ln.item_code, ln.item_name, ln.item_type, ln.item_class, str(ln.quantity),
                 None if ln.unit_price is None else str(ln.unit_price), str(ln.amount), ln.service_date.isoformat(),
                 ln.dept_code, ln.doctor_code, ln.doctor_name, ln.original_line_id] for ln in r.lines]
        stored = conn.execute(sa.select(claim_orders.c.lines).where(claim_orders.c.claim_id == r.claim_id)).scalar()
        sent_ids = {ln[0] for ln in sent}
        stmt = insert(claim_orders).values(claim_id=r.claim_id, patient_id=r.patient_id,
                                           institution_code=r.institution_code,
                                           lines=sent + [ln for ln in stored or [] if ln[0] not in sent_ids])
        conn.execute(stmt.on_conflict_do_update(index_elements=[claim_orders.c.claim_id], set_={
            k: stmt.excluded[k] for k in ("patient_id", "institution_code", "lines")}))
    if found:
        rows = [{**f.__dict__, "line_ids": list(f.line_ids), "evidence": json.loads(f.evidence or "{}"),
                 "moment": moment} for f in found]
        conn.execute(insert(findings).values(rows).on_conflict_do_nothing(index_elements=[findings.c.finding_id]))
    if analysis is not None:
        conn.execute(insert(analyses).values(**analysis).on_conflict_do_nothing(
            index_elements=[analyses.c.request_id]))


# -- data -----------------------------------------------------------------------------------

def line(line_id: str, **kw: Any) -> LineRecord:
    base: dict[str, Any] = dict(line_id=line_id, item_code="250305011", item_name="前列腺特异性抗原（PSA）测定",
                                item_type="201", item_class="", quantity=Decimal("1"), unit_price=Decimal("68.00"),
                                amount=Decimal("68.00"), service_date=date(2026, 11, 3), dept_code="A03",
                                doctor_code="D32118100101", doctor_name="张三", original_line_id="")
    return LineRecord(**(base | kw))


def claim(claim_id: str, patient_id: str, lines: list[LineRecord], **kw: Any) -> ClaimRecord:
    base: dict[str, Any] = dict(
        claim_id=claim_id, encounter_id=claim_id.split("-", 1)[1], institution_code="H32118100064",
        institution_level="3", patient_id=patient_id, care_setting="1", med_type="11",
        admission_date=date(2026, 11, 3), discharge_date=None, doctor_code="D32118100101", dept_code="A03",
        insurance_type="310", total_amount=Decimal("136.00"),
        diagnoses=[{"code": "N40.x00", "name": "前列腺增生", "main": True}], procedures=[], lines=lines)
    return ClaimRecord(**(base | kw))


def finding(c: ClaimRecord, rule_id: str, line_ids: tuple[str, ...], evidence: str, **kw: Any) -> FindingRecord:
    base: dict[str, Any] = dict(
        rule_id=rule_id, rule_version=3, national_code="", rule_name="限性别项目", tier="A", result_type="definite",
        claim_id=c.claim_id, encounter_id=c.encounter_id, patient_id=c.patient_id,
        institution_code=c.institution_code, doctor_code="D32118100101", line_ids=line_ids,
        amount=Decimal("68.00"), explanation="女性患者开具男性专用项目", basis="《条例》第十五条",
        evidence=evidence, service_date=date(2026, 11, 3))
    return FindingRecord(**(base | kw)).with_id(f"scope-{c.claim_id}")


def snapshot(conn: Connection, people: Sequence[str], claim_ids: Sequence[str], finding_ids: Sequence[str],
             request_id: str, earlier: datetime | None = None) -> dict[str, list[dict[str, Any]]]:
    """The rows, with the server's clock columns as "earlier" (kept from the transaction that
    committed at ``earlier``) or "now" (set by the write being compared)."""
    def rows(table: sa.Table, where: Any, order: Any) -> list[dict[str, Any]]:
        got = [dict(r) for r in conn.execute(sa.select(table).where(where).order_by(*order)).mappings()]
        for r in got:
            for col in SERVER_CLOCK & set(r):
                assert r[col] is not None
                r[col] = "earlier" if r[col] == earlier else "now"
        return got

    return {
        "patients": rows(patients, patients.c.patient_id.in_(people), [patients.c.patient_id]),
        "claims": rows(claims, claims.c.claim_id.in_(claim_ids), [claims.c.claim_id]),
        "order_lines": rows(order_lines, order_lines.c.claim_id.in_(claim_ids),
                            [order_lines.c.claim_id, order_lines.c.line_id]),
        "findings": rows(findings, findings.c.finding_id.in_(finding_ids), [findings.c.finding_id]),
        "analyses": rows(analyses, analyses.c.request_id == request_id, [analyses.c.request_id]),
    }


@pytest.mark.parametrize("with_request_id", [True, False])
def test_one_statement_stores_the_rows_one_insert_per_table_stored(engine: Engine, with_request_id: bool) -> None:
    tag = uuid.uuid4().hex[:8]
    p1, p2 = f"P1-{tag}", f"P2-{tag}"
    c1, c2, c3 = f"H32118100064-E1{tag}", f"H32118100064-E2{tag}", f"H32118100064-E3{tag}"
    # Already stored: a richer patient and claim (blanks must not erase them), an order line
    # the new request changes, a finding the new request finds again, the analysis itself.
    before_people = [PatientRecord(p1, "李四", "2", date(1979, 12, 3), None, "310")]
    # (line 7 is not sent again: it stays as stored)
    before = [claim(c1, p1, [line("1", quantity=Decimal("2")), line("7")], invoice_no="INV-1", med_type="14",
                    diagnoses=[{"code": "I10", "name": "高血压", "main": True}])]
    old_finding = finding(before[0], "R-SERVICE-SEX", ("1",), '{"sex": "2"}', explanation="stored first")
    request_id = f"msg-{tag}" if with_request_id else ""
    with engine.begin() as conn:
        earlier = conn.execute(sa.select(sa.func.now())).scalar_one()
        reference_write(conn, before_people, before, [old_finding], "pre", "a" * 32, "00-" + "a" * 32 + "-" +
                        "b" * 16 + "-01", {"request_id": f"other-{tag}", "moment": "pre", "trigger_scene": "",
                                           "task_id": "", "claim_ids": [c1], "finding_ids": [old_finding.finding_id],
                                           "requested_at": datetime.now(UTC), "responded_at": datetime.now(UTC)})

    people = [PatientRecord(p1, "", "", None, None, ""),  # named only: keeps what is stored
              PatientRecord(p2, "王五 \"引号\" \\ '单引号'", "1", date(1950, 1, 31), date(2026, 11, 30), "390"),
              PatientRecord(p1, "", "2", None, None, "")]  # the same patient twice: the last one counts
    records = [
        claim(c1, p1, [line("1", quantity=Decimal("1.00005"), amount=Decimal("-68.005"), unit_price=None),
                       line("2", item_name="", doctor_code="", service_date=date(2026, 12, 1),
                            quantity=Decimal("1E+2"), amount=Decimal("6800"))],
              institution_level="", med_type="", diagnoses=[], total_amount=None, admission_date=None,
              invoice_no="INV-changed"),  # an invoice number is never changed by an order check
        claim(c2, p2, [], care_setting="2", discharge_date=date(2026, 11, 9),
              procedures=[{"code": "88.7601", "name": "腹部超声", "main": False}]),
        claim(c3, p1, [line(str(i), original_line_id=str(i - 1) if i > 1 else "") for i in range(1, 51)],
              invoice_no="INV-new-is-kept-out"),
    ]
    found = [
        finding(records[0], "R-SERVICE-SEX", ("1",), '{"sex": "2"}', explanation="found again"),  # stored already
        finding(records[0], "R-PRICE-CEILING", ("2", "1"), '{"ceiling": 60.50, "price": 68.0, "n": [1, 2.50, '
                '1e2], "nested": {"中文": null, "flag": true}}', amount=Decimal("8.005"), service_date=None),
        finding(records[2], "R-DOCTOR-BINDING", tuple(str(i) for i in range(1, 51)), "", doctor_code=""),
    ]
    trace_id, traceparent = "c" * 32, "00-" + "c" * 32 + "-" + "d" * 16 + "-01"
    now = datetime.now(UTC)
    analysis = {"request_id": request_id, "moment": "in", "trigger_scene": "2", "task_id": "T1",
                "claim_ids": [c1, c2, c3], "finding_ids": [f.finding_id for f in found],
                "requested_at": now, "responded_at": datetime.now(UTC)} if with_request_id else None
    keys = ([p1, p2], [c1, c2, c3], [f.finding_id for f in found], request_id, earlier)

    with engine.connect() as conn:
        tx = conn.begin()
        reference_write(conn, people, records, found, "in", trace_id, traceparent, analysis)
        expected = snapshot(conn, *keys)
        tx.rollback()
    with store.autocommit(engine) as conn:
        store.record_analyses(conn, [store.AnalysisRecord(people, records, found, "in", trace_id, traceparent,
                                                          analysis)])
    with engine.connect() as conn:
        got = snapshot(conn, *keys)
    assert got == expected
    assert len(got["order_lines"]) == 53 and len(got["findings"]) == 3
    assert [(r["line_id"], str(r["quantity"])) for r in got["order_lines"] if r["claim_id"] == c1] == [
        ("1", "1.0001"), ("2", "100.0000"), ("7", "1.0000")]
    assert got["claims"][0]["trace_id"] == "a" * 32  # the first trace is kept
    assert (got["claims"][0]["invoice_no"], got["claims"][0]["received_at"]) == ("INV-1", "earlier")
    assert [f["explanation"] for f in got["findings"] if f["finding_id"] == old_finding.finding_id] == ["stored first"]


def test_a_batch_of_analyses_stores_what_each_alone_stored(engine: Engine) -> None:
    """Three analyses in one statement (two with request ids, one without; each in its own
    trace) leave exactly the rows that writing each on its own leaves."""
    tag = uuid.uuid4().hex[:8]
    now = datetime.now(UTC)
    batch = []
    for n in range(3):
        pid, cid = f"PB{n}-{tag}", f"H32118100064-B{n}{tag}"
        c = claim(cid, pid, [line(str(i), amount=Decimal(f"{n}.{i}5")) for i in range(1, 4)])
        found = [finding(c, "R-SERVICE-SEX", ("1",), '{"sex": "2"}'), finding(c, "R-PRICE-CEILING", ("2", "3"), "")]
        request_id = f"msg-{n}-{tag}" if n != 1 else ""
        analysis = {"request_id": request_id, "moment": "pre", "trigger_scene": "1", "task_id": f"T{n}",
                    "claim_ids": [cid], "finding_ids": [f.finding_id for f in found], "requested_at": now,
                    "responded_at": now} if request_id else None
        batch.append(store.AnalysisRecord([PatientRecord(pid, "", "1", date(1960, 1, n + 1), None, "310")], [c],
                                          found, "pre", f"{n}" * 32, "00-" + f"{n}" * 32 + "-" + "e" * 16 + "-01",
                                          analysis))
    keys = ([a.people[0].patient_id for a in batch], [a.records[0].claim_id for a in batch],
            [f.finding_id for a in batch for f in a.found])
    expected = []
    with engine.connect() as conn:
        tx = conn.begin()
        for a in batch:
            reference_write(conn, a.people, a.records, a.found, a.moment, a.trace_id, a.traceparent, a.analysis)
        expected = [snapshot(conn, *keys, a.analysis["request_id"] if a.analysis else "") for a in batch]
        tx.rollback()
    with store.autocommit(engine) as conn:
        store.record_analyses(conn, batch)
    with engine.connect() as conn:
        got = [snapshot(conn, *keys, a.analysis["request_id"] if a.analysis else "") for a in batch]
    assert got == expected
    assert len(got[0]["claims"]) == 3 and len(got[0]["findings"]) == 6 and len(got[0]["analyses"]) == 1
    assert [c["trace_id"] for c in got[0]["claims"]] == ["0" * 32, "1" * 32, "2" * 32]


def test_a_finding_on_a_claim_not_written_fails_the_whole_write(engine: Engine) -> None:
    """The foreign key refuses the findings' statement, and the claims written by the first
    statement of the same transaction are rolled back with it: nothing is half stored."""
    tag = uuid.uuid4().hex[:8]
    records = [claim(f"H32118100064-F{tag}", f"P-{tag}", [line("1")])]
    orphan = finding(claim(f"H32118100064-nowhere{tag}", f"P-{tag}", []), "R-X", ("1",), "{}")
    with pytest.raises(sa.exc.IntegrityError), store.autocommit(engine) as conn:
        store.record_analyses(conn, [store.AnalysisRecord(
            [PatientRecord(f"P-{tag}", "", "", None, None, "")], records, [orphan], "pre", "", "")])
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).where(claims.c.claim_id == records[0].claim_id)).scalar() == 0


def test_a_write_left_before_its_findings_stores_nothing_and_gives_back_a_clean_connection(own_url: str) -> None:
    """What the checks saw is written while rules answer; if the batch then fails, the
    transaction is rolled back and the pooled connection is out of it, so the next user of
    that connection commits nothing of it."""
    import psycopg2.extensions

    engine = create_engine(own_url, pool_size=1, max_overflow=0)
    tag = uuid.uuid4().hex[:8]
    records = [claim(f"H32118100064-R{tag}", f"P-{tag}", [line("1")])]
    seen = store.AnalysisRecord([PatientRecord(f"P-{tag}", "", "", None, None, "")], records, [], "pre", "", "")
    try:
        with pytest.raises(RuntimeError), store.autocommit(engine) as conn, store.AnalysisWrite(conn) as write:
            write.seen([seen])
            raise RuntimeError("rules refused a check")
        with store.autocommit(engine) as conn:  # the same pooled connection (pool of one)
            dbapi = conn.connection.dbapi_connection
            assert dbapi is not None
            assert dbapi.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_IDLE
            other = [claim(f"H32118100064-S{tag}", f"Q-{tag}", [line("1")])]
            store.record_analyses(conn, [store.AnalysisRecord(
                [PatientRecord(f"Q-{tag}", "", "", None, None, "")], other, [], "pre", "", "")])
        with engine.connect() as conn:
            stored = conn.execute(sa.select(claims.c.claim_id).where(claims.c.claim_id.like(f"%{tag}"))).scalars()
            assert list(stored) == [f"H32118100064-S{tag}"]
    finally:
        engine.dispose()


def test_history_is_what_the_audit_loader_reads_less_the_claims_being_analysed(engine: Engine) -> None:
    tag = uuid.uuid4().hex[:8]
    ClaimsStore(engine).partitions.ensure(["2027-01", "2027-02", "2027-03", "2027-04"])
    patients_ = [f"HA-{tag}", f"HB-{tag}", f"HC-{tag}"]
    heads, lines = [], []
    for pi, pid in enumerate(patients_):
        for ci in range(3):
            cid = f"H3211810006{ci}-{pid}-{ci}"
            heads.append({"claim_id": cid, "encounter_id": f"{pid}-{ci}", "institution_code": f"H3211810006{ci}",
                          "patient_id": pid, "care_setting": "1", "invoice_no": f"INV-{ci}",
                          "diagnoses": [{"code": f"D{ci}", "name": "诊断", "main": True}],
                          "total_amount": Decimal("12.30") if ci else None})
            for li, day in enumerate([date(2027, 1, 31), date(2027, 2, 1 + pi), date(2027, 3, 30), date(2027, 4, 2)]):
                for sn in ("2", "10"):
                    lines.append({"claim_id": cid, "line_id": f"{li}-{sn}", "service_date": day, "patient_id": pid,
                                  "institution_code": f"H3211810006{ci}", "item_code": "110200001",
                                  "quantity": Decimal("1.5"), "unit_price": None if li else Decimal("8.2"),
                                  "amount": Decimal(f"-{li}.10") if sn == "10" else Decimal("8.00"),
                                  "doctor_code": "D1", "extra": {"x": 1}})
    with engine.begin() as conn:
        conn.execute(insert(claims), heads)
        conn.execute(insert(fee_lines), lines)
    current = [f"H32118100061-{patients_[0]}-1", "not-stored"]
    since, until = date(2027, 2, 1), date(2027, 4, 2)
    with engine.connect() as conn:
        _, everything = load_patient_claims(conn, sorted(patients_[:2]), since, until)
        expected = [c for c in everything if c.claim_id not in current]
        got = store.history_claims(conn, sorted(patients_[:2]), since, until, current)
        assert store.history_claims(conn, [], since, until, current) == []
    assert got == expected
    assert len(got) == 5 and all(len(c.lines) == 4 for c in got)  # two days in the window, two lines each


def test_the_write_is_prepared_once_per_connection(own_url: str) -> None:
    engine = create_engine(own_url, pool_size=1, max_overflow=0)
    try:
        for n in range(3):  # the same pooled connection each time: PREPARE the first time only
            tag = uuid.uuid4().hex[:8]
            records = [claim(f"H32118100064-W{tag}", f"P-{tag}", [line("1")])]
            with store.autocommit(engine) as conn:
                store.record_analyses(conn, [store.AnalysisRecord(
                    [PatientRecord(f"P-{tag}", "", "", None, None, "")], records, [], "pre", "", "")])
                prepared = conn.exec_driver_sql("SELECT name FROM pg_prepared_statements").scalars().all()
                assert sorted(prepared) == sorted([store.SEEN.name, store.FOUND.name])
            with engine.connect() as conn:
                assert conn.execute(sa.select(sa.func.count()).where(order_lines.c.claim_id == records[0].claim_id)
                                    ).scalar() == 1
            if n == 1:
                engine.dispose()  # a new connection prepares it again
    finally:
        engine.dispose()
