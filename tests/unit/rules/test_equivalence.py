"""Property: real time (each patient alone, with their history) and bulk (all patients in one
batch, and in patient-grouped chunks) give identical findings, for random encounters and
random catalogues; and skipping templates by their probes never loses a finding."""

from __future__ import annotations

import polars as pl
from hypothesis import HealthCheck, given, settings

from fundguard.common.v1 import common_pb2
from services.rules.domain import catalogue as cat
from services.rules.domain import engine
from services.rules.servicer import batch_from_cases
from tests.unit.rules.generators import PACK, batches, catalogues


def _key(frame: pl.DataFrame) -> list[tuple[object, ...]]:
    return sorted(frame.select("rule_id", "rule_version", "claim_id", pl.col("line_ids").list.join(","),
                               pl.col("amount").cast(pl.String), "explanation", "evidence").iter_rows())


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalogue=catalogues(), cases=batches(3))
def test_real_time_and_bulk_give_identical_findings(catalogue: cat.Catalogue,
                                                    cases: tuple[common_pb2.PatientCase, ...]) -> None:
    rules = PACK.for_moment("post")
    real_time = pl.concat([engine.evaluate_frame(batch_from_cases([c]), catalogue, rules) for c in cases])
    bulk = engine.evaluate_frame(batch_from_cases(list(cases)), catalogue, rules)
    chunked = pl.concat(list(engine.evaluate_stream([batch_from_cases(list(cases[:2])), batch_from_cases(list(cases[2:]))],
                                                    catalogue, PACK, "post")))
    unprobed = engine.evaluate_frame(batch_from_cases(list(cases)), catalogue, rules, use_probes=False)
    assert _key(real_time) == _key(bulk) == _key(chunked) == _key(unprobed)
