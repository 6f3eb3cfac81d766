"""`fundguard generate` and the benchmark runner's bookkeeping (no timing asserted)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bench import run
from fundguard.cli import main


def test_generate_command_writes_a_world(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "w"
    code = main(["generate", "--seed", "9", "--institutions", "10", "--people", "60", "--months", "2",
                 "--out", str(out), "--rate", "R-DRUG-SEX=0.5", "--national", "sample", "--quiet"])
    assert code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["rates"]["R-DRUG-SEX"] == 0.5
    assert manifest["config"]["people"] == 60 and manifest["totals"]["patients"] == 60
    for f in ("registry/institutions.csv", "registry/staff.csv", "registry/registrations.csv",
              "registry/sanctions.csv", "catalogue/items.csv", "ground_truth/violations.csv",
              "ground_truth/actors.csv", "parquet/lines/part-00000.parquet"):
        assert (out / f).exists(), f
    assert not (out / "national" / "2204").exists() or not any((out / "national" / "2204").iterdir())
    assert "60 patients" in capsys.readouterr().out


def test_generate_command_rejects_unknown_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["generate", "--out", str(tmp_path), "--rate", "R-NO-SUCH=0.1"])
    assert "R-NO-SUCH" in capsys.readouterr().err


def test_clean_flag_turns_everything_off(tmp_path: Path) -> None:
    out = tmp_path / "c"
    assert main(["generate", "--people", "40", "--months", "2", "--institutions", "8", "--clean",
                 "--national", "none", "--quiet", "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["config"]["rates"].values()) == {0.0} and manifest["config"]["fraud"] is False
    assert (out / "ground_truth" / "violations.csv").read_text().count("\n") == 1


def test_summary_table_replaces_only_its_own_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = tmp_path / "benchmarks.md"
    docs.write_text("# Benchmarks\n\nintro\n\n## claims\n\nhand-written claims text\n")
    monkeypatch.setattr(run, "DOCS", docs)
    metrics = [{"area": "claims", "name": "ingest", "value": 5.0, "unit": "lines/s", "baseline": 8.0,
                "ratio": 0.625, "baseline_name": "COPY", "machine": "m"}]
    run.update_docs(run.table(metrics, [], "quick", "now"))
    first = docs.read_text()
    assert "| claims | ingest | 5.000 | lines/s | 8.000 | 0.625 | COPY |" in first
    assert first.index(run.BEGIN) < first.index("## claims") and "hand-written claims text" in first
    metrics[0]["value"] = 6.0
    run.update_docs(run.table(metrics, [{"module": "gateway_x", "ok": False, "note": "exit 1"}], "full", "later"))
    second = docs.read_text()
    assert second.count(run.BEGIN) == 1 and "| 6.000 |" in second and "| 5.000 |" not in second
    assert "bench.gateway_x: exit 1" in second and "hand-written claims text" in second


def test_results_files_of_either_shape_are_collected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run.common, "RESULTS", tmp_path)
    (tmp_path / "claims.json").write_text(json.dumps({"ingest": {"value": 1, "unit": "lines/s"}}))
    (tmp_path / "gateway.json").write_text(json.dumps({"metrics": [{"name": "p99", "value": 2, "unit": "ms"}]}))
    (tmp_path / "broken.json").write_text("{")
    (tmp_path / "engine.json").write_text(json.dumps({"rules_bulk_10M_failed": {"note": "killed", "exit": -9}}))
    got = run.collect()
    assert sorted((m["area"], m["name"]) for m in got["metrics"] if not m.get("failed")) == [
        ("claims", "ingest"), ("gateway", "p99")]
    assert "engine rules_bulk_10M_failed: killed" in run.table(got["metrics"], [], "full", "now")
    assert "error" in got["areas"]["broken"]
    assert not any(m.get("stale") for m in got["metrics"])
    later = run.collect(since=(tmp_path / "claims.json").stat().st_mtime + 60)
    assert all(m["stale"] for m in later["metrics"])  # files not written by this run are flagged
    assert "(earlier run)" in run.table(later["metrics"], [], "quick", "now")


def test_runner_finds_other_areas_runnable_modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "claims_ingest.py").write_text('if __name__ == "__main__":\n    pass\n')
    (tmp_path / "rules_data.py").write_text("X = 1\n")  # a data builder, not a bench
    (tmp_path / "other_thing.py").write_text('if __name__ == "__main__":\n    pass\n')
    monkeypatch.setattr(run.common, "BENCH", tmp_path)
    assert run.modules() == [*run.OWN, "claims_ingest"]


def test_machine_speed_times_the_workload_alone_and_on_every_core() -> None:
    from bench.common import machine_speed

    speed = machine_speed(rounds=1)
    assert speed["cores"] == (os.cpu_count() or 1)
    assert 0 < speed["one_process_ms"] < 60_000 and 0 < speed["one_process_per_core_ms"] < 60_000
