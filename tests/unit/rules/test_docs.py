"""docs/rules.md stays true: every national code with a status, every template documented."""

from __future__ import annotations

import csv
from pathlib import Path

from services.rules.domain.templates import TEMPLATES
from services.rules.main import load_default_pack

ROOT = Path(__file__).resolve().parents[3]
DOC = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")


def test_every_national_code_is_listed_with_a_status() -> None:
    with (ROOT / "services" / "rules" / "packs" / "national_rules_v1.csv").open(encoding="utf-8") as f:
        codes = [row["code"] for row in csv.DictReader(f)]
    assert len(codes) == 79
    for code in codes:
        line = next((ln for ln in DOC.splitlines() if ln.startswith(f"| {code} ")), "")
        assert any(s in line for s in ("| implemented |", "| planned |", "| needs data we do not have |",
                                       "| indicator, not a rule |")), code


def test_every_implemented_code_is_in_the_default_pack() -> None:
    in_pack = {r.national_code for r in load_default_pack().rules}
    for line in DOC.splitlines():
        if "| implemented |" in line:
            assert line.split("|")[1].strip() in in_pack


def test_every_template_is_documented() -> None:
    for name in TEMPLATES:
        assert f"### `{name}`" in DOC
