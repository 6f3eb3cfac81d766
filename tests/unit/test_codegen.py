from pathlib import Path

from fundguard import codegen


def test_regenerating_the_contracts_changes_nothing(tmp_path: Path) -> None:
    written = codegen.generate(tmp_path)
    assert written, "no contracts found"
    for fresh in written:
        committed = codegen.ROOT / fresh.relative_to(tmp_path)
        assert committed.exists(), f"{committed} is missing: run `make proto`"
        assert committed.read_bytes() == fresh.read_bytes(), f"{committed} is stale: run `make proto`"
