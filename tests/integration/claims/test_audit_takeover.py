"""A worker whose run's checkpoint moves under it (another replica took the run over) rolls its
chunk back and stops, leaving the run to the other worker: no failure, no findings twice."""

from __future__ import annotations

import uuid

import grpc
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from fundguard.claims.v1 import claims_pb2
from fundguard.common.v1 import common_pb2
from fundguard.physician_codes.v1 import physician_codes_pb2_grpc
from fundguard.rules.v1 import rules_pb2_grpc
from services.claims.audit import AuditRunner
from services.claims.domain.model import FindingRecord
from services.claims.ingestion import Ingestion
from services.claims.store.tables import audit_runs


def test_a_worker_that_lost_its_run_stops_without_failing_it(engine) -> None:
    tag = uuid.uuid4().hex[:8]
    Ingestion(engine).upload([claims_pb2.UploadFeeDetailsRequest(institution_code="H32118100064", details=[
        claims_pb2.FeeDetail(detail_sn="1", encounter_id=f"T{tag}", patient_id=f"PT{tag}",
                             occurred_at="2029-02-03 10:00:00", item_code="X", quantity="1",
                             amount=common_pb2.Money(amount="5.00"))])])
    run_id = uuid.uuid4().hex
    with engine.begin() as conn:
        conn.execute(insert(audit_runs).values(run_id=run_id, period="2029-02", state="running", lines_total=-1))
    with grpc.insecure_channel("127.0.0.1:9") as nowhere:
        runner = AuditRunner(engine, rules_pb2_grpc.RulesServiceStub(nowhere),
                             physician_codes_pb2_grpc.PhysicianCodesServiceStub(nowhere))

        def judge_while_another_worker_moves_on(cases, judged, version):  # type: ignore[no-untyped-def]
            with engine.begin() as conn:  # the other worker commits its chunk first
                conn.execute(sa.update(audit_runs).where(audit_runs.c.run_id == run_id)
                             .values(last_patient_id=f"PT{tag}", lines_done=1, chunks_done=1))
            found = FindingRecord("R-X", 1, "", "x", "A", "definite", judged[0].claim_id, judged[0].encounter_id,
                                  judged[0].patient_id, "H32118100064", "", ("1",), judged[0].lines[0].amount,
                                  "", "", "{}", None)
            return [found], "v1"

        runner._judge = judge_while_another_worker_moves_on  # type: ignore[method-assign]
        runner._work(run_id)
        runner.stop()
    with engine.connect() as conn:
        run = conn.execute(sa.select(audit_runs).where(audit_runs.c.run_id == run_id)).mappings().one()
        stored = conn.execute(sa.text("SELECT count(*) FROM claims.findings WHERE run_id = :r"),
                              {"r": run_id}).scalar_one()
    assert (run["state"], run["lines_done"], run["chunks_done"], run["error"]) == ("running", 1, 1, "")
    assert stored == 0  # this worker's chunk was rolled back
