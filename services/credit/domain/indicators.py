"""Fund indicators per institution and period: values, growth, robust peer scores, warnings.

Anomaly scores are robust z-scores (median and MAD): a handful of extreme institutions in a
peer group must not inflate the spread they are measured against, which mean/stddev does.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from statistics import median

from services.credit.domain.policy import Policy

PERIOD = re.compile(r"^(?P<year>\d{4})-(?:(?P<month>0[1-9]|1[0-2])|Q(?P<quarter>[1-4]))$")
ITEM_KINDS = ("drug", "exam", "consumable", "treatment", "ct", "mri", "other")

# The eight national statistical indicators (national_rules_v1.csv) and the item kind each measures.
ZB = {
    "ZB10000205001000": "drug",
    "ZB10000205002000": "exam",
    "ZB10000205003000": "consumable",
    "ZB10000205004000": "treatment",
    "ZB10000205005000": "ct",
    "ZB10000205006000": "mri",
}
ZB_INFECTION = "ZB10000205007000"
ZB_READMISSION = "ZB10000205008000"
GROWTH_OF = ("settlements", "patients", "total_cost", "fund_paid", "cost_per_visit", "cost_per_patient")
# What is compared with peers: growth of the money and volume, and the level of the shares.
SCORED_GROWTH = ("total_cost", "fund_paid", "cost_per_visit", "cost_per_patient", "settlements")
SCORED_VALUES = ("cost_per_visit", *ZB)
MAD_SCALE = 1.4826   # MAD of a normal sample times this estimates its standard deviation


def parse_period(period: str) -> tuple[int, int | None, int | None] | None:
    """(year, month, quarter) or None when malformed."""
    m = PERIOD.match(period)
    if not m:
        return None
    return (int(m["year"]), int(m["month"]) if m["month"] else None, int(m["quarter"]) if m["quarter"] else None)


def same_period_last_year(period: str) -> str:
    return f"{int(period[:4]) - 1}{period[4:]}"


def months_of(period: str) -> list[str]:
    parsed = parse_period(period)
    assert parsed is not None
    year, month, quarter = parsed
    if quarter is None:
        return [period]
    return [f"{year}-{m:02d}" for m in range(3 * quarter - 2, 3 * quarter + 1)]


@dataclass(frozen=True)
class Item:
    item_code: str
    item_name: str
    item_kind: str
    count: int
    amount: Decimal
    patients: int = 0


@dataclass(frozen=True)
class DoctorRow:
    doctor_code: str
    visits: int
    patients: int
    total_cost: Decimal
    drug_cost: Decimal


@dataclass(frozen=True)
class PeriodRow:
    """One institution's aggregates for one period, as supplied by claims or a batch job."""

    institution_code: str
    period: str
    settlements: int
    patients: int
    total_cost: Decimal
    fund_paid: Decimal
    cost_by_kind: Mapping[str, Decimal]
    discharges: int = 0
    hospital_infections: int = 0
    readmissions_31d: int = 0
    items: Sequence[Item] = ()
    doctors: Sequence[DoctorRow] = ()
    name: str = ""
    level: str = ""
    type: str = ""
    region: str = ""

    @property
    def peer_group(self) -> str:
        return f"{self.level}|{self.type}|{self.region}"


def combine(period: str, rows: Sequence[PeriodRow]) -> PeriodRow:
    """Sum one institution's monthly rows into a quarter (items and doctors by code)."""
    first = rows[0]
    kinds: dict[str, Decimal] = defaultdict(Decimal)
    items: dict[str, list[Item]] = defaultdict(list)
    doctors: dict[str, list[DoctorRow]] = defaultdict(list)
    for r in rows:
        for k, v in r.cost_by_kind.items():
            kinds[k] += v
        for it in r.items:
            items[it.item_code].append(it)
        for d in r.doctors:
            doctors[d.doctor_code].append(d)
    return PeriodRow(
        institution_code=first.institution_code, period=period,
        settlements=sum(r.settlements for r in rows), patients=sum(r.patients for r in rows),
        total_cost=sum((r.total_cost for r in rows), Decimal(0)),
        fund_paid=sum((r.fund_paid for r in rows), Decimal(0)),
        cost_by_kind=dict(kinds),
        discharges=sum(r.discharges for r in rows),
        hospital_infections=sum(r.hospital_infections for r in rows),
        readmissions_31d=sum(r.readmissions_31d for r in rows),
        items=[Item(code, its[0].item_name, its[0].item_kind, sum(i.count for i in its),
                    sum((i.amount for i in its), Decimal(0)), sum(i.patients for i in its))
               for code, its in items.items()],
        doctors=[DoctorRow(code, sum(d.visits for d in ds), sum(d.patients for d in ds),
                           sum((d.total_cost for d in ds), Decimal(0)), sum((d.drug_cost for d in ds), Decimal(0)))
                 for code, ds in doctors.items()],
        name=first.name, level=first.level, type=first.type, region=first.region,
    )


def _ratio(a: Decimal | int, b: Decimal | int) -> float | None:
    return float(a) / float(b) if b else None


def values_of(r: PeriodRow) -> dict[str, float | None]:
    v: dict[str, float | None] = {
        "settlements": float(r.settlements),
        "patients": float(r.patients),
        "total_cost": float(r.total_cost),
        "fund_paid": float(r.fund_paid),
        "cost_per_visit": _ratio(r.total_cost, r.settlements),
        "cost_per_patient": _ratio(r.total_cost, r.patients),
    }
    for code, kind in ZB.items():
        v[code] = _ratio(r.cost_by_kind.get(kind, Decimal(0)), r.total_cost)
    v[ZB_INFECTION] = _ratio(r.hospital_infections, r.discharges)
    v[ZB_READMISSION] = _ratio(r.readmissions_31d, r.discharges)
    return v


def robust_fit(sample: Sequence[float]) -> Callable[[float], float]:
    """z for a sample: (x - median) / (1.4826 * MAD), falling back to the mean absolute
    deviation when MAD is 0. Fitted once per peer group, then applied to each member."""
    if len(sample) < 2:
        return lambda x: 0.0
    med = median(sample)
    mad = median(abs(s - med) for s in sample) * MAD_SCALE
    if mad == 0:
        mad = sum(abs(s - med) for s in sample) / len(sample) * 1.2533
    if mad == 0:
        return lambda x: 0.0
    return lambda x: (x - med) / mad


def meanstd_fit(sample: Sequence[float]) -> Callable[[float], float]:
    """The classic z, kept as the benchmark's baseline."""
    if len(sample) < 2:
        return lambda x: 0.0
    mean = sum(sample) / len(sample)
    sd = (sum((s - mean) ** 2 for s in sample) / len(sample)) ** 0.5
    return (lambda x: 0.0) if sd == 0 else (lambda x: (x - mean) / sd)


def robust_z(x: float, sample: Sequence[float]) -> float:
    return robust_fit(sample)(x)


@dataclass
class RiskWarning:
    indicator: str
    value: float
    baseline: float
    score: float
    message: str
    drilldown: list[ItemDelta] = field(default_factory=list)


@dataclass(frozen=True)
class ItemDelta:
    item_code: str
    item_name: str
    item_kind: str
    count: int
    count_before: int
    amount: Decimal
    amount_before: Decimal
    increase: Decimal
    share_of_increase: float | None
    share_of_cost: float | None


@dataclass
class Indicators:
    institution_code: str
    period: str
    peer_group: str
    values: dict[str, float | None]
    growth: dict[str, float | None]
    peer_scores: dict[str, float]
    warnings: list[RiskWarning]


def drilldown(cur: PeriodRow, prev: PeriodRow | None, kinds: Iterable[str] | None, limit: int) -> list[ItemDelta]:
    """The items behind a jump: largest increase against the same period last year first."""
    before = {i.item_code: i for i in (prev.items if prev else ())}
    wanted = set(kinds) if kinds is not None else None
    total_increase = cur.total_cost - (prev.total_cost if prev else Decimal(0))
    out = []
    for it in cur.items:
        if wanted is not None and it.item_kind not in wanted:
            continue
        b = before.get(it.item_code)
        amount_before = b.amount if b else Decimal(0)
        inc = it.amount - amount_before
        out.append(ItemDelta(it.item_code, it.item_name, it.item_kind, it.count, b.count if b else 0, it.amount,
                             amount_before, inc, _ratio(inc, total_increase) if total_increase > 0 else None,
                             _ratio(it.amount, cur.total_cost)))
    out.sort(key=lambda d: (-d.increase, -d.amount, d.item_code))
    return out[:limit]


def peer_groups(rows: Sequence[PeriodRow], min_peers: int) -> dict[str, list[PeriodRow]]:
    """Peers by level|type|region; a group too small widens to level|type, then to everyone."""
    exact: dict[str, list[PeriodRow]] = defaultdict(list)
    wide: dict[str, list[PeriodRow]] = defaultdict(list)
    for r in rows:
        exact[r.peer_group].append(r)
        wide[f"{r.level}|{r.type}|*"].append(r)
    out: dict[str, list[PeriodRow]] = {}
    for r in rows:
        if len(exact[r.peer_group]) >= min_peers:
            out[r.institution_code] = exact[r.peer_group]
        elif len(wide[f"{r.level}|{r.type}|*"]) >= min_peers:
            out[r.institution_code] = wide[f"{r.level}|{r.type}|*"]
        else:
            out[r.institution_code] = list(rows)
    return out


def _growth(cur: float | None, prev: float | None) -> float | None:
    if cur is None or prev is None or prev == 0:
        return None
    return (cur - prev) / prev


Fit = Callable[[Sequence[float]], Callable[[float], float]]


def compute(policy: Policy, current: Sequence[PeriodRow], last_year: Mapping[str, PeriodRow],
            fit: Fit = robust_fit) -> list[Indicators]:
    """Indicators for every institution of one period, scored against its peers
    (``fit`` exists so a benchmark can swap in mean/stddev as its baseline)."""
    fitted: dict[tuple[int, str], tuple[list[float], Callable[[float], float]]] = {}

    def peer_fit(peers: list[PeriodRow], table: Mapping[str, Mapping[str, float | None]],
                 key: str) -> tuple[list[float], Callable[[float], float]]:
        # Peer lists are shared by every member of a group: fit each (group, indicator) once.
        cache_key = (id(peers), f"{id(table)}.{key}")
        if cache_key not in fitted:
            sample = [x for p in peers if (x := table[p.institution_code][key]) is not None]
            fitted[cache_key] = (sample, fit(sample))
        return fitted[cache_key]
    vals = {r.institution_code: values_of(r) for r in current}
    prev_vals = {code: values_of(r) for code, r in last_year.items()}
    growth = {code: {k: _growth(v[k], prev_vals.get(code, {}).get(k)) for k in GROWTH_OF} for code, v in vals.items()}
    groups = peer_groups(current, policy.min_peers)
    out: list[Indicators] = []
    gw, zw = float(policy.growth_warning), float(policy.robust_z_warning)
    for r in current:
        code = r.institution_code
        peers = groups[code]
        scores: dict[str, float] = {}
        warnings: list[RiskWarning] = []
        prev = last_year.get(code)
        for k in SCORED_GROWTH:
            g = growth[code][k]
            sample, zf = peer_fit(peers, growth, k)
            if g is None or len(sample) < 2:
                continue
            z = zf(g)
            scores[f"growth.{k}"] = z
            if z >= zw or (g >= gw and k in ("total_cost", "fund_paid", "cost_per_visit")):
                warnings.append(RiskWarning(
                    f"growth.{k}", g, median(sample), z,
                    f"{k} grew {g:.1%} against the same period last year; peers' median {median(sample):.1%}",
                    drilldown(r, prev, None, policy.drilldown_items)))
        for k in SCORED_VALUES:
            x = vals[code][k]
            sample, zf = peer_fit(peers, vals, k)
            if x is None or len(sample) < 2:
                continue
            z = zf(x)
            scores[k] = z
            if z >= zw:
                kind = ZB.get(k)
                warnings.append(RiskWarning(
                    k, x, median(sample), z,
                    f"{k} is {x:.4g} against a peer median of {median(sample):.4g} (robust z {z:.1f})",
                    drilldown(r, prev, [kind] if kind else None, policy.drilldown_items)))
        out.append(Indicators(code, r.period, r.peer_group, vals[code], growth[code], scores, warnings))
    return out


def doctor_scores(rows: Sequence[PeriodRow], fit: Fit = robust_fit) -> dict[str, tuple[str, dict[str, float]]]:
    """Per doctor (across institutions of one period): robust z of cost per visit, per patient
    and drug share among doctors at institutions of the same level and type."""
    by_group: dict[str, list[tuple[str, str, dict[str, float]]]] = defaultdict(list)
    for r in rows:
        for d in r.doctors:
            if d.visits <= 0:
                continue
            m = {"cost_per_visit": float(d.total_cost) / d.visits,
                 "drug_share": float(d.drug_cost) / float(d.total_cost) if d.total_cost else 0.0}
            if d.patients:
                m["cost_per_patient"] = float(d.total_cost) / d.patients
            by_group[f"{r.level}|{r.type}"].append((d.doctor_code, r.institution_code, m))
    out: dict[str, tuple[str, dict[str, float]]] = {}
    for members in by_group.values():
        keys = {k for _, _, m in members for k in m}
        fits = {k: fit([m[k] for _, _, m in members if k in m]) for k in keys}
        for doctor, inst, m in members:
            out[doctor] = (inst, {k: fits[k](v) for k, v in m.items()})
    return out
