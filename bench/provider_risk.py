"""Credit's provider risk score, computed in process on a generated world.

The credit service scores a period from the indicator rows claims sends it (``PeriodRow``,
one per institution, with a ``DoctorRow`` per doctor) and from the violation history its
ledger holds (points, confirmed amount and findings, and the sanctions those points called
for). Here both are built from the world itself, then passed to the very functions
``GetRiskScores`` calls (``indicators.compute``, ``indicators.doctor_scores``,
``risk.score``), with the same arguments:

- indicator rows: one row per institution and month from the Parquet lines and encounters,
  summed over the world's whole span with ``indicators.combine`` (what the service does for
  a quarter without rows of its own). The world has no previous year, so there are no
  last-year rows and no growth scores, as in the service's first year.
- violation history: every finding the rules engine makes on the world counts as a
  confirmed finding (the bench has no reviewers); points come from ``ledger.institution_points``
  and ``ledger.staff_points``, the sanctions in force from ``ledger.institution_deserved`` and
  ``ledger.staff_deserved`` as of the world's last day. A finding belongs to its encounter's
  institution and doctor, as ``services.rules.domain.engine.to_findings`` attributes it.

What the Parquet does not carry is filled plainly: the fund's share of the cost (``fund_paid``
= total cost; it only enters growth scores), hospital infections (0), and the region is the
division's first four digits (the prefecture), so peers are institutions of one level and type.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl

from services.credit.domain import indicators as ind
from services.credit.domain import ledger as L
from services.credit.domain import risk
from services.credit.domain.policy import Policy
from services.rules.domain.model import Batch

# Catalogue item kinds (catalogue/items.csv) to the kinds credit's indicators measure.
KIND_OF = {"drug": "drug", "herb": "drug", "exam": "exam", "lab": "exam", "consumable": "consumable",
           "ct": "ct", "mri": "mri", "treatment": "treatment", "surgery": "treatment", "nursing": "treatment",
           "service": "treatment"}
READMISSION_DAYS = 31
STAFF_SANCTIONS = ("staff_suspension", "staff_termination")


@dataclass(frozen=True)
class Scores:
    """Credit's 0-100 score per institution and per doctor."""

    institution: dict[str, float]
    doctor: dict[str, float]


def _dec(x: object) -> Decimal:
    return Decimal(str(x)).quantize(Decimal("0.01"))


def _institutions(world: Path) -> dict[str, tuple[str, str, str, str]]:
    """code -> (name, level, type, region)."""
    reg = pl.read_csv(world / "registry" / "institutions.csv", infer_schema=False)
    return {c: (n, lv, t, d[:4]) for c, n, lv, t, d in reg.select("code", "name", "level", "type", "division")
            .iter_rows()}


def _item_kinds(world: Path) -> pl.DataFrame:
    items = pl.read_csv(world / "catalogue" / "items.csv", infer_schema=False).select("item_code", "item_kind")
    return items.unique("item_code").with_columns(
        kind=pl.col("item_kind").replace_strict(KIND_OF, default="other")).select("item_code", "kind")


def period_rows(world: Path, batch: Batch) -> list[ind.PeriodRow]:
    """One indicator row per institution for the world's whole span (monthly rows combined)."""
    inst = _institutions(world)
    enc = batch.encounters.filter(~pl.col("is_history").fill_null(False)).with_columns(
        month=pl.coalesce("admission_date", "discharge_date").dt.strftime("%Y-%m"))
    lines = batch.lines.filter(~pl.col("is_history").fill_null(False)) \
        .join(enc.select("claim_id", "institution_code", "month", pl.col("doctor_code").alias("enc_doctor")),
              on="claim_id", how="inner") \
        .join(_item_kinds(world), on="item_code", how="left") \
        .with_columns(kind=pl.col("kind").fill_null("other"),
                      doctor=pl.coalesce(pl.col("doctor_code"), pl.col("enc_doctor")))
    key = ["institution_code", "month"]
    # Month of a line is its encounter's month: an encounter is one settlement in one period.
    heads = enc.group_by(key).agg(settlements=pl.col("claim_id").n_unique(), patients=pl.col("patient_id").n_unique())
    cost = lines.group_by(key).agg(total=pl.col("amount").sum())
    kinds = lines.group_by([*key, "kind"]).agg(amount=pl.col("amount").sum())
    doctors = lines.filter(pl.col("doctor").is_not_null() & (pl.col("doctor") != "")).group_by([*key, "doctor"]).agg(
        visits=pl.col("claim_id").n_unique(), patients=pl.col("patient_id").n_unique(),
        total=pl.col("amount").sum(), drug=pl.col("amount").filter(pl.col("kind") == "drug").sum())
    stays = enc.filter((pl.col("care_setting") == "2") & pl.col("admission_date").is_not_null()) \
        .select("institution_code", "patient_id", "month", "admission_date", "discharge_date") \
        .sort("institution_code", "patient_id", "admission_date")
    stays = stays.with_columns(prev_discharge=pl.col("discharge_date").shift(1).over("institution_code", "patient_id"))
    stays = stays.with_columns(readmitted=(pl.col("admission_date") - pl.col("prev_discharge")).dt.total_days()
                               .is_between(0, READMISSION_DAYS).fill_null(False))
    wards = stays.group_by(key).agg(discharges=pl.col("discharge_date").is_not_null().sum(),
                                    readmissions=pl.col("readmitted").sum())

    by_kind: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(dict)
    for code, month, kind, amount in kinds.iter_rows():
        by_kind[(code, month)][kind] = _dec(amount)
    docs: dict[tuple[str, str], list[ind.DoctorRow]] = defaultdict(list)
    for code, month, doctor, visits, patients, total, drug in doctors.sort([*key, "doctor"]).iter_rows():
        docs[(code, month)].append(ind.DoctorRow(doctor, visits, patients, _dec(total), _dec(drug or 0)))
    totals = {(c, m): _dec(t) for c, m, t in cost.iter_rows()}
    ward = {(c, m): (int(d), int(r)) for c, m, d, r in wards.iter_rows()}
    monthly: dict[str, list[ind.PeriodRow]] = defaultdict(list)
    for code, month, settlements, patients in heads.sort(key).iter_rows():
        name, level, typ, region = inst.get(code, ("", "", "", ""))
        total = totals.get((code, month), Decimal(0))
        discharges, readmissions = ward.get((code, month), (0, 0))
        monthly[code].append(ind.PeriodRow(
            institution_code=code, period=month, settlements=settlements, patients=patients, total_cost=total,
            fund_paid=total, cost_by_kind=by_kind[(code, month)], discharges=discharges,
            readmissions_31d=readmissions, doctors=docs[(code, month)], name=name, level=level, type=typ,
            region=region))
    months = sorted(str(m) for m in enc["month"].drop_nulls().unique())
    span = f"{months[0]}..{months[-1]}" if months else ""
    return [ind.combine(span, rows) for _, rows in sorted(monthly.items())]


def _facts(findings: pl.DataFrame, batch: Batch, rules: Mapping[tuple[str, int], tuple[str, str, str]]
           ) -> list[tuple[date | None, L.FindingFacts]]:
    owners = batch.encounters.select("claim_id", "institution_code", "doctor_code").unique("claim_id")
    rows = findings.join(owners, on="claim_id", how="left").with_row_index("n")
    out = []
    for n, rule_id, version, amount, day, inst, doctor in rows.select(
            "n", "rule_id", "rule_version", "amount", "service_date", "institution_code", "doctor_code").iter_rows():
        national, tier, result_type = rules[(rule_id, version)]
        out.append((day, L.FindingFacts(f"F{n}", rule_id, national, tier, result_type, _dec(amount or 0),
                                        inst or "", doctor or "")))
    return out


def history(policy: Policy, findings: pl.DataFrame, batch: Batch,
            rules: Mapping[tuple[str, int], tuple[str, str, str]], today: date) -> dict[str, risk.History]:
    """Per institution and doctor: what credit's ledger would hold had every finding been confirmed."""
    facts = _facts(findings, batch, rules)
    amount: dict[str, Decimal] = defaultdict(Decimal)
    count: dict[str, int] = defaultdict(int)
    entries: dict[tuple[str, str], list[L.Entry]] = defaultdict(list)
    for i, (day, f) in enumerate(facts):
        on = day or today
        for subject in (f.institution_code, f.doctor_code):
            if subject:
                amount[subject] += f.amount
                count[subject] += 1
        points = L.institution_points(policy, f)
        if points and f.institution_code:
            entries[("institution", f.institution_code)].append(L.Entry(i, points, on, f.finding_id))
        if f.doctor_code:
            entries[("staff", f.doctor_code)].append(L.Entry(i, L.staff_points(policy, f), on, f.finding_id))
    out: dict[str, risk.History] = {}
    for subject in amount:
        points = 0
        sanctions: list[str] = []
        for ledger in ("institution", "staff"):
            es = entries.get((ledger, subject), [])
            points += sum(e.points for e in es)
            if ledger == "institution":
                sanctions += [d.kind for d in L.institution_deserved(policy, subject, today.year, es)]
            else:
                # As GetRiskScores' blacklist: a staff suspension counts while it is in force.
                sanctions += [d.kind for d in L.staff_deserved(policy, subject, today.year, es)
                              if d.kind == "staff_termination" or d.end is None or d.end >= today]
        out[subject] = risk.History(points, amount[subject], count[subject], tuple(sorted(set(sanctions))))
    return out


def credit_scores(policy: Policy, rows: Sequence[ind.PeriodRow], hist: Mapping[str, risk.History]) -> Scores:
    """Exactly GetRiskScores' calls, for both subject kinds."""
    computed = ind.compute(policy, rows, {})
    by_code = {r.institution_code: r for r in rows}
    institution = {c.institution_code: risk.score(policy, c.institution_code, "institution", c.peer_scores,
                                                  by_code[c.institution_code].total_cost,
                                                  hist.get(c.institution_code, risk.History()),
                                                  c.institution_code).score for c in computed}
    cost = {d.doctor_code: d.total_cost for r in rows for d in r.doctors}
    doctor = {d: risk.score(policy, d, "doctor", z, cost.get(d, Decimal(0)), hist.get(d, risk.History()), inst).score
              for d, (inst, z) in ind.doctor_scores(rows).items()}
    return Scores(institution, doctor)
