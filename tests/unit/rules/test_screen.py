"""The real-time screen (services/rules/domain/screen.py): running only the rules it lets through
gives exactly the findings of running every template, for random batches, catalogues and rule
periods; the random batches make most templates fire; and a clean encounter passes no rule."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings

from bench.gateway_latency import encounter_50_lines
from fundguard.common.v1 import common_pb2
from gateway import national
from services.rules.domain import catalogue as cat
from services.rules.domain import engine, screen
from services.rules.domain.model import Finding, Rows
from services.rules.domain.rulepack import Rule
from services.rules.domain.templates import TEMPLATES
from services.rules.main import load_default_pack
from services.rules.servicer import rows_from_cases
from tests.unit.rules.generators import FILES, PACK, batches, catalogues, rule_sets
from tests.unit.rules.scenarios import CATALOGUE_DIR, SCENARIOS, Scenario, case, enc, line

CATALOGUE = cat.parse("test", "2024-01-01", cat.read_folder(CATALOGUE_DIR))
RULES = PACK.for_moment("post")
BY_ID = {r.rule_id: r for r in RULES}


def _rows(frame: pl.DataFrame) -> list[tuple[object, ...]]:
    return sorted(frame.with_columns(pl.col("line_ids").list.join(","), pl.col("amount").cast(pl.String),
                                     pl.col("service_date").cast(pl.String)).rows())


def _sorted(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.claim_id, f.rule_id, f.rule_version, f.line_ids, f.explanation, f.evidence))


def _compare(catalogue: cat.Catalogue, cases: tuple[common_pb2.PatientCase, ...] | list[common_pb2.PatientCase],
             rules: list[Rule]) -> tuple[set[str], set[str]]:
    """Screened findings must equal every template's; answers the rules that found something
    and the rules that passed the screen."""
    rows = rows_from_cases(list(cases))
    want = engine.evaluate_frame(rows.batch(), catalogue, rules, use_probes=False)
    checked = screen.Screen.of(rows, catalogue)
    assert checked is not None
    passed = checked.passing(rules)
    got = engine.evaluate_frame(rows.batch(), catalogue, passed, screened=True)
    # Order within one claim and rule follows the templates' unordered group-bys, as today.
    assert _rows(got) == _rows(want)
    return set(want["rule_id"]), {r.rule_id for r in passed}


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalogue=catalogues(), cases=batches(3), rules=rule_sets())
def test_screened_path_gives_the_findings_of_every_template(catalogue: cat.Catalogue,
                                                            cases: tuple[common_pb2.PatientCase, ...],
                                                            rules: list[Rule]) -> None:
    _compare(catalogue, cases, rules)


FIRED: Counter[str] = Counter()
IDLE: Counter[str] = Counter()  # rules let through that then found nothing
NOISE: list[tuple[common_pb2.PatientCase, ...]] = []


@settings(max_examples=60, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(catalogue=catalogues(), cases=batches(3), rules=rule_sets())
def _fixed_sample(catalogue: cat.Catalogue, cases: tuple[common_pb2.PatientCase, ...], rules: list[Rule]) -> None:
    fired, passed = _compare(catalogue, cases, rules)
    templates = {r.rule_id: r.template for r in rules}
    FIRED.update({templates[r] for r in fired})
    IDLE.update({templates[r] for r in passed - fired})


def test_the_generated_batches_make_most_templates_fire() -> None:
    """A screen that let everything through would pass the property trivially: the generated
    batches must fire most templates, so probes are tried on cases they must not miss (the
    scenarios amid random patients, below, fire every one)."""
    FIRED.clear()
    IDLE.clear()
    _fixed_sample()
    assert len(FIRED) >= 33, f"templates that never fired: {sorted(set(TEMPLATES) - set(FIRED))}"


@settings(max_examples=30, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))
@given(cases=batches(2))
def _collect_noise(cases: tuple[common_pb2.PatientCase, ...]) -> None:
    if len(cases) == 2 and len(NOISE) < 8:
        NOISE.append(cases)


def _noise() -> list[tuple[common_pb2.PatientCase, ...]]:
    if not NOISE:
        _collect_noise()
    return NOISE


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_every_scenario_amid_random_patients_is_judged_alike(scenario: Scenario) -> None:
    """Each scenario's patient in a batch with random ones: the screen lets its rule through and
    the findings equal every template's (which equal the Polars probes' path: test_equivalence)."""
    cases = [scenario.case, *_noise()[SCENARIOS.index(scenario) % len(_noise())]]
    rows = rows_from_cases(cases)
    got = screen.evaluate(rows, CATALOGUE, PACK, scenario.moment)
    batch = rows.batch()
    rules = PACK.for_moment(scenario.moment)
    unprobed = engine.to_findings(engine.evaluate_frame(batch, CATALOGUE, rules, use_probes=False), batch, rules)
    assert _sorted(got) == _sorted(unprobed)
    assert scenario.rule_id in _passing(cases, rules=rules) or not scenario.expected
    mine = [f for f in got if f.patient_id == scenario.case.patient.patient_id]
    assert sorted((f.rule_id, str(f.amount), tuple(sorted(f.line_ids))) for f in mine if f.rule_id == scenario.rule_id) \
        == sorted((r, str(Decimal(a)), tuple(sorted(ids))) for r, a, ids in scenario.expected)


def _passing(cases: list[common_pb2.PatientCase], catalogue: cat.Catalogue = CATALOGUE,
             rules: list[Rule] = RULES) -> list[str]:
    checked = screen.Screen.of(rows_from_cases(cases), catalogue)
    assert checked is not None
    return [r.rule_id for r in checked.passing(rules)]


def _findings(cases: list[common_pb2.PatientCase], catalogue: cat.Catalogue = CATALOGUE) -> list[Finding]:
    """The real-time answer, checked against every template run and the Polars probes' path."""
    rows = rows_from_cases(cases)
    got = screen.evaluate(rows, catalogue, PACK, "post")
    batch = rows.batch()
    unprobed = engine.to_findings(engine.evaluate_frame(batch, catalogue, RULES, use_probes=False), batch, RULES)
    assert _sorted(got) == _sorted(unprobed) == _sorted(engine.evaluate(batch, catalogue, PACK, "post"))
    return got


def test_every_template_has_a_screen() -> None:
    assert set(screen.SCREENS) == set(TEMPLATES)


def test_the_bench_encounter_passes_no_rule() -> None:
    """The 3101 bench's clean 50-line encounter on the sample catalogue: nothing to run."""
    body = encounter_50_lines()
    body["msgid"] = "H0000000000000000000001"
    cases = list(national.analysis_request(json.loads(json.dumps(body))).cases)
    catalogue = cat.parse("sample", "2020-01-01", cat.read_folder(CATALOGUE_DIR.parents[4] / "samples" / "catalogue"))
    rows = rows_from_cases(cases)
    assert len(rows.lines) == 50
    checked = screen.Screen.of(rows, catalogue)
    assert checked is not None
    assert checked.passing(load_default_pack().for_moment("pre")) == []


def test_a_clean_encounter_of_restricted_items_passes_no_rule() -> None:
    """50 lines of items carrying limits (sex, price ceiling, indications, departments, level,
    quantity, similar-action groups, required services) all billed within them."""
    codes = [("SEXM", "45.00"), ("210300001", "150.00"), ("IND", "10.00"), ("DEPT", "10.00"), ("LVL", "10.00"),
             ("QTY", "10.00"), ("SIM1", "10.00"), ("NEEDS", "10.00"), ("INJ", "10.00"), ("BIG", "10.00")]
    lines = [line(c, "1", p, lid=f"{i}") for i, (c, p) in ((i, codes[i % len(codes)]) for i in range(50))]
    clean = case([enc("E1", lines, dx=("J02.9",), level="3", dept="A03")], gender="1")
    assert _passing([clean]) == []
    assert _findings([clean]) == []


# ---------------------------------------------------------------- edges, one probe at a time


def test_history_lines_are_not_judged() -> None:
    past = enc("H1", [line("SEXF", "3", "18.60")], dx=("N40",))
    now = enc("E1", [line("PLAIN")])
    cases = [case([now], history=[past], gender="2")]
    assert not {"R-DRUG-SEX", "R-DIAGNOSIS-SEX"} & set(_passing([case([now], history=[enc("H1", [line("SEXF")])])]))
    assert "R-DIAGNOSIS-SEX" not in _passing(cases)
    assert _findings(cases) == []
    # ...but they count toward a window's total: two doses today, two in an earlier encounter today.
    both = [case([enc("E2", [line("DOSE", "2", lid="2")])], history=[enc("E1", [line("DOSE", "2", lid="1")])])]
    assert "R-DRUG-DOSE" in _passing(both)
    assert [f.line_ids for f in _findings(both) if f.rule_id == "R-DRUG-DOSE"] == [("2",)]


def test_returns_with_negative_quantity() -> None:
    returned = [case([enc("E1", [line("SEXF", "-3", "18.60")])])]
    assert "R-DRUG-SEX" not in _passing(returned)
    assert _findings(returned) == []
    # A return lowers the net quantity below the limit: let through (charges alone exceed it), nothing found.
    netted = [case([enc("E1", [line("QTY", "8", lid="1"), line("QTY", "4", lid="2"), line("QTY", "-2", lid="3")])])]
    assert "R-DRUG-QUANTITY" in _passing(netted)
    assert [f for f in _findings(netted) if f.rule_id == "R-DRUG-QUANTITY"] == []
    # The amount cap sums every line's amount, returns included, even one carrying a positive amount.
    capped = [case([enc("E1", [line("CAP", "-3", "40.00", amount="120.00")])])]
    assert "R-CONSUMABLE-AMOUNT-CAP" in _passing(capped)
    assert "R-CONSUMABLE-AMOUNT-CAP" in {f.rule_id for f in _findings(capped)}


def test_items_missing_from_the_catalogue() -> None:
    unknown = [case([enc("E1", [line("NOPE", typ="101")])])]
    assert _passing(unknown) == []
    without_sexf = cat.parse("cut", "2024-01-01", {**FILES, "items.csv": "\n".join(
        r for r in FILES["items.csv"].splitlines() if not r.startswith("SEXF,")) + "\n"})
    assert "R-DRUG-SEX" not in _passing([case([enc("E1", [line("SEXF")])])], without_sexf)
    # Unknown codes keep the line's own item type: six unknown drugs are too many kinds.
    drugs = [case([enc("E1", [line(f"NOPE{i}", typ="101") for i in range(6)])])]
    assert "R-DRUG-KINDS" in _passing(drugs)
    assert "R-DRUG-KINDS" in {f.rule_id for f in _findings(drugs)}


def test_null_attributes_and_values() -> None:
    plain = [case([enc("E1", [line("PLAIN", lid=str(i)) for i in range(20)])], gender="2", birth="2026-10-13")]
    assert _passing(plain) == []
    no_price = common_pb2.FeeLine(line_id="1", item_code="210300001", quantity="1", amount=common_pb2.Money(amount="999.00"),
                                  service_date="2026-11-10")
    cases = [case([enc("E1", [no_price], level="1")])]
    assert not {"R-PRICE-CEILING", "R-LINE-AMOUNT"} & set(_passing(cases))
    assert _findings(cases) == []
    # No birth date: no age to judge.
    ageless = [case([enc("E1", [line("CHILD"), line("ELD")], dx=("P07.3",))], birth="")]
    assert not {"R-DRUG-CHILD", "R-ELDERLY-DRUG", "R-DIAGNOSIS-AGE"} & set(_passing(ageless))
    assert _findings(ageless) == []


def test_items_outside_their_catalogue_period() -> None:
    old = [case([enc("E1", [line("OLD")])], gender="2")]
    assert "R-SERVICE-SEX" not in _passing(old)
    assert _findings(old) == []
    # Bed-days judge every line of a stay, so an expired bed item still counts (in every path).
    expired = cat.parse("expired", "2024-01-01", {**FILES, "items.csv": FILES["items.csv"].replace(
        "BED,床位费,201,01,bed,,,,,,,,,,,,,,,,,,,,,,,,,", "BED,床位费,201,01,bed,,,,,,,,,,,,,,,,,,,,,2020-01-01,2024-01-01,,,")})
    stay = [case([enc("E1", [line("BED", "5", "30.00", day="2026-11-01")], care="2", adm="2026-11-01",
                      dis="2026-11-04")])]
    assert "R-BED-DAYS-OVER-STAY" in _passing(stay, expired)
    assert "R-BED-DAYS-OVER-STAY" in {f.rule_id for f in _findings(stay, expired)}


def test_rule_versions_out_of_force_are_not_run() -> None:
    sexf = [case([enc("E1", [line("SEXF")])])]
    later = replace(BY_ID["R-DRUG-SEX"], effective_from=date(2026, 12, 1))
    ended = replace(BY_ID["R-DRUG-SEX"], effective_to=date(2026, 11, 10))
    inpatient = replace(BY_ID["R-DRUG-SEX"], care_settings=frozenset({"2"}))
    assert _passing(sexf, rules=[later, ended, inpatient]) == []
    assert _passing(sexf, rules=[replace(later, effective_from=date(2026, 11, 10))]) == ["R-DRUG-SEX"]


def test_rows_the_frames_would_hold_differently_take_the_set_based_path() -> None:
    twice = [case([enc("E1", [line("SEXF", lid="1")]), enc("E1", [line("SEXF", lid="2")])])]
    assert screen.Screen.of(rows_from_cases(twice), CATALOGUE) is None  # one claim id for two encounters
    fine = [case([enc("E1", [line("QTY", "10.00001")])])]
    assert screen.Screen.of(rows_from_cases(fine), CATALOGUE) is None  # Polars keeps 4 places
    rows = rows_from_cases(twice)
    assert _sorted(screen.evaluate(rows, CATALOGUE, PACK, "post")) == _sorted(
        engine.evaluate(rows.batch(), CATALOGUE, PACK, "post"))


def test_big_requests_take_the_set_based_path(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(screen.Screen, "of", classmethod(lambda cls, rows, c: calls.append(1)))  # type: ignore[misc]
    lines = [line("SEXF", lid=str(i)) for i in range(screen.SCREEN_LINES + 1)]
    rows = rows_from_cases([case([enc("E1", lines)])])
    found = screen.evaluate(rows, CATALOGUE, PACK, "post")
    assert calls == [] and len({f.line_ids for f in found if f.rule_id == "R-DRUG-SEX"}) == screen.SCREEN_LINES + 1


def test_a_gathered_batch_with_history_is_screened(monkeypatch: pytest.MonkeyPatch) -> None:
    """Gathered checks (decision 0022) bring up to 1,000 lines of their own plus each patient's
    history: still screened, and judged as the set-based path judges them."""
    screened: list[int] = []
    real = screen.Screen.of.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(screen.Screen, "of", classmethod(lambda cls, rows, c: screened.append(1) or real(cls, rows, c)))
    cases = [case([enc(f"E{p}", [line("PLAIN", lid=str(i)) for i in range(49)] + [line("SEXF", lid="49")])],
                  history=[enc(f"H{p}-{k}", [line("PLAIN", lid=str(i), day="2026-10-20") for i in range(10)],
                               adm="2026-10-20", dis="2026-10-20") for k in range(3)], pid=f"P{p}", gender="2" if p % 2 else "1")
             for p in range(20)]
    rows = rows_from_cases(cases)
    assert 1_000 < len(rows.lines) <= screen.SCREEN_LINES
    found = screen.evaluate(rows, CATALOGUE, PACK, "pre")
    assert screened == [1]
    assert _sorted(found) == _sorted(engine.evaluate(rows.batch(), CATALOGUE, PACK, "pre"))
    assert {f.patient_id for f in found if f.rule_id == "R-DRUG-SEX"} == {f"P{p}" for p in range(0, 20, 2)}


def test_code_format_follows_the_template_pattern_engine() -> None:
    # Python's $ also matches before a final newline; Polars' (the template's) does not.
    odd = [case([enc("E1", [line("PLAIN")], dx=("J06\n",))])]
    assert "R-DIAGNOSIS-CODE" in _passing(odd)
    assert "R-DIAGNOSIS-CODE" in {f.rule_id for f in _findings(odd)}
    bad_pattern = replace(BY_ID["R-DIAGNOSIS-CODE"], params={"pattern": "(unclosed"})
    assert _passing([case([enc("E1", [line("PLAIN")])])], rules=[bad_pattern]) == ["R-DIAGNOSIS-CODE"]


def test_rows_build_the_same_frames_as_before() -> None:
    rows = rows_from_cases([s.case for s in SCENARIOS[:5]])
    assert isinstance(rows, Rows)
    batch = rows.batch()
    assert batch.lines.height == len(rows.lines) and batch.patients.height == 1
    assert batch.lines.schema["quantity"] == pl.Decimal(18, 4)
