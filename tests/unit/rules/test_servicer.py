"""The rules servicer without a database: reading a request into plain rows (values shared by
many lines are parsed once, yet every malformed field is still named where it occurs), and the
catalogue versions a replica keeps."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from fundguard.rules.v1 import rules_pb2
from fundguard.runtime.errors import InvalidArgument
from services.rules.domain import catalogue as cat
from services.rules.main import load_default_pack
from services.rules.servicer import RulesServicer, rows_from_cases
from tests.unit.rules.scenarios import CATALOGUE_DIR, case, enc, line


def test_a_malformed_value_is_named_at_every_field_that_carries_it_in_order() -> None:
    bad = [line("A", lid="1"), line("B", lid="2"), line("C", day="2026-13-01", lid="3"),
           line("D", day="2026-13-01", lid="4")]
    for x in bad[:3]:
        x.quantity = "x"
    history = enc("H1", [line("E", lid="5", day="", amount="inf")], adm="2026-13-01")
    with pytest.raises(InvalidArgument) as caught:
        rows_from_cases([case([enc("E1", bad)], history=[history])])
    assert [(v.field, v.reason) for v in caught.value.violations] == [
        ("cases[0].encounters[0].lines[0].quantity", "must be a decimal number, got 'x'"),
        ("cases[0].encounters[0].lines[1].quantity", "must be a decimal number, got 'x'"),
        ("cases[0].encounters[0].lines[2].quantity", "must be a decimal number, got 'x'"),
        ("cases[0].encounters[0].lines[2].service_date", "must be a date YYYY-MM-DD, got '2026-13-01'"),
        ("cases[0].encounters[0].lines[3].service_date", "must be a date YYYY-MM-DD, got '2026-13-01'"),
        ("cases[0].history[0].admission_date", "must be a date YYYY-MM-DD, got '2026-13-01'"),
        ("cases[0].history[0].lines[0].amount", "must be a finite decimal number, got 'inf'"),
        ("cases[0].history[0].lines[0].service_date", "required"),
    ]


def test_lines_sharing_a_value_share_its_parsed_object() -> None:
    rows = rows_from_cases([case([enc("E1", [line("A", lid="1", day="2026-11-01"), line("B", lid="2", day="2026-11-01T08:00:00")])])])
    first, second = rows.lines
    assert first["unit_price"] is second["unit_price"] and first["unit_price"] == Decimal("10.00")
    assert first["quantity"] is second["quantity"]
    assert first["service_date"] == second["service_date"] == date(2026, 11, 1)


class MemoryCatalogues:
    """CatalogueStore's interface over a dict."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[str, dict[str, str]]] = {}

    def save(self, catalogue: cat.Catalogue, files: dict[str, str], request_id: str) -> bool:
        if catalogue.version in self.files:
            return False
        self.files[catalogue.version] = (catalogue.effective_from, files)
        return True

    def all(self) -> list[cat.Catalogue]:
        return [cat.parse(v, eff, files) for v, (eff, files) in sorted(self.files.items(), key=lambda kv: kv[1][0])]


def test_a_replica_keeps_each_catalogue_version_once() -> None:
    """The first load of a fresh replica reads the store after saving, so the new version is
    already there: kept twice, every request would look up its cases' dates for nothing."""
    servicer = RulesServicer(MemoryCatalogues(), load_default_pack())  # type: ignore[arg-type]
    files = cat.read_folder(CATALOGUE_DIR)
    for version, since in (("v1", "2024-01-01"), ("v1", "2024-01-01"), ("v2", "2026-01-01")):
        servicer.LoadCatalogue(rules_pb2.LoadCatalogueRequest(version=version, effective_from=since, files=files),
                               None)  # type: ignore[arg-type]
    assert [c.version for c in servicer.active.catalogues] == ["v1", "v2"]
