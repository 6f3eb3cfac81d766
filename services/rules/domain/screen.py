"""The real-time screen: every template's necessary condition in plain Python over a request's rows.

A real-time check (one patient, an encounter of a few dozen lines and a little history) used to
pay for Polars frames, the joined context and one select of ~40 probe expressions even when
nothing was wrong: 25-35 ms of CPU, nearly all of it Polars' fixed cost per operation. The
screen decides the same question, "could this template find anything here?", over the rows as
they came off the wire, joined with the catalogue entries by a dict per catalogue version
(``Catalogue.plain_rows``). Only when some rule passes are the frames built and the templates of
the passing rules run (``engine.evaluate_frame(..., screened=True)``), so a finding still has one
definition: its template.

Every screen probe is a necessary condition of its template: it may be looser, never stricter.
The property test (tests/unit/rules/test_screen.py) requires the screened path's findings to equal
running every template, and that a clean encounter passes no rule. A probe that cannot decide
(an unusual parameter, a value the frames would hold differently) lets the rule through.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

import polars as pl

from services.rules.domain import engine
from services.rules.domain.catalogue import PAIR_TABLES, Catalogue
from services.rules.domain.model import Finding, Rows
from services.rules.domain.rulepack import Rule, RulePack
from services.rules.domain.templates import TEMPLATES

# Requests up to this many lines (history included) are screened; larger ones (the audit's
# chunks) go straight to the set-based path. Gathered real-time checks arrive together, up to
# 1,000 of their own lines plus each patient's history (decision 0022). Measured with the rules
# benchmark's catalogue and history: screening then running the rules that pass stays cheaper
# up to ~4,000 lines even when most rules pass, and breaks even near 5,500 (docs/rules.md).
SCREEN_LINES = 5_000
DEFAULT_CODE_PATTERN = r"^[A-Z][0-9]{2}(\.[0-9A-Za-z]{1,4})?(x[0-9]{3})?$"
# Decimal places and integer digits the frames hold (model.QUANTITY/PRICE are (18, 4), MONEY
# (18, 2)): a wire value with more is rounded or nulled by Polars, so such a request is not
# screened rather than judged on different numbers.
_SCALES = {"quantity": 4, "unit_price": 4, "amount": 2}
_Q = {4: Decimal("0.0001"), 2: Decimal("0.01")}
_LIMIT = {scale: Decimal(10) ** (18 - scale) for scale in _Q}  # what a NUMERIC(18, scale) column holds


class Line:
    """A fee line joined with its encounter, patient and catalogue entry: the columns of
    ``Context.lines`` that templates filter on, as plain values."""

    __slots__ = ("row", "claim", "patient", "code", "qty", "price", "amount", "day", "history", "enc", "item",
                 "in_catalogue", "item_type", "kind", "charged", "gender", "birth", "death")

    def __init__(self, row: dict[str, Any], enc: dict[str, Any], patient: dict[str, Any],
                 item: dict[str, Any] | None) -> None:
        self.row = row
        self.claim: str = row["claim_id"]
        self.patient: str = row["patient_id"]
        self.code: str = row["item_code"]
        self.qty: Decimal = row["quantity"]
        self.price: Decimal | None = row["unit_price"]
        self.amount: Decimal = row["amount"]
        self.day: date = row["service_date"]
        self.history: bool = row["is_history"]
        self.enc = enc
        self.item: Any = item  # the catalogue entry (any period), None when the code is unknown
        # An entry is in force on the line's date (Context.lines ``in_catalogue``).
        self.in_catalogue = item is not None and (item["effective_from"] is None or item["effective_from"] <= self.day) \
            and (item["effective_to"] is None or self.day < item["effective_to"])
        self.item_type: str = item["item_type"] if item is not None else row["item_type"]
        self.kind: str | None = item["item_kind"] if item is not None else None
        # The lines judged by the item templates (context.CHARGED).
        self.charged = not self.history and self.qty > 0 and self.in_catalogue
        self.gender: str = patient["gender"]
        self.birth: date | None = patient["birth_date"]
        self.death: date | None = patient["death_date"]

    @property
    def age_days(self) -> int | None:
        return None if self.birth is None else (self.day - self.birth).days

    @property
    def dept(self) -> str:
        return self.row["dept_code"] or self.enc["dept_code"]


def _present(value: object) -> bool:
    """Whether a catalogue attribute is set (Context.present: not null, a non-empty list, a true flag)."""
    return value is not None and value is not False and value != []


class Screen:
    """One request's rows, joined once, with the lookups the probes share."""

    def __init__(self, rows: Rows, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.patients: dict[str, dict[str, Any]] = {}
        for p in rows.patients:
            self.patients.setdefault(p["patient_id"], p)  # the frames keep the first row per patient
        self.encounters = rows.encounters
        self.by_claim = {e["claim_id"]: e for e in rows.encounters}
        self.lines: list[Line] = []
        # Lines (history included) whose catalogue entry sets an attribute, in any period, or
        # whose code keys an item pair table: most probes then look at only the few lines
        # that could matter to them.
        self.having: dict[str, list[Line]] = {}
        self.first_day: dict[str, date] = {}
        entries = _entries(catalogue)
        for r in rows.lines:
            code = r["item_code"]
            entry = entries.get(code) or _entry(catalogue, code)
            line = Line(r, self.by_claim[r["claim_id"]], self.patients[r["patient_id"]], entry[0])
            self.lines.append(line)
            for key in entry[1]:
                self.having.setdefault(key, []).append(line)
            first = self.first_day.get(line.claim)
            if first is None or line.day < first:
                self.first_day[line.claim] = line.day
        self.charged = [x for x in self.lines if x.charged]
        # Dates a finding can carry (lines' dates, admission and discharge): a rule version in
        # force on none of them finds nothing here.
        days = {x.day for x in self.lines}
        for e in rows.encounters:
            days.update(d for d in (e["admission_date"], e["discharge_date"]) if d is not None)
        self.days = sorted(days)
        # Whether a judged stay or a death date is here at all: most checks have neither, and
        # the probes about them can then answer without reading the lines.
        self.judged_stay = any(e["care_setting"] == "2" and not e["is_history"] for e in rows.encounters)
        self.death_date = any(p["death_date"] is not None for p in self.patients.values())

    @classmethod
    def of(cls, rows: Rows, catalogue: Catalogue) -> Screen | None:
        """The screen of these rows, or None when they must take the set-based path: claim ids
        repeated (the context's joins would multiply lines) or numbers the frames would round."""
        claims = [e["claim_id"] for e in rows.encounters]
        if len(set(claims)) != len(claims):
            return None
        # Each distinct value once: a request's lines share quantities, prices and amounts.
        for column, scale in _SCALES.items():
            if not all(_exact(v, scale) for v in {r[column] for r in rows.lines}):
                return None
        if not all(_exact(e["total_amount"], 2) for e in rows.encounters):
            return None
        return cls(rows, catalogue)

    def judged_encounters(self) -> Iterable[dict[str, Any]]:
        return (e for e in self.encounters if not e["is_history"])

    def encounter_day(self, e: dict[str, Any]) -> date | None:
        """Context.encounters ``service_date``: first line date, else admission, else discharge."""
        first = self.first_day.get(e["claim_id"])
        return first if first is not None else e["admission_date"] if e["admission_date"] is not None \
            else e["discharge_date"]

    def pairs(self, table: str, key: str) -> tuple[dict[str, Any], ...]:
        return self.catalogue.plain_rows(table, key)

    def charged_in(self, table: str) -> list[Line]:
        """Charged lines whose code keys an item pair table: the only ones with rows there."""
        return [x for x in self.having.get(table, ()) if x.charged]

    def prefix_rows(self, table: str, code: str) -> Iterable[dict[str, Any]]:
        """Rows of a prefix-keyed table whose prefix starts ``code`` (Catalogue.prefix_rows)."""
        for n in _prefix_lengths(self.catalogue, table):
            yield from self.catalogue.plain_rows(table, code[:n])

    def in_force(self, rule: Rule) -> bool:
        """Whether the rule version is in force on some date a finding here could carry, in a
        care setting and at a level it judges (the engine's filters on findings)."""
        i = bisect_left(self.days, rule.effective_from)
        if i == len(self.days) or (rule.effective_to is not None and self.days[i] >= rule.effective_to):
            return False
        if rule.care_settings or rule.institution_levels:
            return any((not rule.care_settings or e["care_setting"] in rule.care_settings)
                       and (not rule.institution_levels or e["institution_level"] in rule.institution_levels)
                       for e in self.encounters)
        return True

    def passing(self, rules: Sequence[Rule]) -> list[Rule]:
        """The rules that could find something here, in their order."""
        out = []
        for rule in rules:
            probe = SCREENS.get(rule.template)
            if probe is None:
                out.append(rule)
                continue
            try:
                if self.in_force(rule) and probe(self, rule):
                    out.append(rule)
            except (ValueError, TypeError, KeyError, IndexError, ArithmeticError, AttributeError, pl.exceptions.PolarsError):
                out.append(rule)  # a parameter the probe cannot read: the template decides (or raises)
        return out


def _exact(value: Decimal | None, scale: int) -> bool:
    if value is None:
        return True
    try:
        return value == value.quantize(_Q[scale]) and abs(value) < _LIMIT[scale]
    except InvalidOperation:
        return False


# Pair tables keyed by an item code, which the screen's probes read per line.
ITEM_PAIR_TABLES = tuple(name for name, (_, key) in PAIR_TABLES.items() if key in ("item_code", "item_code_a"))
Entry = tuple[dict[str, Any] | None, tuple[str, ...]]


def _entries(catalogue: Catalogue) -> dict[str, Entry]:
    memo: dict[str, Entry] = catalogue.memo.setdefault("screen.entries", {})
    return memo


def _entry(catalogue: Catalogue, code: str) -> Entry:
    """A code's catalogue item (None when unknown), with the attributes it sets and the item
    pair tables holding rows for it; kept per catalogue version and code."""
    found = catalogue.plain_rows("items.csv", code)
    item = found[0] if found else None
    keys: tuple[str, ...] = ()
    if item is not None:
        keys = tuple(k for k, v in item.items() if k not in ("item_code", "name", "item_type") and _present(v))
        if any(item[c] is not None for c in ("price_ceiling_1", "price_ceiling_2", "price_ceiling_3")):
            keys += ("price_ceiling",)
        if item["min_age_days"] is not None or item["max_age_days"] is not None:
            keys += ("age_days",)
    keys += tuple(t for t in ITEM_PAIR_TABLES if catalogue.plain_rows(t, code))
    memo = _entries(catalogue)
    if len(memo) >= 200_000:  # bounded like plain_rows: unknown codes are remembered too
        memo.clear()
    memo[code] = (item, keys)
    return item, keys


def _prefix_lengths(catalogue: Catalogue, table: str) -> list[int]:
    memo: dict[str, list[int]] = catalogue.memo.setdefault("screen.prefix_lengths", {})
    got = memo.get(table)
    if got is None:
        frame = catalogue.table(table)
        got = memo[table] = sorted(frame[PAIR_TABLES[table][1]].str.len_chars().unique().to_list()) \
            if frame.height else []
    return got


_valid_codes: dict[str, dict[str, bool]] = {}


def _code_valid(pattern: str, codes: set[str]) -> dict[str, bool]:
    """Whether each code matches the pattern as Polars (the template) matches it, kept per
    pattern: diagnosis and procedure codes repeat, so a new one costs one Polars call once."""
    memo = _valid_codes.setdefault(pattern, {})
    new = [c for c in codes if c not in memo]
    if new:
        if len(memo) > 200_000:
            memo.clear()
        memo.update(zip(new, pl.Series(new, dtype=pl.String).str.contains(pattern).to_list(), strict=True))
    return {c: bool(memo[c]) for c in codes}


# ---------------------------------------------------------------- one probe per template

Probe = Callable[[Screen, Rule], bool]
SCREENS: dict[str, Probe] = {}


def screen(*names: str) -> Callable[[Probe], Probe]:
    def register(fn: Probe) -> Probe:
        for n in names:
            SCREENS[n] = fn
        return fn

    return register


def _list_param(rule: Rule, key: str, default: Sequence[str] = ()) -> list[str]:
    return [str(v) for v in rule.params.get(key, default)]


def _of_rule(rule: Rule) -> Callable[[Line], bool]:
    """The rule's item types and kinds (templates' ``_lines``)."""
    types = rule.params.get("item_types")
    kinds = rule.params.get("item_kinds")
    wanted_types = {str(t) for t in types} if types else None
    wanted_kinds = {str(k) for k in kinds} if kinds else None
    return lambda x: (wanted_types is None or x.item_type in wanted_types) and (
        wanted_kinds is None or x.kind in wanted_kinds)


def _judged(s: Screen, rule: Rule, attribute: str) -> list[Line]:
    """Charged, in-force lines of the rule's types and kinds whose item sets the attribute."""
    keep = _of_rule(rule)
    return [x for x in s.having.get(attribute, ()) if x.charged and keep(x)]


def _starts(codes: Iterable[str], prefixes: Iterable[str]) -> bool:
    prefixes = list(prefixes)
    return any(c.startswith(p) for c in codes for p in prefixes)


@screen("item_sex_limit")
def _sex(s: Screen, rule: Rule) -> bool:
    return any(x.gender in ("1", "2") and x.gender != x.item["sex_limit"] for x in _judged(s, rule, "sex_limit"))


@screen("price_ceiling")
def _price(s: Screen, rule: Rule) -> bool:
    for x in _judged(s, rule, "price_ceiling"):
        level = x.enc["institution_level"]
        ceiling = x.item["price_ceiling_1" if level == "1" else "price_ceiling_2" if level == "2" else "price_ceiling_3"]
        if ceiling is not None and x.price is not None and x.price > ceiling:
            return True
    return False


@screen("insurance_scope")
def _scope(s: Screen, rule: Rule) -> bool:
    scope = str(rule.params.get("scope", "work_injury"))
    allowed = _list_param(rule, "insurance_types")
    return any(x.item["insurance_scope"] == scope and x.enc["insurance_type"] not in allowed
               for x in _judged(s, rule, "insurance_scope"))


@screen("age_limit")
def _age(s: Screen, rule: Rule) -> bool:
    band = str(rule.params.get("band", "child"))
    for x in _judged(s, rule, "age_days"):
        age = x.age_days
        if age is None:
            continue
        low, high = x.item["min_age_days"], x.item["max_age_days"]
        if band == "newborn":
            hit = high is not None and high <= 28 and age > high
        elif band == "child":
            hit = high is not None and high > 28 and age > high
        else:
            hit = low is not None and age < low
        if hit:
            return True
    return False


@screen("elderly_caution")
def _elderly(s: Screen, rule: Rule) -> bool:
    years = int(rule.params.get("min_age_years", 65))
    # The template offsets the birth date by whole years; reaching that date needs at least this.
    return any(x.birth is not None and x.day.year - x.birth.year >= years for x in _judged(s, rule, "elderly_caution"))


@screen("pregnancy_caution")
def _pregnancy(s: Screen, rule: Rule) -> bool:
    prefixes = _list_param(rule, "diagnosis_prefixes", ["O", "Z32", "Z33", "Z34", "Z35", "Z36", "Z39"])
    return any(x.gender == "2" and _starts(x.enc["diagnoses"], prefixes) for x in _judged(s, rule, "pregnancy_caution"))


@screen("indication_limit")
def _indications(s: Screen, rule: Rule) -> bool:
    return any(not _starts(x.enc["diagnoses"], x.item["indications"]) for x in _judged(s, rule, "indications"))


@screen("contraindication")
def _contra(s: Screen, rule: Rule) -> bool:
    return any(_starts(x.enc["diagnoses"], x.item["contraindications"]) for x in _judged(s, rule, "contraindications"))


@screen("level_limit")
def _level(s: Screen, rule: Rule) -> bool:
    return any(x.enc["institution_level"] not in x.item["institution_levels"]
               for x in _judged(s, rule, "institution_levels"))


@screen("department_limit")
def _dept(s: Screen, rule: Rule) -> bool:
    return any(x.dept not in x.item["departments"] for x in _judged(s, rule, "departments"))


@screen("care_setting_limit")
def _care(s: Screen, rule: Rule) -> bool:
    return any(x.enc["care_setting"] not in x.item["care_settings"] for x in _judged(s, rule, "care_settings"))


@screen("herb_payment")
def _herb(s: Screen, rule: Rule) -> bool:
    mode = str(rule.params.get("mode", "never"))
    for x in _judged(s, rule, "herb_payment"):
        if x.item["herb_payment"] != mode:
            continue
        if mode == "never":
            return True
        # compound_only: not payable alone, i.e. at most one herbal piece that day in the encounter.
        herbs = {y.code for y in s.charged if y.claim == x.claim and y.day == x.day and y.item_type == "102"}
        if len(herbs) <= 1:
            return True
    return False


def _window_key(window: str, x: Line) -> tuple[object, ...]:
    if window == "encounter":
        return (x.claim,)
    if window == "day":
        return (x.patient, x.day)
    if window == "month":
        return (x.patient, x.day.year, x.day.month)
    return (x.patient, x.day.year)


def _over_limit(s: Screen, rule: Rule, limit: str, window_column: str, window: str) -> bool:
    """Some item x window group with a judged line whose charged quantity (history counted,
    returns ignored: never below the net total the template compares) exceeds the limit."""
    keep = _of_rule(rule)
    totals: dict[tuple[object, ...], Decimal] = {}
    limits: dict[tuple[object, ...], Decimal] = {}
    for x in s.having.get(limit, ()):
        if not (x.in_catalogue and x.qty > 0 and x.item[window_column] == window and keep(x)):
            continue
        key = (x.code, *_window_key(window, x))
        totals[key] = totals.get(key, Decimal(0)) + x.qty
        if not x.history:
            limits[key] = x.item[limit]
    return any(totals[k] > most for k, most in limits.items())


@screen("quantity_limit")
def _quantity(s: Screen, rule: Rule) -> bool:
    return _over_limit(s, rule, "max_quantity", "quantity_window", str(rule.params.get("window", "encounter")))


@screen("frequency_limit")
def _times(s: Screen, rule: Rule) -> bool:
    return _over_limit(s, rule, "max_times", "times_window", str(rule.params.get("window", "day")))


@screen("split_prescription")
def _split_rx(s: Screen, rule: Rule) -> bool:
    """The same item charged in two encounters (history counted), one of them judged."""
    keep = _of_rule(rule)
    charged: dict[str, set[str]] = {}
    judged: dict[str, set[str]] = {}
    for x in s.having.get("max_quantity", ()):
        if not (x.in_catalogue and x.item["quantity_window"] == "encounter" and keep(x)):
            continue
        if x.qty > 0:
            charged.setdefault(x.code, set()).add(x.claim)
        if not x.history:
            judged.setdefault(x.code, set()).add(x.claim)
    return any(len(claims) >= 2 and claims & judged.get(code, set()) for code, claims in charged.items())


@screen("amount_cap")
def _cap(s: Screen, rule: Rule) -> bool:
    keep = _of_rule(rule)
    totals: dict[tuple[str, str], Decimal] = {}
    for x in s.having.get("max_amount", ()):
        if x.in_catalogue and not x.history and keep(x) and x.amount > 0:
            key = (x.claim, x.code)
            totals[key] = totals.get(key, Decimal(0)) + x.amount
            if totals[key] > x.item["max_amount"]:  # positive amounts only: never below the net total
                return True
    return False


@screen("max_payable_days")
def _days(s: Screen, rule: Rule) -> bool:
    days: dict[tuple[str, str], set[date]] = {}
    for x in _judged(s, rule, "max_payable_days"):
        seen = days.setdefault((x.claim, x.code), set())
        seen.add(x.day)
        if len(seen) > x.item["max_payable_days"]:
            return True
    return False


@screen("course_limit")
def _course(s: Screen, rule: Rule) -> bool:
    """A judged use later than the course length after the patient's first use (history counted;
    the look-back only moves the start later, so ignoring it is looser)."""
    keep = _of_rule(rule)
    first: dict[tuple[str, str], date] = {}
    last: dict[tuple[str, str], date] = {}
    course: dict[str, int] = {}
    for x in s.having.get("course_days", ()):
        if not (x.in_catalogue and x.qty > 0 and keep(x)):
            continue
        key = (x.patient, x.code)
        if key not in first or x.day < first[key]:
            first[key] = x.day
        if not x.history and (key not in last or x.day > last[key]):
            last[key] = x.day
        course[x.code] = x.item["course_days"]
    return any((day - first[key]).days + 1 > course[key[1]] for key, day in last.items())


@screen("second_line")
def _second(s: Screen, rule: Rule) -> bool:
    return any(s.pairs("similar_action.csv", x.code) for x in _judged(s, rule, "second_line"))


@screen("surgery_discount")
def _surgery(s: Screen, rule: Rule) -> bool:
    """A second surgery line on a day of an encounter."""
    seen: set[tuple[str, date]] = set()
    for x in s.charged:
        if x.kind == "surgery":
            key = (x.claim, x.day)
            if key in seen:
                return True
            seen.add(key)
    return False


@screen("contains_duplicate")
def _contains(s: Screen, rule: Rule) -> bool:
    """A charged item and, the same day in the same encounter, a charged item that contains it."""
    keep = _of_rule(rule)  # read first: a parameter it cannot read lets the rule through
    containers = s.charged_in("contains.csv")
    if not containers:
        return False
    contained: dict[tuple[str, date], set[str]] = {}
    for x in s.charged:
        if keep(x):
            contained.setdefault((x.claim, x.day), set()).add(x.code)
    for x in containers:
        codes = contained.get((x.claim, x.day))
        if codes and any(r["contained_code"] in codes for r in s.pairs("contains.csv", x.code)):
            return True
    return False


@screen("unbundling")
def _bundle(s: Screen, rule: Rule) -> bool:
    """Two different parts of one bundle charged the same day in one encounter."""
    keep = _of_rule(rule)
    parts: dict[tuple[str, date, str], set[str]] = {}
    for x in s.charged_in("bundles.csv"):
        if not keep(x):
            continue
        for r in s.pairs("bundles.csv", x.code):
            found = parts.setdefault((x.claim, x.day, r["bundle_code"]), set())
            found.add(x.code)
            if len(found) >= 2:
                return True
    return False


@screen("similar_action")
def _similar(s: Screen, rule: Rule) -> bool:
    """Two different drugs of one similar-action group in one encounter."""
    keep = _of_rule(rule)
    members: dict[tuple[str, str], set[str]] = {}
    for x in s.charged_in("similar_action.csv"):
        if not keep(x):
            continue
        for r in s.pairs("similar_action.csv", x.code):
            found = members.setdefault((x.claim, r["group_code"]), set())
            found.add(x.code)
            if len(found) >= 2:
                return True
    return False


@screen("interaction", "herb_incompatible")
def _pair(s: Screen, rule: Rule) -> bool:
    """A charged item of the rule and a charged partner of a smaller code in one encounter."""
    table = "interactions.csv" if rule.template == "interaction" else "herb_incompatible.csv"
    keep = _of_rule(rule)
    partnered = s.charged_in(table)
    if not partnered:
        return False
    codes: dict[str, set[str]] = {}
    for x in s.charged:
        codes.setdefault(x.claim, set()).add(x.code)
    return any(keep(x) and any(r["item_code_b"] in codes[x.claim] and x.code > r["item_code_b"]
                               for r in s.pairs(table, x.code)) for x in partnered)


@screen("requires_service")
def _requires(s: Screen, rule: Rule) -> bool:
    keep = _of_rule(rule)
    needing = s.charged_in("requires_service.csv")
    if not needing:
        return False
    billed: dict[str, set[str]] = {}
    for x in s.lines:
        if not x.history and x.qty > 0:
            billed.setdefault(x.claim, set()).add(x.code)
    for x in needing:
        needs = s.pairs("requires_service.csv", x.code)
        if needs and keep(x) and not any(r["service_code"] in billed[x.claim] for r in needs):
            return True
    return False


@screen("drug_kinds")
def _kinds(s: Screen, rule: Rule) -> bool:
    most = int(rule.params.get("max_kinds", 5))
    settings = _list_param(rule, "care_settings", ["1"])
    drugs: dict[str, set[str]] = {}
    for x in s.lines:
        if not x.history and x.qty > 0 and x.item_type == "101" and x.enc["care_setting"] in settings:
            drugs.setdefault(x.claim, set()).add(x.code)
    return any(len(codes) > most for codes in drugs.values())


@screen("line_amount_mismatch")
def _line_amount(s: Screen, rule: Rule) -> bool:
    # The template rounds quantity x price to cents and reads the tolerance at 4 places: half a
    # cent and more of slack keeps the screen looser than it.
    slack = Decimal(str(rule.params.get("tolerance", "0.01"))) - Decimal("0.0051")
    with localcontext() as exact:
        exact.prec = 60  # quantity x price exactly, as the frames compute it
        return any(not x.history and x.price is not None and abs(x.amount - x.qty * x.price) > slack for x in s.lines)


@screen("encounter_total_mismatch")
def _total(s: Screen, rule: Rule) -> bool:
    tolerance = Decimal(str(rule.params.get("tolerance", "0.01")))
    if tolerance != tolerance.quantize(_Q[2]):
        tolerance -= _Q[2]  # the template reads it in cents, rounded
    sums: dict[str, Decimal] = {}
    for x in s.lines:
        sums[x.claim] = sums.get(x.claim, Decimal(0)) + x.amount
    return any(e["total_amount"] is not None and e["total_amount"] != 0
               and abs(e["total_amount"] - sums.get(e["claim_id"], Decimal(0))) > tolerance
               for e in s.judged_encounters())


@screen("code_format")
def _code_format(s: Screen, rule: Rule) -> bool:
    column = str(rule.params.get("column", "diagnoses"))
    if column not in ("diagnoses", "procedures"):
        return True  # the template decides what an unknown column means
    pattern = str(rule.params.get("pattern", DEFAULT_CODE_PATTERN))
    codes = {c for e in s.judged_encounters() for c in e[column] if c}
    return bool(codes) and not all(_code_valid(pattern, codes).values())


@screen("after_death")
def _death(s: Screen, rule: Rule) -> bool:
    return s.death_date and any(not x.history and x.qty > 0 and x.death is not None and x.day > x.death for x in s.lines)


@screen("charge_outside_stay")
def _outside(s: Screen, rule: Rule) -> bool:
    if not s.judged_stay:
        return False
    for x in s.lines:
        if not x.history and x.qty > 0 and x.enc["care_setting"] == "2":
            admitted, discharged = x.enc["admission_date"], x.enc["discharge_date"]
            if (admitted is not None and x.day < admitted) or (discharged is not None and x.day > discharged):
                return True
    return False


def _stays(s: Screen) -> list[dict[str, Any]]:
    return [e for e in s.encounters if e["care_setting"] == "2" and e["admission_date"] is not None
            and e["discharge_date"] is not None]


@screen("outpatient_during_stay")
def _during(s: Screen, rule: Rule) -> bool:
    stays = _stays(s)
    if not stays:
        return False
    return any(not x.history and x.qty > 0 and x.enc["care_setting"] == "1"
               and any(e["patient_id"] == x.patient and e["admission_date"] < x.day < e["discharge_date"]
                       for e in stays) for x in s.lines)


@screen("bed_days_over_stay")
def _bed(s: Screen, rule: Rule) -> bool:
    """Bed-days charged in a stay beyond its length (returns ignored: looser than the net total).
    The template judges any stay line of the kind, in the catalogue's period or not."""
    kinds = _list_param(rule, "item_kinds", ["bed"])
    if not s.judged_stay:
        return False
    totals: dict[tuple[str, str], Decimal] = {}
    for x in s.lines:
        e = x.enc
        if (x.history or x.kind not in kinds or e["care_setting"] != "2" or e["admission_date"] is None
                or e["discharge_date"] is None or x.qty <= 0):
            continue
        key = (x.claim, x.code)
        totals[key] = totals.get(key, Decimal(0)) + x.qty
        if totals[key] > max((e["discharge_date"] - e["admission_date"]).days, 1):
            return True
    return False


@screen("duplicate_invoice")
def _invoice(s: Screen, rule: Rule) -> bool:
    """An invoice number on two encounters of a patient, one of them judged and charged."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for e in s.encounters:
        if e["invoice_no"]:
            groups.setdefault((e["patient_id"], e["invoice_no"]), []).append(e)
    charged = {x.claim for x in s.lines if not x.history and x.qty > 0}
    return any(len(group) >= 2 and any(not e["is_history"] and e["claim_id"] in charged for e in group)
               for group in groups.values())


@screen("split_admission")
def _split(s: Screen, rule: Rule) -> bool:
    """A judged stay admitted within ``days`` after some other stay's discharge at the same
    institution (the template compares with the previous stay only, one of these)."""
    days = int(rule.params.get("days", 15))
    stays = _stays(s)
    return any(not b["is_history"] and any(
        a is not b and a["patient_id"] == b["patient_id"] and a["institution_code"] == b["institution_code"]
        and 0 <= (b["admission_date"] - a["discharge_date"]).days <= days for a in stays) for b in stays)


@screen("frequent_encounters")
def _frequent(s: Screen, rule: Rule) -> bool:
    """More encounters of the care setting for a patient than the most allowed in any window."""
    setting = str(rule.params.get("care_setting", "1"))
    most = int(rule.params.get("max_count", 8))
    counts: dict[str, int] = {}
    judged: set[str] = set()
    for e in s.encounters:
        if e["care_setting"] == setting and s.encounter_day(e) is not None:
            counts[e["patient_id"]] = counts.get(e["patient_id"], 0) + 1
            if not e["is_history"]:
                judged.add(e["patient_id"])
    return any(counts[p] > most for p in judged)


@screen("card_misuse")
def _card(s: Screen, rule: Rule) -> bool:
    """Enough pharmacy purchases of a patient on one day, one of them judged (small or not)."""
    least = int(rule.params.get("min_purchases", 5))
    counts: dict[tuple[str, date | None], int] = {}
    judged: set[tuple[str, date | None]] = set()
    for e in s.encounters:
        if e["care_setting"] == "3":
            key = (e["patient_id"], s.encounter_day(e))
            counts[key] = counts.get(key, 0) + 1
            if not e["is_history"]:
                judged.add(key)
    return any(counts[k] >= least for k in judged)


def _gender(s: Screen, e: dict[str, Any]) -> str:
    return str(s.patients[e["patient_id"]]["gender"])


@screen("diagnosis_sex", "procedure_sex")
def _code_sex(s: Screen, rule: Rule) -> bool:
    column, table = (("diagnoses", "diagnosis_sex.csv") if rule.template == "diagnosis_sex"
                     else ("procedures", "procedure_sex.csv"))
    for e in s.judged_encounters():
        gender = _gender(s, e)
        if gender in ("1", "2") and any(r["sex"] != gender for c in e[column] if c for r in s.prefix_rows(table, c)):
            return True
    return False


@screen("diagnosis_age")
def _diagnosis_age(s: Screen, rule: Rule) -> bool:
    for e in s.judged_encounters():
        birth, day = s.patients[e["patient_id"]]["birth_date"], s.encounter_day(e)
        if birth is None or day is None:
            continue
        age = (day - birth).days
        for c in e["diagnoses"]:
            for r in s.prefix_rows("diagnosis_age.csv", c) if c else ():
                low = -1 if r["min_age_days"] is None else r["min_age_days"]
                high = 1 << 40 if r["max_age_days"] is None else r["max_age_days"]
                if age < low or age > high:
                    return True
    return False


@screen("diagnosis_procedure")
def _diagnosis_procedure(s: Screen, rule: Rule) -> bool:
    for e in s.judged_encounters():
        for c in e["procedures"]:
            wanted = [r["diagnosis_prefix"] for r in s.prefix_rows("diagnosis_procedure.csv", c)] if c else []
            if wanted and not _starts(e["diagnoses"], wanted):
                return True
    return False


assert set(SCREENS) == set(TEMPLATES), sorted(set(TEMPLATES) ^ set(SCREENS))


# ---------------------------------------------------------------- the real-time evaluation


def evaluate(rows: Rows, catalogue: Catalogue, pack: RulePack, moment: str,
             rule_ids: Sequence[str] = ()) -> list[Finding]:
    """Findings for one request: small requests are screened first and only the rules that pass
    run their templates; the rest (and bulk) take the set-based path unchanged."""
    rules = pack.for_moment(moment, set(rule_ids) or None)
    checked = Screen.of(rows, catalogue) if len(rows.lines) <= SCREEN_LINES else None
    if checked is None:
        return engine.evaluate(rows.batch(), catalogue, pack, moment, rule_ids)
    passed = checked.passing(rules)
    if not passed:
        return []
    batch = rows.batch()
    return engine.to_findings(engine.evaluate_frame(batch, catalogue, passed, screened=True), batch, rules)
