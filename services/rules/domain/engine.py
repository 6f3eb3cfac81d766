"""Evaluation: run every rule in force over a batch, in real time or in bulk."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

import polars as pl

from services.rules.domain.catalogue import Catalogue
from services.rules.domain.model import FINDING_SCHEMA, Batch, Finding
from services.rules.domain.rulepack import Rule, RulePack
from services.rules.domain.templates import TEMPLATES


def evaluate_frame(batch: Batch, catalogue: Catalogue, rules: Iterable[Rule]) -> pl.DataFrame:
    """All findings as one frame, with the rule version in force on each line's date."""
    frames: list[pl.DataFrame] = []
    for rule in rules:
        found = TEMPLATES[rule.template](batch, catalogue, rule)
        in_force = pl.col("service_date") >= rule.effective_from
        if rule.effective_to is not None:
            in_force = in_force & (pl.col("service_date") < rule.effective_to)
        found = found.filter(in_force)
        if found.height:
            frames.append(found.with_columns(pl.lit(rule.version).alias("rule_version")))
    if not frames:
        return pl.DataFrame(schema={**FINDING_SCHEMA, "rule_version": pl.Int64})
    return pl.concat(frames, how="vertical_relaxed").sort("claim_id", "rule_id", "line_ids")


def evaluate(batch: Batch, catalogue: Catalogue, pack: RulePack, moment: str,
             rule_ids: Sequence[str] = ()) -> list[Finding]:
    """Findings as objects, each with its rule's metadata: the real-time path's answer."""
    rules = pack.for_moment(moment, set(rule_ids) or None)
    frame = evaluate_frame(batch, catalogue, rules)
    by_key = {(r.rule_id, r.version): r for r in rules}
    claims = batch.encounters.select("claim_id", "institution_code").unique("claim_id")
    institutions = dict(claims.iter_rows())
    out: list[Finding] = []
    for row in frame.iter_rows(named=True):
        rule = by_key[(row["rule_id"], row["rule_version"])]
        amount = row["amount"] if rule.tier != "C" else Decimal("0.00")  # C rules only flag
        out.append(
            Finding(
                rule_id=rule.rule_id,
                rule_version=rule.version,
                national_code=rule.national_code,
                rule_name=rule.name,
                tier=rule.tier,
                result_type=rule.result_type,
                claim_id=row["claim_id"],
                encounter_id=row["encounter_id"],
                patient_id=row["patient_id"],
                line_ids=tuple(row["line_ids"]),
                amount=Decimal(amount).quantize(Decimal("0.01")),
                service_date=row["service_date"] if isinstance(row["service_date"], date) else None,
                explanation=row["explanation"],
                basis=rule.basis,
                evidence=row["evidence"],
                institution_code=institutions.get(row["claim_id"], ""),
            )
        )
    return out
