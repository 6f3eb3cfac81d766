"""Probes: for each template, a cheap necessary condition for it to find anything.

The engine evaluates the probes of every rule in one Polars call over the judged lines (or
decides them in Python from the context) and runs only the templates whose probe holds.
A probe never decides a finding: it only skips work that could not produce one, so it may
be looser than the template but never stricter. The property test checks that findings
are the same with and without probes. This is what keeps a 50-line real-time check from
paying for seventy templates that have nothing to look at.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from services.rules.domain.context import Context
from services.rules.domain.rulepack import Rule

Probe = Callable[[Context, Rule], pl.Expr | bool]
PROBES: dict[str, Probe] = {}
STATIC: set[str] = set()  # templates whose probe depends on the rule only, not on the batch
_built: dict[int, tuple[Rule, pl.Expr | bool]] = {}


def probe(*names: str, static: bool = True) -> Callable[[Probe], Probe]:
    def register(fn: Probe) -> Probe:
        for n in names:
            PROBES[n] = fn
            if static:
                STATIC.add(n)
        return fn

    return register


def verdict(ctx: Context, rule: Rule) -> pl.Expr | bool:
    """The rule's probe: True/False decided now, or an expression over the judged lines.
    Static probes are built once per rule object (the cache holds the rule, so its id
    cannot be reused while cached)."""
    fn = PROBES.get(rule.template)
    if fn is None:
        return True
    if rule.template not in STATIC:
        return fn(ctx, rule)
    hit = _built.get(id(rule))
    if hit is None or hit[0] is not rule:
        if len(_built) > 10_000:  # draft packs parsed per what-if call must not pile up
            _built.clear()
        hit = _built[id(rule)] = (rule, fn(ctx, rule))
    return hit[1]


def _of_rule(rule: Rule) -> pl.Expr:
    """Charged, in-catalogue lines of the rule's item types and kinds."""
    return (pl.col("quantity") > 0) & pl.col("in_catalogue") & _types_and_kinds(rule)


def _types_and_kinds(rule: Rule) -> pl.Expr:
    e = pl.lit(True)
    types = rule.params.get("item_types")
    if types:
        e = e & pl.col("item_type").is_in([str(t) for t in types])
    kinds = rule.params.get("item_kinds")
    if kinds:
        e = e & pl.col("item_kind").is_in([str(t) for t in kinds])
    return e


def _listed(column: str) -> pl.Expr:
    return pl.col(column).list.len().fill_null(0) > 0


@probe("item_sex_limit")
def _sex(ctx: Context, rule: Rule) -> pl.Expr:
    return _of_rule(rule) & pl.col("sex_limit").is_not_null() & (pl.col("gender") != pl.col("sex_limit"))


@probe("price_ceiling")
def _price(ctx: Context, rule: Rule) -> pl.Expr:
    lowest = pl.min_horizontal("price_ceiling_1", "price_ceiling_2", "price_ceiling_3")
    return _of_rule(rule) & (pl.col("unit_price") > lowest)


@probe("insurance_scope")
def _scope(ctx: Context, rule: Rule) -> pl.Expr:
    return _of_rule(rule) & (pl.col("insurance_scope") == str(rule.params.get("scope", "work_injury")))


@probe("age_limit")
def _age(ctx: Context, rule: Rule) -> pl.Expr:
    return _of_rule(rule) & ((pl.col("age_days") > pl.col("max_age_days")) | (pl.col("age_days") < pl.col("min_age_days")))


@probe("elderly_caution")
def _elderly(ctx: Context, rule: Rule) -> pl.Expr:
    return _of_rule(rule) & pl.col("elderly_caution")


@probe("pregnancy_caution")
def _pregnancy(ctx: Context, rule: Rule) -> pl.Expr:
    return _of_rule(rule) & pl.col("pregnancy_caution") & (pl.col("gender") == "2")


@probe("indication_limit")
def _indications(ctx: Context, rule: Rule) -> pl.Expr:
    return _of_rule(rule) & _listed("indications")


@probe("contraindication")
def _contra(ctx: Context, rule: Rule) -> pl.Expr:
    return _of_rule(rule) & _listed("contraindications") & _listed("diagnoses")


@probe("level_limit")
def _level(ctx: Context, rule: Rule) -> pl.Expr:
    return _of_rule(rule) & _listed("institution_levels") & ~pl.col("institution_levels").list.contains(
        pl.col("institution_level"))


@probe("department_limit")
def _dept(ctx: Context, rule: Rule) -> pl.Expr:
    return _of_rule(rule) & _listed("departments") & ~pl.col("departments").list.contains(pl.col("dept"))


@probe("care_setting_limit")
def _care(ctx: Context, rule: Rule) -> pl.Expr:
    return _of_rule(rule) & _listed("care_settings") & ~pl.col("care_settings").list.contains(pl.col("care_setting"))


@probe("herb_payment")
def _herb(ctx: Context, rule: Rule) -> pl.Expr:
    return _of_rule(rule) & (pl.col("herb_payment") == str(rule.params.get("mode", "never")))


def _window_total_over(limit: str, window: str) -> pl.Expr:
    """Charged quantity of the item in the window, returns ignored: never below the net total
    the template compares, so "not above the limit" here means no finding there."""
    keys: list[str | pl.Expr] = {  # type: ignore[assignment]
        "encounter": ["claim_id", "item_code"], "day": ["patient_id", "item_code", "service_date"],
        "month": ["patient_id", "item_code", pl.col("service_date").dt.truncate("1mo")],
    }.get(window, ["patient_id", "item_code", pl.col("service_date").dt.truncate("1y")])
    return pl.col("quantity").clip(lower_bound=0).sum().over(keys) > pl.col(limit)


@probe("quantity_limit")
def _quantity(ctx: Context, rule: Rule) -> pl.Expr:
    window = str(rule.params.get("window", "encounter"))
    return _of_rule(rule) & (pl.col("quantity_window") == window) & _window_total_over("max_quantity", window)


@probe("split_prescription")
def _split_rx(ctx: Context, rule: Rule) -> pl.Expr:
    return _of_rule(rule) & pl.col("max_quantity").is_not_null()


@probe("frequency_limit")
def _times(ctx: Context, rule: Rule) -> pl.Expr:
    window = str(rule.params.get("window", "day"))
    return _of_rule(rule) & (pl.col("times_window") == window) & _window_total_over("max_times", window)


@probe("amount_cap")
def _cap(ctx: Context, rule: Rule) -> pl.Expr:
    # The template sums every line's amount, returns included (a return may carry a positive
    # amount), so any quantity counts here.
    return pl.col("in_catalogue") & _types_and_kinds(rule) & pl.col("max_amount").is_not_null()


@probe("max_payable_days")
def _days(ctx: Context, rule: Rule) -> pl.Expr:
    return _of_rule(rule) & pl.col("max_payable_days").is_not_null()


@probe("course_limit")
def _course(ctx: Context, rule: Rule) -> pl.Expr:
    return _of_rule(rule) & pl.col("course_days").is_not_null()


@probe("second_line")
def _second(ctx: Context, rule: Rule) -> pl.Expr:
    return _of_rule(rule) & pl.col("second_line")


@probe("surgery_discount")
def _surgery(ctx: Context, rule: Rule) -> pl.Expr:
    return (pl.col("quantity") > 0) & pl.col("in_catalogue") & (pl.col("item_kind") == "surgery")


def _in_table(ctx: Context, rule: Rule, table: str, column: str) -> bool:
    """Whether any code of the batch is a key of the table (its index, no Polars call)."""
    return ctx.catalogue.has_any(table, ctx.code_list)


@probe("contains_duplicate", static=False)
def _contains(ctx: Context, rule: Rule) -> pl.Expr | bool:
    return _in_table(ctx, rule, "contains.csv", "contained_code")


@probe("unbundling", static=False)
def _bundle(ctx: Context, rule: Rule) -> pl.Expr | bool:
    return _in_table(ctx, rule, "bundles.csv", "item_code")


@probe("similar_action", static=False)
def _similar(ctx: Context, rule: Rule) -> pl.Expr | bool:
    return _in_table(ctx, rule, "similar_action.csv", "item_code")


@probe("interaction", static=False)
def _interaction(ctx: Context, rule: Rule) -> pl.Expr | bool:
    return _in_table(ctx, rule, "interactions.csv", "item_code_a")


@probe("herb_incompatible", static=False)
def _incompatible(ctx: Context, rule: Rule) -> pl.Expr | bool:
    return _in_table(ctx, rule, "herb_incompatible.csv", "item_code_a")


@probe("requires_service", static=False)
def _requires(ctx: Context, rule: Rule) -> pl.Expr | bool:
    return _in_table(ctx, rule, "requires_service.csv", "item_code")


@probe("drug_kinds")
def _kinds(ctx: Context, rule: Rule) -> pl.Expr:
    return (pl.col("quantity") > 0) & (pl.col("item_type") == "101")


@probe("line_amount_mismatch")
def _line_amount(ctx: Context, rule: Rule) -> pl.Expr:
    tol = pl.lit(str(rule.params.get("tolerance", "0.01"))).cast(pl.Decimal(18, 4))
    return ((pl.col("quantity") * pl.col("unit_price")).round(2) - pl.col("amount").cast(pl.Decimal(18, 4))).abs() > tol


@probe("after_death")
def _death(ctx: Context, rule: Rule) -> pl.Expr:
    return (pl.col("quantity") > 0) & (pl.col("service_date") > pl.col("death_date"))


@probe("charge_outside_stay")
def _outside(ctx: Context, rule: Rule) -> pl.Expr:
    return (pl.col("quantity") > 0) & (pl.col("care_setting") == "2") & (
        (pl.col("service_date") < pl.col("admission_date")) | (pl.col("service_date") > pl.col("discharge_date")))


@probe("bed_days_over_stay")
def _bed(ctx: Context, rule: Rule) -> pl.Expr:
    kinds = [str(k) for k in rule.params.get("item_kinds", ["bed"])]
    return (pl.col("care_setting") == "2") & pl.col("item_kind").is_in(kinds)


@probe("outpatient_during_stay", static=False)
def _during(ctx: Context, rule: Rule) -> pl.Expr | bool:
    if not ctx.facts["stays"]:
        return False
    return (pl.col("quantity") > 0) & (pl.col("care_setting") == "1")


@probe("split_admission", static=False)
def _split(ctx: Context, rule: Rule) -> bool:
    return ctx.facts["stays"] >= 2


@probe("frequent_encounters", static=False)
def _frequent(ctx: Context, rule: Rule) -> bool:
    setting = str(rule.params.get("care_setting", "1"))
    return ctx.facts[f"setting_{setting}"] > int(rule.params.get("max_count", 8))


@probe("card_misuse", static=False)
def _card(ctx: Context, rule: Rule) -> bool:
    return ctx.facts["setting_3"] >= int(rule.params.get("min_purchases", 5))


@probe("duplicate_invoice", static=False)
def _invoice(ctx: Context, rule: Rule) -> bool:
    return ctx.facts["invoices_repeated"] > 0


@probe("diagnosis_sex", "diagnosis_age", static=False)
def _diagnosis_tables(ctx: Context, rule: Rule) -> bool:
    table = "diagnosis_sex.csv" if rule.template == "diagnosis_sex" else "diagnosis_age.csv"
    return ctx.prefix_hits(table, "diagnoses")


@probe("procedure_sex", "diagnosis_procedure", static=False)
def _procedure_tables(ctx: Context, rule: Rule) -> bool:
    table = "procedure_sex.csv" if rule.template == "procedure_sex" else "diagnosis_procedure.csv"
    return ctx.prefix_hits(table, "procedures")


@probe("code_format", "encounter_total_mismatch")
def _encounter_level(ctx: Context, rule: Rule) -> bool:
    # Encounter-level templates are few and cheap next to the line ones; their guards are the
    # catalogue tables they need (checked by the engine).
    return True
