"""bench.realtime_cpu runs the servicers on the gateway bench's check (no timing asserted)."""

from __future__ import annotations

import pytest

from bench import realtime_cpu


def test_the_bench_check_is_clean_and_every_line_is_bound() -> None:
    cases = realtime_cpu.checks(2)
    rules = realtime_cpu.rules_servicer().Evaluate(
        realtime_cpu.rules_pb2.EvaluateRequest.FromString(realtime_cpu.evaluate_request(cases)), None)  # type: ignore[arg-type]
    assert list(rules.findings) == [] and rules.catalogue_version == "sample"
    bound = realtime_cpu.registry_servicer().VerifyBindings(
        realtime_cpu.pc.VerifyBindingsRequest.FromString(realtime_cpu.bindings_request(cases)), None)  # type: ignore[arg-type]
    assert len(bound.results) == 100 and {r.status for r in bound.results} == {realtime_cpu.pc.BINDING_STATUS_VALID}


def test_main_prints_alone_and_gathered(capsys: pytest.CaptureFixture[str]) -> None:
    assert realtime_cpu.main(["--rounds", "1", "--calls", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split(" {")[0] for line in out] == ["3101", "3101 gathered 8 to a call"]
