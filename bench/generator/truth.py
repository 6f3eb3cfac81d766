"""Compare findings with the ground truth: the same keys on both sides, per rule.

A ground-truth row names what breaks a rule at its own level (world.LEVEL): a fee line,
an encounter, a patient's month or day, or a patient. A finding is reduced to keys at the
same level, so engines that report one finding per line or one per encounter are judged
alike. Rules the generator does not know are keyed by encounter.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import polars as pl

from bench.generator.world import LEVEL


def read_truth(world: Path, visible: set[str] | None = None) -> pl.DataFrame:
    """The ground truth; with ``visible`` (the input columns an engine sees), only the rows
    it can see: a row whose ``requires`` names a column outside that set is left out."""
    gt = pl.read_csv(world / "ground_truth" / "violations.csv", infer_schema=False)
    if "requires" not in gt.columns:  # written before the column existed
        gt = gt.with_columns(pl.lit("").alias("requires"))
    gt = gt.with_columns(pl.col(c).fill_null("") for c in gt.columns)
    if visible is not None:
        gt = gt.filter((pl.col("requires") == "") | pl.col("requires").is_in(sorted(visible)))
    return gt


def model_columns() -> set[str]:
    """Every column of the rules domain's input frames as the model defines them now."""
    from services.rules.domain.model import ENCOUNTER_SCHEMA, LINE_SCHEMA, PATIENT_SCHEMA

    return set(LINE_SCHEMA) | set(ENCOUNTER_SCHEMA) | set(PATIENT_SCHEMA)


def truth_keys(gt: pl.DataFrame) -> pl.DataFrame:
    """(rule_id, key, amount) for each ground-truth row."""
    key = (pl.when(pl.col("level") == "line").then(pl.col("line_id"))
           .when(pl.col("level") == "encounter").then(pl.col("encounter_id"))
           .when(pl.col("level") == "patient").then(pl.col("patient_id"))
           .otherwise(pl.concat_str([pl.col("patient_id"), pl.col("key")], separator="|")))
    return gt.select("rule_id", key.alias("key"), pl.col("amount").cast(pl.Decimal(18, 2)).alias("amount"),
                     "scenario", "institution_code", "doctor_code")


def finding_keys(findings: pl.DataFrame) -> pl.DataFrame:
    """(rule_id, key) for each finding, at its rule's ground-truth level."""
    if findings.height == 0:
        return pl.DataFrame(schema={"rule_id": pl.String, "key": pl.String})
    f = findings.with_columns(pl.col("rule_id").replace_strict(LEVEL, default="encounter").alias("level"))
    lines = f.filter(pl.col("level") == "line").explode("line_ids").select(
        "rule_id", pl.col("line_ids").alias("key"))
    day = pl.col("service_date").cast(pl.String)
    other = f.filter(pl.col("level") != "line").select(
        "rule_id",
        pl.when(pl.col("level") == "encounter").then(pl.col("encounter_id"))
        .when(pl.col("level") == "patient").then(pl.col("patient_id"))
        .when(pl.col("level") == "patient_month").then(pl.concat_str([pl.col("patient_id"), day.str.slice(0, 7)],
                                                                      separator="|"))
        .otherwise(pl.concat_str([pl.col("patient_id"), day], separator="|")).alias("key"))
    return pl.concat([lines, other]).unique().sort("rule_id", "key")


@dataclass(frozen=True)
class RuleScore:
    rule_id: str
    truth: int
    found: int
    hits: int
    truth_amount: Decimal
    found_amount: Decimal

    @property
    def precision(self) -> float | None:
        return self.hits / self.found if self.found else None

    @property
    def recall(self) -> float | None:
        return self.hits / self.truth if self.truth else None


def score(findings: pl.DataFrame, gt: pl.DataFrame, rules: list[str]) -> list[RuleScore]:
    """Per rule: truth keys, finding keys, their overlap, and the amounts on both sides."""
    tk = truth_keys(gt)
    fk = finding_keys(findings)
    out = []
    for rule in rules:
        t = set(tk.filter(pl.col("rule_id") == rule)["key"].to_list())
        f = set(fk.filter(pl.col("rule_id") == rule)["key"].to_list())
        t_amt = tk.filter(pl.col("rule_id") == rule)["amount"].sum()
        f_amt = findings.filter(pl.col("rule_id") == rule)["amount"].sum() if findings.height else Decimal(0)
        out.append(RuleScore(rule, len(t), len(f), len(t & f), Decimal(str(t_amt or 0)), Decimal(str(f_amt or 0))))
    return out
