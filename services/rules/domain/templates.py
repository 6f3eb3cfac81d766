"""Rule templates: each is one set-based definition over the input frames.

A template takes the batch, the catalogue and one rule (its parameters) and returns the
violating rows as a FINDING_SCHEMA frame. It never loops over lines in Python, so the
same code judges one encounter in real time and millions of lines in the monthly audit.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from services.rules.domain.catalogue import Catalogue
from services.rules.domain.model import FINDING_SCHEMA, MONEY, Batch
from services.rules.domain.rulepack import Rule

Template = Callable[[Batch, Catalogue, Rule], pl.DataFrame]
TEMPLATES: dict[str, Template] = {}

SEX_NAMES = {"1": "男", "2": "女"}


def template(name: str) -> Callable[[Template], Template]:
    def register(fn: Template) -> Template:
        TEMPLATES[name] = fn
        return fn

    return register


def _charged_lines(batch: Batch, rule: Rule) -> pl.DataFrame:
    """The lines this rule judges: not history, positive quantity, of the rule's item types."""
    lines = batch.target_lines.filter(pl.col("quantity") > 0)
    types = rule.params.get("item_types")
    if types:
        lines = lines.filter(pl.col("item_type").is_in([str(t) for t in types]))
    return lines


def _findings(rows: pl.DataFrame, amount: pl.Expr, explanation: pl.Expr, evidence: pl.Expr, rule: Rule) -> pl.DataFrame:
    return rows.select(
        pl.lit(rule.rule_id).alias("rule_id"),
        "claim_id",
        "encounter_id",
        "patient_id",
        pl.concat_list(pl.col("line_id")).alias("line_ids"),
        amount.cast(MONEY).alias("amount"),
        "service_date",
        explanation.alias("explanation"),
        evidence.alias("evidence"),
    ).cast(FINDING_SCHEMA)  # type: ignore[arg-type]


def _evidence(*columns: str, **named: pl.Expr | str) -> pl.Expr:
    """The catalogue entry and parameters behind a finding, as a JSON object per row."""
    fields = [pl.col(c) for c in columns] + [
        (pl.col(v) if isinstance(v, str) else v).alias(k) for k, v in named.items()
    ]
    return pl.struct(fields).struct.json_encode()


@template("item_sex_limit")
def item_sex_limit(batch: Batch, catalogue: Catalogue, rule: Rule) -> pl.DataFrame:
    """An item limited to one sex, billed for a patient of the other: the whole line violates."""
    lines = _charged_lines(batch, rule)
    hits = (
        lines.join(catalogue.items.select("item_code", "sex_limit", pl.col("name").alias("catalogue_name")),
                   on="item_code")
        .filter(pl.col("sex_limit").is_not_null())
        .join(batch.patients.select("patient_id", "gender"), on="patient_id")
        .filter(pl.col("gender").is_in(["1", "2"]) & (pl.col("gender") != pl.col("sex_limit")))
    )
    limit = pl.col("sex_limit").replace_strict(SEX_NAMES, default="?")
    gender = pl.col("gender").replace_strict(SEX_NAMES, default="?")
    return _findings(
        hits,
        amount=pl.col("amount"),
        explanation=pl.format("{}（{}）限{}性使用，患者性别为{}，该明细不予支付", "catalogue_name", "item_code", limit, gender),
        evidence=_evidence("item_code", "sex_limit", patient_gender="gender"),
        rule=rule,
    )


@template("price_ceiling")
def price_ceiling(batch: Batch, catalogue: Catalogue, rule: Rule) -> pl.DataFrame:
    """A unit price above the ceiling for the institution's level: the excess times quantity."""
    lines = _charged_lines(batch, rule).join(
        batch.encounters.select("claim_id", "institution_level"), on="claim_id", how="left"
    )
    ceilings = catalogue.items.select(
        "item_code", pl.col("name").alias("catalogue_name"), "price_ceiling_1", "price_ceiling_2", "price_ceiling_3"
    )
    hits = (
        lines.join(ceilings, on="item_code")
        .with_columns(
            pl.when(pl.col("institution_level") == "1").then(pl.col("price_ceiling_1"))
            .when(pl.col("institution_level") == "2").then(pl.col("price_ceiling_2"))
            .otherwise(pl.col("price_ceiling_3")).alias("ceiling")
        )
        .filter(pl.col("ceiling").is_not_null() & (pl.col("unit_price") > pl.col("ceiling")))
        .with_columns(((pl.col("unit_price") - pl.col("ceiling")) * pl.col("quantity")).round(2).alias("excess"))
        # Never claim more than the line itself carries.
        .with_columns(pl.min_horizontal(pl.col("excess").cast(MONEY), pl.col("amount")).alias("excess"))
    )
    return _findings(
        hits,
        amount=pl.col("excess"),
        explanation=pl.format(
            "{}（{}）单价{}元超过{}级医疗机构限价{}元，数量{}，超标金额{}元",
            "catalogue_name", "item_code", "unit_price", "institution_level", "ceiling", "quantity", "excess",
        ),
        evidence=_evidence("item_code", "institution_level", ceiling=pl.col("ceiling").cast(pl.String),
                           unit_price=pl.col("unit_price").cast(pl.String)),
        rule=rule,
    )
