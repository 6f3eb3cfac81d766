"""One insured person's history in the synthetic province, with injected violations.

Each patient is generated from their own random stream (seed and patient number), so the
world is the same whatever the chunk size, and nothing depends on dict or set order.
Days are date ordinals (int), money whole cents (int), times seconds after midnight.

The clean world keeps clear of every rule: at most 5 outpatient visits and 3 pharmacy
purchases a month, one of each a day, stays at least 45 days apart, no visit during a stay,
bed days equal to the stay's length, every charge inside its stay, capped drugs never
repeated within a week and at most a third of the cap each time, prices at 90% of the
ceiling, doctors registered and not suspended. Violations appear only where injected, and
rules that count (frequency, split admission, card misuse, doctor binding) are labelled
from the final data so the ground truth is right even where injections combine.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from bench.generator import catalogue as cat
from bench.generator.registry import Institution, Registry, Staff, person_name

# Injection rates: rule id -> (default rate, what the rate is per). Frequencies per unit.
RATE_UNITS: dict[str, tuple[float, str]] = {
    "R-DRUG-SEX": (0.002, "outpatient or pharmacy encounter"),
    "R-SERVICE-SEX": (0.002, "outpatient encounter"),
    "R-PRICE-CEILING": (0.004, "encounter with a ceiling-priced line"),
    "R-DOCTOR-BINDING": (0.002, "outpatient or inpatient encounter"),
    "R-AFTER-DEATH": (0.2, "patient who died in the period"),
    "R-OUTPATIENT-DURING-STAY": (0.03, "stay of 3 days or more"),
    "R-BED-DAYS-OVER-STAY": (0.03, "stay"),
    "R-CHARGE-OUTSIDE-STAY": (0.03, "stay"),
    "R-DUPLICATE-INVOICE": (0.002, "outpatient or pharmacy encounter"),
    "R-SPLIT-ADMISSION": (0.02, "stay"),
    "R-FREQUENT-VISITS": (0.002, "patient"),
    "R-FREQUENT-PURCHASES": (0.002, "patient"),
    "R-FREQUENT-ADMISSIONS": (0.001, "patient"),
    "R-SPLIT-PRESCRIPTION": (0.003, "patient"),
    "R-CARD-MISUSE": (0.002, "patient"),
}
DEFAULT_RATES: dict[str, float] = {k: v[0] for k, v in RATE_UNITS.items()}
RULES = tuple(RATE_UNITS)

# How a ground-truth row is matched to a finding.
LEVEL = {
    "R-DRUG-SEX": "line", "R-SERVICE-SEX": "line", "R-PRICE-CEILING": "line", "R-DOCTOR-BINDING": "line",
    "R-AFTER-DEATH": "line", "R-OUTPATIENT-DURING-STAY": "line", "R-CHARGE-OUTSIDE-STAY": "line",
    "R-DUPLICATE-INVOICE": "line", "R-SPLIT-PRESCRIPTION": "line",
    "R-BED-DAYS-OVER-STAY": "encounter", "R-SPLIT-ADMISSION": "encounter",
    "R-FREQUENT-VISITS": "patient_month", "R-FREQUENT-PURCHASES": "patient_month",
    "R-FREQUENT-ADMISSIONS": "patient", "R-CARD-MISUSE": "patient_day",
}
TIER_A = frozenset({"R-DRUG-SEX", "R-SERVICE-SEX", "R-PRICE-CEILING", "R-DOCTOR-BINDING", "R-AFTER-DEATH",
                    "R-OUTPATIENT-DURING-STAY", "R-BED-DAYS-OVER-STAY", "R-CHARGE-OUTSIDE-STAY",
                    "R-DUPLICATE-INVOICE"})

MAX_VISITS, MAX_PURCHASES, MAX_ADMISSIONS, SPLIT_DAYS = 8, 6, 3, 15
# At most 4 kinds of drug per outpatient or pharmacy encounter: under R-DRUG-KINDS' 5 even
# when an injected drug is added.
MAX_DRUG_KINDS = 4
BASE_VISITS_CAP, BASE_PURCHASES_CAP, STAY_GAP = 5, 3, 45
SMALL_PURCHASE = 5000  # cents
OUT_WEEKDAY = (1.25, 1.1, 1.05, 1.0, 1.0, 0.6, 0.45)  # Monday first
PHARM_WEEKDAY = (1.0, 1.0, 1.0, 1.0, 1.05, 1.15, 1.1)
AGE_BANDS = ((0, 6, 0.07), (7, 17, 0.10), (18, 34, 0.20), (35, 49, 0.22), (50, 64, 0.21), (65, 79, 0.15),
             (80, 95, 0.05))
CONFLICTS = cat.conflicts()
REQUIRES = cat.required_services()
SMALL_ITEMS = ("XR05XXF020A001", "C02030101", "C14010101")


@dataclass(frozen=True)
class Actors:
    """The fraudulent institutions and doctors of the world (empty when fraud is off)."""

    phantom_clinic: str = ""
    upcoding_doctor: str = ""
    misuse_pharmacy: str = ""
    split_hospital: str = ""
    suspended_doctor: str = ""
    double_claims: str = ""

    def rows(self) -> list[tuple[str, str, str]]:
        out = [("institution", self.phantom_clinic, "phantom-services"),
               ("doctor", self.upcoding_doctor, "upcoding-doctor"),
               ("institution", self.misuse_pharmacy, "card-misuse-pharmacy"),
               ("institution", self.split_hospital, "split-hospitalisation"),
               ("doctor", self.suspended_doctor, "suspended-doctor"),
               ("institution", self.double_claims, "double-claims")]
        return [r for r in out if r[1]]


@dataclass
class Line:
    item: cat.Item
    qty: int
    price: int
    day: int
    sec: int
    doctor: Staff
    labels: list[tuple[str, int, str]] = field(default_factory=list)  # (rule, amount cents, scenario)
    line_id: str = ""

    @property
    def amount(self) -> int:
        return self.qty * self.price


@dataclass
class Encounter:
    setting: str  # 1 outpatient, 2 inpatient, 3 pharmacy
    inst: Institution
    doctor: Staff
    adm: int
    dis: int
    diagnoses: tuple[str, ...]
    procedures: tuple[str, ...] = ()
    lines: list[Line] = field(default_factory=list)
    tainted: bool = False
    copy_of: Encounter | None = None
    received_delay: int = 1  # days after discharge the claim reaches the fund
    drug_kinds: int = 0  # distinct drugs and herbs billed by _add
    labels: list[tuple[str, int, str]] = field(default_factory=list)  # encounter-level
    encounter_id: str = ""
    claim_id: str = ""
    invoice_no: str = ""

    @property
    def total(self) -> int:
        return sum(ln.amount for ln in self.lines)


@dataclass
class Person:
    index: int
    patient_id: str
    name: str
    gender: str
    birth: int
    death: int | None
    insurance_type: str
    division: str
    clinic: Institution
    hospitals: list[Institution]
    pharmacy: Institution


@dataclass
class Label:
    rule_id: str
    level: str
    encounter: Encounter | None
    line: Line | None
    patient_key: str  # month (YYYY-MM), day (YYYY-MM-DD) or "" by level
    amount: int
    scenario: str
    requires: str = ""  # an input column a rule needs to see this (e.g. fee_time), if any


@dataclass
class PatientWorld:
    person: Person
    encounters: list[Encounter]
    labels: list[Label]
    counters: dict[str, list[int]]  # rule -> [eligible, injected] for rate-driven injections


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def month_bounds(start: int, months: int) -> list[tuple[int, int]]:
    d = date.fromordinal(start)
    out = []
    for m in range(months):
        y, mo = d.year + (d.month - 1 + m) // 12, (d.month - 1 + m) % 12 + 1
        ny, nmo = y + (mo // 12), mo % 12 + 1
        out.append((date(y, mo, 1).toordinal(), date(ny, nmo, 1).toordinal() - 1))
    return out


def month_key(day: int) -> str:
    return date.fromordinal(day).isoformat()[:7]


class WorldBuilder:
    """Builds patients one at a time against a fixed registry; holds no per-patient state."""

    def __init__(self, seed: int, registry: Registry, start: int, months: int, rates: Mapping[str, float],
                 actors: Actors) -> None:
        self.seed = seed
        self.registry = registry
        self.start = start
        self.months = month_bounds(start, months)
        self.end = self.months[-1][1]  # last day, inclusive
        self.rates = {r: float(rates.get(r, 0.0)) for r in RULES}
        self.actors = actors
        self.clinics = registry.by_kind("clinic")
        self.hospitals = registry.by_kind("hospital")
        self.pharmacies = registry.by_kind("pharmacy")
        self.by_code = {i.code: i for i in registry.institutions}
        self.doctors = [s for s in registry.staff if s.role == "doctor"]
        self.staff_by_code = {s.code: s for s in registry.staff}
        self._doctors_cache: dict[tuple[str, int, int], list[Staff]] = {}

    # ---- people -------------------------------------------------------------------------
    def person(self, rng: random.Random, index: int) -> Person:
        r, acc = rng.random(), 0.0
        lo, hi = 0, 95
        for lo_, hi_, w in AGE_BANDS:
            acc += w
            lo, hi = lo_, hi_
            if r < acc:
                break
        age = rng.randint(lo, hi)
        birth = self.start - int(age * 365.25) - rng.randint(0, 364)
        gender = "1" if rng.random() < 0.51 else "2"
        q = 0.002 if age < 50 else 0.006 if age < 65 else 0.015 if age < 75 else 0.045 if age < 85 else 0.12
        span = self.end - self.start + 1
        death = self.start + rng.randint(0, span - 1) if rng.random() < q * span / 365 else None
        insurance = "310" if 18 <= age <= 70 and rng.random() < 0.45 else "390"
        division = self.registry.institutions[rng.randrange(len(self.registry.institutions))].division
        local = [c for c in self.clinics if c.division == division] or self.clinics
        hosp_local = [h for h in self.hospitals if h.division == division]
        hospitals = hosp_local[:1]
        extra = rng.choice(self.hospitals)
        if extra not in hospitals:
            hospitals.append(extra)
        pharm = [p for p in self.pharmacies if p.division == division] or self.pharmacies
        return Person(index, f"P{division}{index:07d}", person_name(rng), gender, birth, death, insurance, division,
                      rng.choice(local), hospitals, rng.choice(pharm))

    # ---- doctors ------------------------------------------------------------------------
    def pick_doctor(self, rng: random.Random, inst: Institution, first: int, last: int) -> Staff:
        """A doctor registered at the institution and not suspended on every day of the span
        (with a 3-day margin, so a charge moved by a day or two stays bound)."""
        key = (inst.code, first, last)
        ok = self._doctors_cache.get(key)
        if ok is None:
            ok = [s for s in inst.staff if s.registered(inst.code, first - 3) and s.registered(inst.code, last + 3)
                  and (s.code == self.actors.suspended_doctor
                       or not any(a <= last + 3 and first - 3 <= b for a, b in s.suspensions))]
            if not ok:  # a tiny clinic whose only doctor moved: bill under any doctor registered that day
                ok = [s for s in inst.staff if s.registered(inst.code, first)] or inst.staff
            if len(self._doctors_cache) > 200_000:
                self._doctors_cache.clear()
            self._doctors_cache[key] = ok
        return ok[rng.randrange(len(ok))]

    # ---- encounters ---------------------------------------------------------------------
    @staticmethod
    def _age_days(p: Person, day: int) -> int:
        return day - p.birth

    def _diagnosis(self, rng: random.Random, p: Person, day: int, pool: tuple[cat.Diagnosis, ...]) -> cat.Diagnosis:
        years = (day - p.birth) / 365.25
        # A margin on age bounds keeps clear of diagnosis_age boundaries (none for newborns).
        ok = [d for d in pool if (not d.sex or d.sex == p.gender)
              and (d.min_years == 0 or d.min_years + 0.1 <= years) and years <= d.max_years - 0.1]
        total = sum(d.weight for d in ok)
        r = rng.random() * total
        for d in ok:
            r -= d.weight
            if r <= 0:
                return d
        return ok[-1]

    def _add(self, enc: Encounter, p: Person, item: cat.Item, qty: int, day: int, sec: int,
             capped: dict[str, list[int]], present: set[str]) -> bool:
        """Add a line if the clean world allows it here; pulls in a required service."""
        if item.code in cat.NEVER_BILLED:
            return False
        if not item.allowed(p.gender, self._age_days(p, day), enc.setting, enc.inst.level, enc.diagnoses):
            return False
        if CONFLICTS.get(item.code, frozenset()) & present:
            return False
        is_drug = item.item_type in ("101", "102")
        if is_drug and enc.setting != "2" and item.code not in present and enc.drug_kinds >= MAX_DRUG_KINDS:
            return False
        if item.max_quantity is not None:
            if item.code in present:
                return False
            if any(abs(d - day) <= cat.CAPPED_WINDOW_DAYS + 1 for d in capped.get(item.code, ())):
                return False
            qty = min(qty, item.max_quantity // 3)
            capped.setdefault(item.code, []).append(day)
        need = REQUIRES.get(item.code)
        if need and need not in present:
            svc = cat.BY_CODE[need]
            if not self._add(enc, p, svc, 1, day, sec, capped, present):
                return False
        enc.lines.append(Line(item, qty, item.price_at(enc.inst.level), day, sec, enc.doctor))
        if is_drug and item.code not in present:
            enc.drug_kinds += 1
        present.add(item.code)
        return True

    def outpatient(self, rng: random.Random, p: Person, day: int, inst: Institution,
                   capped: dict[str, list[int]]) -> Encounter:
        d1 = self._diagnosis(rng, p, day, cat.OUTPATIENT_DIAGNOSES)
        diags = [d1]
        if rng.random() < 0.4:
            d2 = self._diagnosis(rng, p, day, cat.OUTPATIENT_DIAGNOSES)
            if d2.code != d1.code:
                diags.append(d2)
        enc = Encounter("1", inst, self.pick_doctor(rng, inst, day, day), day, day, tuple(d.code for d in diags))
        sec = rng.randint(8 * 3600, 16 * 3600)
        present: set[str] = set()
        self._add(enc, p, cat.BY_CODE["110200001"], 1, day, sec, capped, present)
        for d in diags:
            for code in d.tests:
                if rng.random() < 0.7:
                    self._add(enc, p, cat.BY_CODE[code], 1, day, sec + 600, capped, present)
            for code in d.drugs:
                if rng.random() < 0.75:
                    item = cat.BY_CODE[code]
                    qty = rng.randint(10, 30) if item.item_type == "102" else rng.randint(1, 3)
                    self._add(enc, p, item, qty, day, sec + 1800, capped, present)
        for code, chance in (("250101001", 0.45), ("250401001", 0.4), ("250310001", 0.35), ("C14010101", 0.5),
                             ("C02030101", 0.5), ("220201001", 0.2), ("220600001", 0.2)):
            if rng.random() < chance:
                self._add(enc, p, cat.BY_CODE[code], rng.randint(1, 2) if code.startswith("C") else 1, day,
                          sec + 900, capped, present)
        return enc

    def pharmacy(self, rng: random.Random, p: Person, day: int, inst: Institution,
                 capped: dict[str, list[int]], sec: int | None = None) -> Encounter:
        d = self._diagnosis(rng, p, day, cat.OUTPATIENT_DIAGNOSES)
        enc = Encounter("3", inst, self.pick_doctor(rng, inst, day, day), day, day, (d.code,))
        sec = rng.randint(8 * 3600, 21 * 3600) if sec is None else sec
        present: set[str] = set()
        for code in d.drugs:
            if rng.random() < 0.8:
                item = cat.BY_CODE[code]
                qty = rng.randint(10, 30) if item.item_type == "102" else rng.randint(1, 3)
                self._add(enc, p, item, qty, day, sec, capped, present)
        for code in ("XR05XXF020A001", "XM01AEB010A001", "C02030101"):
            if rng.random() < 0.4:
                self._add(enc, p, cat.BY_CODE[code], rng.randint(1, 2), day, sec, capped, present)
        if not enc.lines:
            self._add(enc, p, cat.BY_CODE["C02030101"], 1, day, sec, capped, present)
        return enc

    def inpatient(self, rng: random.Random, p: Person, adm: int, dis: int, inst: Institution,
                  capped: dict[str, list[int]], dx: cat.Diagnosis) -> Encounter:
        surgery = cat.SURGERY.get(dx.code)
        enc = Encounter("2", inst, self.pick_doctor(rng, inst, adm, dis), adm, dis, (dx.code,),
                        (surgery[1],) if surgery else ())
        present: set[str] = set()
        nights = max(dis - adm, 1)
        bed = cat.BY_CODE["110900001"]
        for k in range(nights):
            day = adm + k
            sec = 8 * 3600 + rng.randint(0, 3600)
            enc.lines.append(Line(bed, 1, bed.price_at(inst.level), day, sec, enc.doctor))
            self._add(enc, p, cat.BY_CODE["120100001"], 1, day, sec + 60, capped, present)
            if k == 0:
                for code in dx.tests:
                    self._add(enc, p, cat.BY_CODE[code], 1, day, sec + 1800, capped, present)
                if surgery:
                    self._add(enc, p, cat.BY_CODE[surgery[0]], 1, day, sec + 7200, capped, present)
            elif rng.random() < 0.8:
                for code in ("250101001", "250302001", "250310001", "250203001"):
                    if rng.random() < 0.7:
                        self._add(enc, p, cat.BY_CODE[code], 1, day, sec + 1800, capped, present)
            for code in dx.drugs:
                item = cat.BY_CODE[code]
                for dose in range(rng.randint(3, 5)):
                    if not item.allowed(p.gender, day - p.birth, "2", inst.level, enc.diagnoses):
                        break
                    # Each administration is its own fee line, as hospital systems record them.
                    if item.code in present and item.max_quantity is None:
                        enc.lines.append(Line(item, 1, item.price_at(inst.level), day, sec + 3600 * (dose + 1),
                                              enc.doctor))
                    else:
                        self._add(enc, p, item, 1, day, sec + 3600 * (dose + 1), capped, present)
                if "120400001" in present:
                    inf = cat.BY_CODE["120400001"]
                    enc.lines.append(Line(inf, 1, inf.price_at(inst.level), day, sec + 5000, enc.doctor))
            for code in ("C14010101", "C02030101"):
                if rng.random() < 0.7:
                    item = cat.BY_CODE[code]
                    enc.lines.append(Line(item, rng.randint(1, 3), item.price_at(inst.level), day, sec + 7000,
                                          enc.doctor))
        return enc

    # ---- a patient's history ------------------------------------------------------------
    def _weighted_day(self, rng: random.Random, first: int, last: int, weights: tuple[float, ...],
                      taken: set[int], busy: list[tuple[int, int]]) -> int | None:
        days = [d for d in range(first, last + 1) if d not in taken and not any(a <= d <= b for a, b in busy)]
        if not days:
            return None
        # (ordinal - 1) % 7 is the weekday, Monday 0, as date.weekday() gives it.
        total = sum(weights[(d - 1) % 7] for d in days)
        r = rng.random() * total
        for d in days:
            r -= weights[(d - 1) % 7]
            if r <= 0:
                return d
        return days[-1]

    def _roll(self, rng: random.Random, rule: str, counters: dict[str, list[int]],
              boosted: tuple[float, str] | None = None) -> str:
        """'' or the scenario under which to inject. Rate-driven rolls are counted so tests can
        compare injected with expected counts; fraud-actor rolls are not."""
        if boosted is not None:
            return boosted[1] if rng.random() < boosted[0] else ""
        c = counters.setdefault(rule, [0, 0])
        c[0] += 1
        if rng.random() < self.rates[rule]:
            c[1] += 1
            return "rate"
        return ""

    def _foreign_doctor(self, rng: random.Random, inst: Institution, first: int, last: int) -> Staff | None:
        for _ in range(30):
            s = self.doctors[rng.randrange(len(self.doctors))]
            if not any(r.institution_code == inst.code for r in s.registrations) and not any(
                    a <= last and first <= b for a, b in s.suspensions):
                return s
        return None

    def patient(self, index: int, fraud: bool) -> PatientWorld:
        rng = random.Random(f"fundguard-generator/{self.seed}/{index}")
        p = self.person(rng, index)
        counters: dict[str, list[int]] = {}
        labels: list[Label] = []
        intents: dict[tuple[str, str], str] = {}
        capped: dict[str, list[int]] = {}
        last = self.end if p.death is None else min(self.end, p.death)
        years = (self.start - p.birth) / 365.25
        act = self.actors if fraud else Actors()

        # -- stays: the skeleton everything else avoids
        rate = 0.07 if years < 45 else 0.12 if years < 65 else 0.28
        if p.gender == "2" and 20 <= years <= 40:
            rate += 0.06
        stays: list[tuple[int, int, Institution, cat.Diagnosis, str]] = []  # adm, dis, inst, dx, scenario
        day = self.start + rng.randint(0, 20)
        while True:
            day += int(rng.expovariate(rate / 365.0)) if rate > 0 else 10**6
            if day > last - 2:
                break
            dx = self._diagnosis(rng, p, day, cat.INPATIENT_DIAGNOSES)
            los = 3 if dx.code == "O80.000" else max(1, min(40, round(rng.lognormvariate(2.0, 0.45))))
            dis = min(day + los, last)
            inst = rng.choice([h for h in p.hospitals if dx.code not in cat.SURGERY or h.level != "1"])
            stays.append((day, dis, inst, dx, ""))
            day = dis + STAY_GAP
        if last - self.start > 150 and self._roll(rng, "R-FREQUENT-ADMISSIONS", counters):
            a = rng.randint(self.start, last - 130)
            stays = [s for s in stays if s[1] < a - 120 or s[0] > a + 200]
            n = rng.randint(4, 5)
            for _k in range(n):
                dx = self._diagnosis(rng, p, a, cat.INPATIENT_DIAGNOSES)
                los = rng.randint(2, 4)
                stays.append((a, a + los, rng.choice(p.hospitals), dx, ""))
                a += los + rng.randint(17, 20)  # more than SPLIT_DAYS apart
            intents[("R-FREQUENT-ADMISSIONS", "")] = "rate"
            stays.sort(key=lambda s: s[0])
        split: list[tuple[int, int, Institution, cat.Diagnosis, str]] = []
        for i, (_adm, dis, inst, dx, _s) in enumerate(stays):
            nxt = stays[i + 1][0] if i + 1 < len(stays) else last + 1 + STAY_GAP
            if dis + 17 > last or dis + 17 + STAY_GAP > nxt:
                continue  # no room for a readmission before the next stay
            boost = (0.3, "split-hospitalisation") if inst.code == act.split_hospital else None
            scenario = self._roll(rng, "R-SPLIT-ADMISSION", counters, boost)
            if scenario:
                a2 = dis + rng.randint(2, 12)
                split.append((a2, a2 + rng.randint(2, 5), inst, dx, scenario))
        stays = sorted(stays + split, key=lambda s: s[0])
        encounters: list[Encounter] = []
        busy: list[tuple[int, int]] = []
        for adm, dis, inst, dx, scen in stays:
            encounters.append(self.inpatient(rng, p, adm, dis, inst, capped, dx))
            if scen:
                intents[("R-SPLIT-ADMISSION", f"{inst.code}/{adm}")] = scen
            busy.append((adm, dis))

        # -- outpatient visits and pharmacy purchases, month by month
        out_days: set[int] = set()
        pharm_days: set[int] = set()
        out_rate = 6 if years < 7 else 3 if years < 18 else 2.5 if years < 45 else 4.5 if years < 65 else 7.5
        pharm_rate = 2.0 + (3.0 if years >= 45 else 0.0)
        for first, mlast in self.months:
            if first > last:
                break
            mlast = min(mlast, last)
            season = 1.0 + 0.3 * math.cos(2 * math.pi * (date.fromordinal(first).month - 1) / 12)
            for _k in range(min(BASE_VISITS_CAP, _poisson(rng, out_rate / 12 * season))):
                d = self._weighted_day(rng, first, mlast, OUT_WEEKDAY, out_days, busy)
                if d is not None:
                    out_days.add(d)
                    inst = p.clinic if rng.random() < 0.6 else rng.choice(p.hospitals)
                    encounters.append(self.outpatient(rng, p, d, inst, capped))
            for _k in range(min(BASE_PURCHASES_CAP, _poisson(rng, pharm_rate / 12 * season))):
                d = self._weighted_day(rng, first, mlast, PHARM_WEEKDAY, pharm_days, busy)
                if d is not None:
                    pharm_days.add(d)
                    encounters.append(self.pharmacy(rng, p, d, p.pharmacy, capped))

        # -- line-level injections on the clean encounters
        for enc in list(encounters):
            if enc.setting in ("1", "2"):
                ceiling_lines = [ln for ln in enc.lines if ln.item.ceilings and ln.item.kind != "bed"]
                if ceiling_lines:
                    boost = (0.6, "upcoding-doctor") if enc.doctor.code == act.upcoding_doctor else None
                    scenario = self._roll(rng, "R-PRICE-CEILING", counters, boost)
                    if scenario:
                        ln = ceiling_lines[rng.randrange(len(ceiling_lines))]
                        ceiling = ln.item.ceiling_at(enc.inst.level) or 0
                        ln.price = ceiling * rng.randint(110, 160) // 100
                        ln.labels.append(("R-PRICE-CEILING", (ln.price - ceiling) * ln.qty, scenario))
                        enc.tainted = True
            if enc.setting in ("1", "3"):
                self._inject_sex(rng, p, enc, "R-DRUG-SEX", ("101",), counters)
            if enc.setting == "1":
                self._inject_sex(rng, p, enc, "R-SERVICE-SEX", ("201",), counters)
            if enc.setting in ("1", "2") and self._roll(rng, "R-DOCTOR-BINDING", counters):
                other = self._foreign_doctor(rng, enc.inst, enc.adm - 5, enc.dis + 5)
                if other is None:
                    counters["R-DOCTOR-BINDING"][1] -= 1
                else:
                    enc.doctor = other
                    for ln in enc.lines:
                        ln.doctor = other
                    intents[("R-DOCTOR-BINDING", str(id(enc)))] = "rate"
                    enc.tainted = True

        # -- stay-level injections
        for enc in [e for e in encounters if e.setting == "2"]:
            beds = [ln for ln in enc.lines if ln.item.kind == "bed" and not ln.labels]
            if beds and self._roll(rng, "R-BED-DAYS-OVER-STAY", counters):
                ln = beds[rng.randrange(len(beds))]
                extra = rng.randint(1, 3)
                ln.qty += extra
                enc.labels.append(("R-BED-DAYS-OVER-STAY", extra * ln.price, "rate"))
                enc.tainted = True
            movable = [ln for ln in enc.lines if ln.item.kind not in ("bed",) and not ln.labels]
            if movable and self._roll(rng, "R-CHARGE-OUTSIDE-STAY", counters):
                ln = movable[rng.randrange(len(movable))]
                after = enc.dis + rng.randint(1, 3)
                ln.day = after if (p.death is None or after <= p.death) and after <= self.end else enc.adm - 1
                ln.labels.append(("R-CHARGE-OUTSIDE-STAY", ln.amount, "rate"))
                enc.tainted = True
            if enc.dis - enc.adm >= 2:
                boosts: list[tuple[float, str] | None] = [None]
                if act.phantom_clinic:
                    boosts.append((0.1, "phantom-services"))
                for boost in boosts:
                    scenario = self._roll(rng, "R-OUTPATIENT-DURING-STAY", counters, boost)
                    if scenario:
                        d = rng.randint(enc.adm + 1, enc.dis - 1)
                        inst = self.by_code[act.phantom_clinic] if boost else p.clinic
                        e2 = self.outpatient(rng, p, d, inst, capped)
                        self._label_all(e2, "R-OUTPATIENT-DURING-STAY", scenario)
                        encounters.append(e2)

        # -- patient-level injections
        if p.death is not None and p.death < self.end:
            boosts = [None]
            if act.phantom_clinic:
                boosts.append((0.5, "phantom-services"))
            for boost in boosts:
                scenario = self._roll(rng, "R-AFTER-DEATH", counters, boost)
                if scenario:
                    d = rng.randint(p.death + 1, self.end)
                    if boost:
                        e2 = self.outpatient(rng, p, d, self.by_code[act.phantom_clinic], capped)
                    elif rng.random() < 0.5:
                        e2 = self.outpatient(rng, p, d, p.clinic, capped)
                    else:
                        e2 = self.pharmacy(rng, p, d, p.pharmacy, capped)
                    self._label_all(e2, "R-AFTER-DEATH", scenario)
                    encounters.append(e2)
        self._inject_split_prescription(rng, p, last, busy, pharm_days, encounters, capped, counters)
        full_months = [(a, b) for a, b in self.months if b <= last]
        if full_months and self._roll(rng, "R-FREQUENT-VISITS", counters):
            a, b = full_months[rng.randrange(len(full_months))]
            have = sum(1 for e in encounters if e.setting == "1" and a <= e.adm <= b)
            for _k in range(max(0, rng.randint(MAX_VISITS + 1, MAX_VISITS + 3) - have)):
                d = self._weighted_day(rng, a, b, OUT_WEEKDAY, out_days, busy)
                if d is None:
                    break
                out_days.add(d)
                e2 = self.outpatient(rng, p, d, p.clinic if rng.random() < 0.7 else rng.choice(p.hospitals), capped)
                e2.tainted = True
                encounters.append(e2)
            intents[("R-FREQUENT-VISITS", month_key(a))] = "rate"
        if full_months and self._roll(rng, "R-FREQUENT-PURCHASES", counters):
            a, b = full_months[rng.randrange(len(full_months))]
            have = sum(1 for e in encounters if e.setting == "3" and a <= e.adm <= b)
            for _k in range(max(0, rng.randint(MAX_PURCHASES + 1, MAX_PURCHASES + 3) - have)):
                d = self._weighted_day(rng, a, b, PHARM_WEEKDAY, pharm_days, busy)
                if d is None:
                    break
                pharm_days.add(d)
                e2 = self.pharmacy(rng, p, d, p.pharmacy, capped)
                e2.tainted = True
                encounters.append(e2)
            intents[("R-FREQUENT-PURCHASES", month_key(a))] = "rate"
        boost = (0.08, "card-misuse-pharmacy") if p.pharmacy.code == act.misuse_pharmacy else None
        if last - self.start > 3 and self._roll(rng, "R-CARD-MISUSE", counters, boost):
            d = self._weighted_day(rng, self.start, last, PHARM_WEEKDAY, pharm_days, busy) or last
            pharm_days.add(d)
            if rng.random() < 0.5:  # a night purchase
                e2 = self.pharmacy(rng, p, d, p.pharmacy, capped, sec=rng.randint(0, 5 * 3600 - 1))
                e2.tainted = True
                encounters.append(e2)
            else:  # a burst of small purchases in one day
                for _k in range(rng.randint(5, 6)):
                    e2 = Encounter("3", p.pharmacy, self.pick_doctor(rng, p.pharmacy, d, d), d, d, ("Z00.000",),
                                   tainted=True)
                    item = cat.BY_CODE[SMALL_ITEMS[rng.randrange(len(SMALL_ITEMS))]]
                    e2.lines.append(Line(item, rng.randint(1, 2), item.price_at("1"), d,
                                         rng.randint(8 * 3600, 21 * 3600), e2.doctor))
                    encounters.append(e2)
            intents[("R-CARD-MISUSE", date.fromordinal(d).isoformat())] = boost[1] if boost else "rate"

        # -- duplicate claims of clean encounters (last, so only clean ones are copied)
        for enc in list(encounters):
            if enc.setting == "2" or enc.tainted or enc.copy_of is not None:
                continue
            boost = (0.08, "double-claims") if enc.inst.code == act.double_claims else None
            scenario = self._roll(rng, "R-DUPLICATE-INVOICE", counters, boost)
            if scenario:
                copy = Encounter(enc.setting, enc.inst, enc.doctor, enc.adm, enc.dis, enc.diagnoses, enc.procedures,
                                 [Line(ln.item, ln.qty, ln.price, ln.day, ln.sec, ln.doctor) for ln in enc.lines],
                                 tainted=True, copy_of=enc, received_delay=enc.received_delay + rng.randint(3, 30))
                self._label_all(copy, "R-DUPLICATE-INVOICE", scenario)
                enc.tainted = True
                encounters.append(copy)

        # -- identities, then the rules that count are labelled from the final data
        order = sorted(range(len(encounters)), key=lambda k: (encounters[k].adm, k))
        encounters = [encounters[k] for k in order]
        for seq, enc in enumerate(encounters, 1):
            suffix = f"{index:08d}{seq:04d}"
            enc.encounter_id = f"MDT{suffix}"
            enc.claim_id = f"C{suffix}"
            for n, ln in enumerate(enc.lines, 1):
                ln.line_id = f"{enc.encounter_id}-{n:04d}"
        for enc in encounters:
            enc.invoice_no = enc.copy_of.invoice_no if enc.copy_of is not None else f"INV{enc.encounter_id[3:]}"
        labels = self._labels(p, encounters, intents, act)
        return PatientWorld(p, encounters, labels, counters)

    def _label_all(self, enc: Encounter, rule: str, scenario: str) -> None:
        enc.tainted = True
        for ln in enc.lines:
            ln.labels.append((rule, ln.amount, scenario))

    def _inject_sex(self, rng: random.Random, p: Person, enc: Encounter, rule: str, types: tuple[str, ...],
                    counters: dict[str, list[int]]) -> None:
        other = "2" if p.gender == "1" else "1"
        age = enc.adm - p.birth
        fits = [i for i in cat.ITEMS if i.item_type in types and i.sex_limit == other and i.code not in cat.NEVER_BILLED
                and enc.setting in i.care_settings and enc.inst.level in i.levels and not i.indications
                and (i.min_age_days is None or age >= i.min_age_days + cat.AGE_MARGIN_DAYS)
                and (i.max_age_days is None or age <= i.max_age_days - cat.AGE_MARGIN_DAYS)]
        if not fits or not self._roll(rng, rule, counters):
            return
        item = fits[rng.randrange(len(fits))]
        ln = Line(item, 1, item.price_at(enc.inst.level), enc.adm, enc.lines[0].sec if enc.lines else 9 * 3600,
                  enc.doctor)
        ln.labels.append((rule, ln.amount, "rate"))
        enc.lines.append(ln)
        enc.tainted = True

    def _inject_split_prescription(self, rng: random.Random, p: Person, last: int, busy: list[tuple[int, int]],
                                   pharm_days: set[int], encounters: list[Encounter], capped: dict[str, list[int]],
                                   counters: dict[str, list[int]]) -> None:
        if last - self.start < 20 or not self._roll(rng, "R-SPLIT-PRESCRIPTION", counters):
            return
        for _attempt in range(10):
            d1 = rng.randint(self.start, last - 7)
            d2 = d1 + rng.randint(1, 5)
            dx = self._diagnosis(rng, p, d1, cat.OUTPATIENT_DIAGNOSES)
            drugs = [cat.BY_CODE[c] for c in dx.drugs if cat.BY_CODE[c].max_quantity is not None]
            drugs = [i for i in drugs if i.allowed(p.gender, d1 - p.birth, "3", "1", (dx.code,))
                     and not any(d1 - 10 <= d <= d2 + 10 for d in capped.get(i.code, ()))]
            if not drugs or d1 in pharm_days or d2 in pharm_days or any(
                    a <= d <= b for a, b in busy for d in (d1, d2)):
                continue
            item = drugs[0]
            cap = item.max_quantity or 0
            q1 = rng.randint(cap // 2 + 1, cap)
            q2 = rng.randint(cap - q1 + 1, cap)
            line2: Line | None = None
            for d, q in ((d1, q1), (d2, q2)):
                pharm_days.add(d)
                sec = rng.randint(9 * 3600, 20 * 3600)
                e2 = Encounter("3", p.pharmacy, self.pick_doctor(rng, p.pharmacy, d, d), d, d, (dx.code,), tainted=True)
                line2 = Line(item, q, item.price_at("1"), d, sec, e2.doctor)
                e2.lines.append(line2)
                capped.setdefault(item.code, []).append(d)
                encounters.append(e2)
            assert line2 is not None
            line2.labels.append(("R-SPLIT-PRESCRIPTION", (q1 + q2 - cap) * line2.price, "rate"))
            return
        counters["R-SPLIT-PRESCRIPTION"][1] -= 1

    def _labels(self, p: Person, encounters: list[Encounter], intents: dict[tuple[str, str], str],
                act: Actors) -> list[Label]:
        out: list[Label] = []
        for enc in encounters:
            for rule, amount, scenario in enc.labels:
                out.append(Label(rule, LEVEL[rule], enc, None, "", amount, scenario))
            binding = intents.get(("R-DOCTOR-BINDING", str(id(enc))))
            unbound: dict[tuple[str, int], bool] = {}
            for ln in enc.lines:
                for rule, amount, scenario in ln.labels:
                    out.append(Label(rule, "line", enc, ln, "", amount, scenario))
                doc = ln.doctor
                k = (doc.code, ln.day)
                if k not in unbound:
                    unbound[k] = not doc.registered(enc.inst.code, ln.day) or doc.suspended(ln.day)
                if unbound[k]:
                    scenario = binding or ("suspended-doctor" if doc.code == act.suspended_doctor
                                           and doc.suspended(ln.day) else "incidental")
                    out.append(Label("R-DOCTOR-BINDING", "line", enc, ln, "", ln.amount, scenario))
        # Counting rules, from the final data.
        visits: dict[str, int] = {}
        purchases: dict[str, int] = {}
        for enc in encounters:
            if enc.setting == "1":
                visits[month_key(enc.adm)] = visits.get(month_key(enc.adm), 0) + 1
            elif enc.setting == "3":
                purchases[month_key(enc.adm)] = purchases.get(month_key(enc.adm), 0) + 1
        for rule, counts, limit in (("R-FREQUENT-VISITS", visits, MAX_VISITS),
                                    ("R-FREQUENT-PURCHASES", purchases, MAX_PURCHASES)):
            for month in sorted(counts):
                if counts[month] > limit:
                    out.append(Label(rule, "patient_month", None, None, month, 0,
                                     intents.get((rule, month), "incidental")))
        stays = [e for e in encounters if e.setting == "2"]
        if any(sum(1 for t in stays if s.adm - 89 <= t.adm <= s.adm) > MAX_ADMISSIONS for s in stays):
            out.append(Label("R-FREQUENT-ADMISSIONS", "patient", None, None, "", 0,
                             intents.get(("R-FREQUENT-ADMISSIONS", ""), "incidental")))
        for i, s in enumerate(stays):
            prev = [t for t in stays[:i] if t.inst.code == s.inst.code and t.dis <= s.adm]
            if prev and s.adm - max(t.dis for t in prev) <= SPLIT_DAYS:
                out.append(Label("R-SPLIT-ADMISSION", "encounter", s, None, "", 0,
                                 intents.get(("R-SPLIT-ADMISSION", f"{s.inst.code}/{s.adm}"), "incidental")))
        small: dict[int, int] = {}
        night: set[int] = set()
        for enc in encounters:
            if enc.setting == "3":
                if enc.total < SMALL_PURCHASE:
                    small[enc.adm] = small.get(enc.adm, 0) + 1
                if enc.lines and min(ln.sec for ln in enc.lines) < 5 * 3600:
                    night.add(enc.adm)
        bursts = {k for k, v in small.items() if v >= 5}
        for d in sorted(bursts | night):
            key = date.fromordinal(d).isoformat()
            # A night purchase is visible only to an engine that sees the fee time.
            out.append(Label("R-CARD-MISUSE", "patient_day", None, None, key, 0,
                             intents.get(("R-CARD-MISUSE", key), "incidental"), "" if d in bursts else "fee_time"))
        return out
