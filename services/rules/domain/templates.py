"""Rule templates: each a set-based Polars query over the shared context.

A rule in a pack names one template and gives its parameters. Every template answers for
all patients of the batch at once, so the same code serves one encounter in real time and
a month of claims in bulk. Each returns findings in ``FINDING_SCHEMA``: the lines involved,
the violating amount as the rule defines it, a plain Chinese explanation (vola_cont) and
the evidence (catalogue entry and parameters) as JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import polars as pl

from services.rules.domain.context import CHARGED, Context
from services.rules.domain.model import FINDING_SCHEMA, MONEY
from services.rules.domain.rulepack import Rule

Template = Callable[[Context, Rule], pl.DataFrame]
SEX_NAMES = {"1": "男", "2": "女"}
CARE_NAMES = {"1": "门诊", "2": "住院", "3": "药店购药"}
ZERO = pl.lit(0).cast(MONEY)


@dataclass(frozen=True)
class TemplateInfo:
    fn: Template
    doc: str
    params: dict[str, str]  # parameter -> meaning (and default)
    needs: tuple[str, ...] = ()  # catalogue attributes of which at least one must be present
    tables: tuple[str, ...] = ()  # catalogue tables that must have rows for this batch


TEMPLATES: dict[str, TemplateInfo] = {}


def template(name: str, params: dict[str, str] | None = None, needs: Sequence[str] = (),
             tables: Sequence[str] = ()) -> Callable[[Template], Template]:
    def register(fn: Template) -> Template:
        TEMPLATES[name] = TemplateInfo(fn, (fn.__doc__ or "").strip(), dict(params or {}), tuple(needs),
                                       tuple(tables))
        return fn

    return register


ITEM_FILTER = {"item_types": "item types judged (101 drug, 102 herbal piece, 201 service, 301 consumable); all if empty",
               "item_kinds": "item kinds judged (lab, exam, treatment, ...); all if empty"}


NARROW = ["claim_id", "encounter_id", "patient_id", "line_id", "item_code", "catalogue_name", "item_type",
          "quantity", "unit_price", "amount", "service_date", "is_history"]


def _lines(ctx: Context, rule: Rule, frame: pl.DataFrame | None = None, where: pl.Expr | None = None,
           columns: Sequence[str] | None = None) -> pl.DataFrame:
    """The rule's lines: item types/kinds from its parameters and ``where``, in one filter so that
    only the surviving rows of the wide context frame are copied; ``columns`` narrows the result."""
    lines = ctx.lines if frame is None else frame
    predicate = CHARGED if frame is None else pl.lit(True)
    if where is not None:
        predicate = predicate & where
    types = rule.params.get("item_types")
    if types:
        predicate = predicate & pl.col("item_type").is_in([str(t) for t in types])
    kinds = rule.params.get("item_kinds")
    if kinds:
        predicate = predicate & pl.col("item_kind").is_in([str(t) for t in kinds])
    if columns is None:
        return lines.filter(predicate)
    return _pick(lines, predicate, *columns)


def _pick(frame: pl.DataFrame, where: pl.Expr, *columns: str) -> pl.DataFrame:
    """Rows of a wide context frame with only the columns a template reads (projection before filter)."""
    # Selecting first is a cheap column pick; the filter then copies only these columns.
    wanted = list(dict.fromkeys([*NARROW, *columns, *where.meta.root_names()]))
    return frame.select(wanted).filter(where)


def _findings(rows: pl.DataFrame, rule: Rule, amount: pl.Expr, explanation: pl.Expr, evidence: pl.Expr,
              line_ids: pl.Expr | None = None) -> pl.DataFrame:
    return rows.lazy().select(
        pl.lit(rule.rule_id).alias("rule_id"),
        "claim_id",
        "encounter_id",
        "patient_id",
        (pl.concat_list(pl.col("line_id")) if line_ids is None else line_ids).alias("line_ids"),
        amount.round(2).cast(MONEY).alias("amount"),
        "service_date",
        explanation.alias("explanation"),
        evidence.alias("evidence"),
    ).cast(FINDING_SCHEMA).collect()  # type: ignore[arg-type]


def _evidence(*columns: str, **named: pl.Expr | str | int | float) -> pl.Expr:
    """The catalogue entry and parameters behind a finding, as a JSON object per row:
    ``columns`` by name, ``named`` as expressions or literal parameter values."""
    fields = [pl.col(c).cast(pl.String) for c in columns] + [
        (v if isinstance(v, pl.Expr) else pl.lit(v)).cast(pl.String).alias(k)
        for k, v in named.items()
    ]
    return pl.struct(fields).struct.json_encode()


def _item() -> pl.Expr:
    return pl.format("{}（{}）", "catalogue_name", "item_code")


def _prefix_match(frame: pl.DataFrame, codes: str, prefixes: str) -> pl.Series:
    """Per row: does any of ``codes`` start with any of ``prefixes`` (two list columns)."""
    if frame.height == 0:
        return pl.Series("m", [], pl.Boolean)
    pairs = (
        frame.select(pl.int_range(pl.len()).alias("i"), pl.col(codes).alias("c"), pl.col(prefixes).alias("p"))
        .explode("c").explode("p")
        .filter(pl.col("c").is_not_null() & pl.col("p").is_not_null() & pl.col("c").str.starts_with(pl.col("p")))
    )
    return pl.int_range(frame.height, eager=True).is_in(pairs["i"].unique().implode()).alias("m")


def _list_param(rule: Rule, key: str, default: Sequence[str] = ()) -> list[str]:
    return [str(v) for v in rule.params.get(key, default)]


# ---------------------------------------------------------------- item attribute limits


@template("item_sex_limit", ITEM_FILTER, needs=("sex_limit",))
def item_sex_limit(ctx: Context, rule: Rule) -> pl.DataFrame:
    """An item limited to one sex (catalogue ``sex_limit``), billed for a patient of the other: whole line."""
    hits = _lines(ctx, rule, where=pl.col("sex_limit").is_not_null() & pl.col("gender").is_in(["1", "2"])
                  & (pl.col("gender") != pl.col("sex_limit")), columns=["sex_limit", "gender"])
    limit = pl.col("sex_limit").replace_strict(SEX_NAMES, default="?")
    gender = pl.col("gender").replace_strict(SEX_NAMES, default="?")
    return _findings(hits, rule, pl.col("amount"),
                     pl.format("{}（{}）限{}性使用，患者性别为{}，该明细不予支付", "catalogue_name", "item_code", limit, gender),
                     _evidence("item_code", "sex_limit", patient_gender=pl.col("gender")))


@template("price_ceiling", ITEM_FILTER, needs=("price_ceiling_1", "price_ceiling_2", "price_ceiling_3"))
def price_ceiling(ctx: Context, rule: Rule) -> pl.DataFrame:
    """A unit price above the ceiling for the institution's level: (price - ceiling) x quantity, at most the line."""
    hits = (
        _lines(ctx, rule, where=pl.any_horizontal(pl.col("price_ceiling_1", "price_ceiling_2", "price_ceiling_3")
                                                  .is_not_null()),
               columns=["institution_level", "price_ceiling_1", "price_ceiling_2", "price_ceiling_3"])
        .with_columns(
            pl.when(pl.col("institution_level") == "1").then(pl.col("price_ceiling_1"))
            .when(pl.col("institution_level") == "2").then(pl.col("price_ceiling_2"))
            .otherwise(pl.col("price_ceiling_3")).alias("ceiling")
        )
        .filter(pl.col("ceiling").is_not_null() & (pl.col("unit_price") > pl.col("ceiling")))
        .with_columns(((pl.col("unit_price") - pl.col("ceiling")) * pl.col("quantity")).round(2).alias("excess"))
        .with_columns(pl.min_horizontal(pl.col("excess").cast(MONEY), pl.col("amount")).alias("excess"))
    )
    return _findings(hits, rule, pl.col("excess"),
                     pl.format("{}（{}）单价{}元超过{}级医疗机构限价{}元，数量{}，超标金额{}元", "catalogue_name", "item_code",
                               "unit_price", "institution_level", "ceiling", "quantity", "excess"),
                     _evidence("item_code", "institution_level", ceiling=pl.col("ceiling"), unit_price=pl.col("unit_price")))


@template("insurance_scope", {**ITEM_FILTER, "scope": "work_injury or maternity",
                              "insurance_types": "insurance type codes that may pay the item"},
          needs=("insurance_scope",))
def insurance_scope(ctx: Context, rule: Rule) -> pl.DataFrame:
    """An item limited to work-injury or maternity insurance, claimed under another type: whole line."""
    scope = str(rule.params.get("scope", "work_injury"))
    allowed = _list_param(rule, "insurance_types")
    hits = _lines(ctx, rule, where=(pl.col("insurance_scope") == scope) & ~pl.col("insurance_type").is_in(allowed),
                  columns=["insurance_scope", "insurance_type"])
    label = "工伤保险" if scope == "work_injury" else "生育保险"
    return _findings(hits, rule, pl.col("amount"),
                     pl.format("{}限{}支付，本次就诊险种为{}，该明细不予支付", _item(), pl.lit(label), "insurance_type"),
                     _evidence("item_code", "insurance_scope", "insurance_type", allowed="|".join(allowed)))


@template("age_limit", {**ITEM_FILTER, "band": "newborn (max_age_days <= 28), child (max_age_days > 28) or "
                        "adult (min_age_days set: child-forbidden items)"}, needs=("min_age_days", "max_age_days"))
def age_limit(ctx: Context, rule: Rule) -> pl.DataFrame:
    """An item limited by age (catalogue min/max_age_days, both inclusive) billed outside that age: whole line."""
    band = str(rule.params.get("band", "child"))
    lines = _lines(ctx, rule, where=pl.col("age_days").is_not_null()
                   & (pl.col("min_age_days").is_not_null() | pl.col("max_age_days").is_not_null()),
                   columns=["min_age_days", "max_age_days", "age_days"])
    if band == "newborn":
        hits = lines.filter((pl.col("max_age_days") <= 28) & (pl.col("age_days") > pl.col("max_age_days")))
        text = pl.format("{}限新生儿（{}天内）使用，患者年龄{}天", _item(), "max_age_days", "age_days")
    elif band == "child":
        hits = lines.filter((pl.col("max_age_days") > 28) & (pl.col("age_days") > pl.col("max_age_days")))
        text = pl.format("{}限儿童（{}天内）使用，患者年龄{}天", _item(), "max_age_days", "age_days")
    else:
        hits = lines.filter(pl.col("min_age_days").is_not_null() & (pl.col("age_days") < pl.col("min_age_days")))
        text = pl.format("{}儿童禁用（须满{}天），患者年龄{}天", _item(), "min_age_days", "age_days")
    return _findings(hits, rule, pl.col("amount"), text,
                     _evidence("item_code", "min_age_days", "max_age_days", "age_days", band=band))


@template("elderly_caution", {**ITEM_FILTER, "min_age_years": "age from which the item is unsafe (65)"},
          needs=("elderly_caution",))
def elderly_caution(ctx: Context, rule: Rule) -> pl.DataFrame:
    """An item flagged unsafe for the elderly, given to a patient of ``min_age_years`` or more: whole line."""
    years = int(rule.params.get("min_age_years", 65))
    hits = _lines(ctx, rule, where=pl.col("elderly_caution"), columns=["elderly_caution", "birth_date"]).filter(
        pl.col("birth_date").dt.offset_by(f"{years}y") <= pl.col("service_date"))
    return _findings(hits, rule, pl.col("amount"),
                     pl.format("{}为老年人慎用药品，患者已满{}周岁", _item(), pl.lit(years)),
                     _evidence("item_code", "elderly_caution", "birth_date", min_age_years=years))


@template("pregnancy_caution", {**ITEM_FILTER, "diagnosis_prefixes": "diagnoses meaning pregnancy or lactation"},
          needs=("pregnancy_caution",))
def pregnancy_caution(ctx: Context, rule: Rule) -> pl.DataFrame:
    """An item unsafe in pregnancy/lactation for a woman with such a diagnosis in the encounter: whole line."""
    prefixes = _list_param(rule, "diagnosis_prefixes", ["O", "Z32", "Z33", "Z34", "Z35", "Z36", "Z39"])
    lines = _lines(ctx, rule, where=pl.col("pregnancy_caution") & (pl.col("gender") == "2"),
                   columns=["pregnancy_caution", "diagnoses"])
    lines = lines.with_columns(p=pl.lit(prefixes, pl.List(pl.String)))
    hits = lines.filter(_prefix_match(lines, "diagnoses", "p"))
    return _findings(hits, rule, pl.col("amount"),
                     pl.format("{}为妊娠期及哺乳期慎用药品，患者诊断提示妊娠或哺乳期", _item()),
                     _evidence("item_code", "pregnancy_caution", diagnoses=pl.col("diagnoses").list.join("|")))


@template("indication_limit", ITEM_FILTER, needs=("indications",))
def indication_limit(ctx: Context, rule: Rule) -> pl.DataFrame:
    """An item restricted to indications (catalogue ``indications``, ICD-10 prefixes) with no matching
    diagnosis in the encounter: whole line."""
    lines = _lines(ctx, rule, where=pl.col("indications").list.len() > 0, columns=["indications", "diagnoses"])
    hits = lines.filter(~_prefix_match(lines, "diagnoses", "indications"))
    return _findings(hits, rule, pl.col("amount"),
                     pl.format("{}限{}适应症使用，本次诊断（{}）不符", _item(), pl.col("indications").list.join("、"),
                               pl.col("diagnoses").list.join("、")),
                     _evidence("item_code", indications=pl.col("indications").list.join("|"),
                               diagnoses=pl.col("diagnoses").list.join("|")))


@template("contraindication", ITEM_FILTER, needs=("contraindications",))
def contraindication(ctx: Context, rule: Rule) -> pl.DataFrame:
    """An item billed with a diagnosis among its contraindications (catalogue ``contraindications``): whole line."""
    lines = _lines(ctx, rule, where=pl.col("contraindications").list.len() > 0,
                   columns=["contraindications", "diagnoses"])
    hits = lines.filter(_prefix_match(lines, "diagnoses", "contraindications"))
    return _findings(hits, rule, pl.col("amount"),
                     pl.format("{}禁用于{}，本次诊断为{}", _item(), pl.col("contraindications").list.join("、"),
                               pl.col("diagnoses").list.join("、")),
                     _evidence("item_code", contraindications=pl.col("contraindications").list.join("|"),
                               diagnoses=pl.col("diagnoses").list.join("|")))


def _membership(name: str, column: str, value: str, label: str, what: str) -> Template:
    def fn(ctx: Context, rule: Rule) -> pl.DataFrame:
        hits = _lines(ctx, rule, where=(pl.col(column).list.len() > 0) & pl.col(value).is_not_null()
                      & ~pl.col(column).list.contains(pl.col(value)), columns=[column, value])
        return _findings(hits, rule, pl.col("amount"),
                         pl.format("{}限{}为{}，本次为{}", _item(), pl.lit(label), pl.col(column).list.join("、"), value),
                         _evidence("item_code", value, allowed=pl.col(column).list.join("|")))

    fn.__doc__ = f"An item limited to certain {what} (catalogue ``{column}``) billed in another: whole line."
    return template(name, ITEM_FILTER, needs=(column,))(fn)


level_limit = _membership("level_limit", "institution_levels", "institution_level", "医疗机构级别", "institution levels")
department_limit = _membership("department_limit", "departments", "dept", "科室", "departments")
care_setting_limit = _membership("care_setting_limit", "care_settings", "care_setting", "就医方式", "care settings")


@template("herb_payment", {**ITEM_FILTER, "mode": "never (not payable at all) or compound_only (not payable alone)"},
          needs=("herb_payment",))
def herb_payment(ctx: Context, rule: Rule) -> pl.DataFrame:
    """Herbal pieces never payable, or payable only in a compound (not alone on that day's prescription): whole line."""
    mode = str(rule.params.get("mode", "never"))
    lines = _lines(ctx, rule, where=pl.col("herb_payment") == mode, columns=["herb_payment"])
    if mode == "never":
        hits = lines
        text = pl.format("{}单复方均不予支付", _item())
    else:
        herbs = _pick(ctx.lines, CHARGED & (pl.col("item_type") == "102")).group_by("claim_id", "service_date").agg(
            herbs=pl.col("item_code").n_unique())
        hits = lines.join(
            herbs, on=["claim_id", "service_date"], how="left").filter(pl.col("herbs").fill_null(1) <= 1)
        text = pl.format("{}单方使用不予支付", _item())
    return _findings(hits, rule, pl.col("amount"), text, _evidence("item_code", "herb_payment"))


# ---------------------------------------------------------------- quantities, frequencies, courses


def _window_key(window: str) -> list[pl.Expr]:
    if window == "encounter":
        return [pl.col("claim_id").alias("k1"), pl.lit(None, pl.Date).alias("k2")]
    if window == "day":
        return [pl.col("patient_id").alias("k1"), pl.col("service_date").alias("k2")]
    if window == "month":
        return [pl.col("patient_id").alias("k1"), pl.col("service_date").dt.truncate("1mo").alias("k2")]
    return [pl.col("patient_id").alias("k1"), pl.col("service_date").dt.truncate("1y").alias("k2")]


def _excess_over(ctx: Context, rule: Rule, limit: str, window: str, measure: pl.Expr, label: str) -> pl.DataFrame:
    """Groups (item x window) whose net measure (returns subtract) exceeds the limit; the finding
    carries the judged lines of the group and (measure - limit) x the highest unit price, at most
    those lines' amount. History counts toward the total but is never charged again."""
    window_column = f"{'quantity' if limit == 'max_quantity' else 'times'}_window"
    lines = _lines(ctx, rule, ctx.lines, where=pl.col("in_catalogue") & pl.col(limit).is_not_null()
                   & (pl.col(window_column) == window), columns=[limit])
    groups = (
        lines.with_columns(_window_key(window if window != "*" else "encounter"))
        .group_by("k1", "k2", "item_code")
        .agg(
            total=measure.sum(),
            limit=pl.col(limit).first(),
            price=pl.col("unit_price").filter(pl.col("quantity") > 0).max(),
            judged=(~pl.col("is_history") & (pl.col("quantity") > 0)).any(),
            line_ids=pl.col("line_id").filter(~pl.col("is_history") & (pl.col("quantity") > 0)),
            judged_amount=pl.col("amount").filter(~pl.col("is_history") & (pl.col("quantity") > 0)).sum(),
            claim_id=pl.col("claim_id").filter(~pl.col("is_history") & (pl.col("quantity") > 0)).last(),
            encounter_id=pl.col("encounter_id").filter(~pl.col("is_history") & (pl.col("quantity") > 0)).last(),
            patient_id=pl.col("patient_id").first(),
            service_date=pl.col("service_date").filter(~pl.col("is_history") & (pl.col("quantity") > 0)).max(),
            catalogue_name=pl.col("catalogue_name").first(),
        )
        .filter(pl.col("judged") & (pl.col("total") > pl.col("limit").cast(pl.Decimal(18, 4))))
        .with_columns(excess=((pl.col("total") - pl.col("limit")) * pl.col("price")).round(2).cast(MONEY))
        .with_columns(excess=pl.min_horizontal("excess", pl.col("judged_amount").cast(MONEY)))
    )
    return _findings(groups, rule, pl.col("excess"),
                     pl.format("{}{}合计{}，超过限定{}，超出部分金额{}元", _item(), pl.lit(label), "total", "limit", "excess"),
                     _evidence("item_code", "limit", "total", window=window), line_ids=pl.col("line_ids"))


@template("quantity_limit", {**ITEM_FILTER, "window": "encounter|day|month|year: judge items whose "
                             "catalogue quantity_window is this"}, needs=("max_quantity",))
def quantity_limit(ctx: Context, rule: Rule) -> pl.DataFrame:
    """Net quantity of an item in its window above the catalogue ``max_quantity``: excess quantity x unit price."""
    window = str(rule.params.get("window", "encounter"))
    return _excess_over(ctx, rule, "max_quantity", window, pl.col("quantity"), f"数量（{window}）")


@template("frequency_limit", {**ITEM_FILTER, "window": "day|month|year: judge items whose times_window is this"},
          needs=("max_times",))
def frequency_limit(ctx: Context, rule: Rule) -> pl.DataFrame:
    """Times an item is billed (net quantity) in its window above ``max_times``: excess times x unit price."""
    window = str(rule.params.get("window", "day"))
    return _excess_over(ctx, rule, "max_times", window, pl.col("quantity"), f"频次（{window}）")


@template("amount_cap", ITEM_FILTER, needs=("max_amount",))
def amount_cap(ctx: Context, rule: Rule) -> pl.DataFrame:
    """Net amount of an item in one encounter above the catalogue ``max_amount``: the excess amount."""
    lines = _lines(ctx, rule, ctx.lines, where=pl.col("in_catalogue") & pl.col("max_amount").is_not_null()
                   & ~pl.col("is_history"), columns=["max_amount"])
    groups = (
        lines.group_by("claim_id", "item_code")
        .agg(total=pl.col("amount").sum(), limit=pl.col("max_amount").first(),
             line_ids=pl.col("line_id").filter(pl.col("quantity") > 0),
             encounter_id=pl.col("encounter_id").first(), patient_id=pl.col("patient_id").first(),
             service_date=pl.col("service_date").max(), catalogue_name=pl.col("catalogue_name").first())
        .filter(pl.col("total") > pl.col("limit"))
        .with_columns(excess=(pl.col("total") - pl.col("limit")).cast(MONEY))
    )
    return _findings(groups, rule, pl.col("excess"),
                     pl.format("{}本次就诊合计{}元，超过限定报销总额{}元", _item(), "total", "limit"),
                     _evidence("item_code", "limit", "total"), line_ids=pl.col("line_ids"))


@template("max_payable_days", ITEM_FILTER, needs=("max_payable_days",))
def max_payable_days(ctx: Context, rule: Rule) -> pl.DataFrame:
    """An item billed on more distinct days of one encounter than ``max_payable_days``: lines on the later days."""
    lines = _lines(ctx, rule, where=pl.col("max_payable_days").is_not_null(), columns=["max_payable_days"])
    hits = (
        lines.with_columns(day_no=pl.col("service_date").rank("dense").over("claim_id", "item_code"))
        .filter(pl.col("day_no") > pl.col("max_payable_days"))
    )
    return _findings(hits, rule, pl.col("amount"),
                     pl.format("{}最多支付{}天，该明细为第{}个用药日", _item(), "max_payable_days", "day_no"),
                     _evidence("item_code", "max_payable_days", "day_no"))


@template("course_limit", {**ITEM_FILTER, "lookback_days": "history considered for the course start (90)"},
          needs=("course_days",))
def course_limit(ctx: Context, rule: Rule) -> pl.DataFrame:
    """An item billed after its course (``course_days`` from the patient's first use in the look-back): whole line."""
    lookback = int(rule.params.get("lookback_days", 90))
    uses = _lines(ctx, rule, ctx.lines, where=pl.col("in_catalogue") & (pl.col("quantity") > 0)
                  & pl.col("course_days").is_not_null(), columns=["course_days"])
    latest = uses.filter(~pl.col("is_history")).group_by("patient_id", "item_code").agg(
        last=pl.col("service_date").max())
    starts = (
        uses.join(latest, on=["patient_id", "item_code"])
        .filter(pl.col("service_date") >= pl.col("last") - pl.duration(days=lookback))
        .group_by("patient_id", "item_code").agg(course_start=pl.col("service_date").min())
    )
    hits = (
        uses.filter(~pl.col("is_history")).join(starts, on=["patient_id", "item_code"])
        .with_columns(day_no=(pl.col("service_date") - pl.col("course_start")).dt.total_days() + 1)
        .filter(pl.col("day_no") > pl.col("course_days"))
    )
    return _findings(hits, rule, pl.col("amount"),
                     pl.format("{}限支付疗程{}天，自{}起该明细为第{}天", _item(), "course_days", "course_start", "day_no"),
                     _evidence("item_code", "course_days", "course_start", "day_no"))


# ---------------------------------------------------------------- pairs and groups


def _same_claim_partner(ctx: Context, rule: Rule, table: str, key: str, partner: str,
                        same_day: bool) -> pl.DataFrame:
    """Judged lines joined with a pair table and with the partner's lines in the same encounter."""
    pairs = ctx.table(table)
    lines = _lines(ctx, rule, where=pl.col("item_code").is_in(pairs[key].implode()), columns=[]).join(
        pairs.rename({key: "item_code"}), on="item_code").with_columns(pl.col(partner).cast(pl.Categorical))
    # The partner code joins as a categorical: integer-backed keys hash several times faster.
    partners = _pick(ctx.lines, CHARGED & pl.col("item_code").is_in(pairs[partner].implode())).select(
        "claim_id", pl.col("item_code").cast(pl.Categorical).alias(partner), pl.col("line_id").alias("partner_line"),
                                  pl.col("service_date").alias("partner_date"), pl.col("amount").alias("partner_amount"))
    on = ["claim_id", partner]
    joined = lines.join(partners, on=on)
    if same_day:
        joined = joined.filter(pl.col("service_date") == pl.col("partner_date"))
    return joined


@template("contains_duplicate", ITEM_FILTER, tables=("contains.csv",))
def contains_duplicate(ctx: Context, rule: Rule) -> pl.DataFrame:
    """An item billed on the same day and encounter as an item that contains it (contains.csv): the
    contained line, whole."""
    pairs = ctx.table("contains.csv")
    containers = _pick(ctx.lines, CHARGED & pl.col("item_code").is_in(pairs["item_code"].implode())).select(
        "claim_id", "service_date", pl.col("item_code").cast(pl.Categorical).alias("container"),
        pl.col("line_id").alias("container_line"))
    hits = (
        _lines(ctx, rule, where=pl.col("item_code").is_in(pairs["contained_code"].implode()), columns=[])
        .join(pairs.select(pl.col("item_code").cast(pl.Categorical).alias("container"),
                           pl.col("contained_code").alias("item_code")), on="item_code")
        .join(containers, on=["claim_id", "service_date", "container"])
        .unique(["claim_id", "line_id"], keep="first", maintain_order=True)
    )
    return _findings(hits, rule, pl.col("amount"),
                     pl.format("{}已包含在同日收费项目{}中，属重复收费", _item(), "container"),
                     _evidence("item_code", "container", "container_line"))


@template("unbundling", ITEM_FILTER, tables=("bundles.csv",))
def unbundling(ctx: Context, rule: Rule) -> pl.DataFrame:
    """Two or more parts of one bundle (bundles.csv) billed separately on a day: the parts' lines;
    amount is their total above the bundle's own ceiling at that level (0 when it has none)."""
    bundles = ctx.table("bundles.csv")
    parts = _lines(ctx, rule, where=pl.col("item_code").is_in(bundles["item_code"].implode()),
                   columns=["institution_level"]).join(bundles, on="item_code")
    bundle_prices = ctx.catalogue.rows_for("items.csv", parts["bundle_code"]).select(
        "item_code", "price_ceiling_1", "price_ceiling_2", "price_ceiling_3").rename({"item_code": "bundle_code"})
    groups = (
        parts.group_by("claim_id", "service_date", "bundle_code")
        .agg(parts=pl.col("item_code").n_unique(), line_ids=pl.col("line_id"), total=pl.col("amount").sum(),
             encounter_id=pl.col("encounter_id").first(), patient_id=pl.col("patient_id").first(),
             level=pl.col("institution_level").first(), codes=pl.col("item_code").unique().sort())
        .filter(pl.col("parts") >= 2)
        .join(bundle_prices, on="bundle_code", how="left")
        .with_columns(bundle_price=pl.when(pl.col("level") == "1").then("price_ceiling_1")
                      .when(pl.col("level") == "2").then("price_ceiling_2").otherwise("price_ceiling_3"))
        .with_columns(excess=pl.when(pl.col("bundle_price").is_null()).then(ZERO)
                      .otherwise(pl.max_horizontal(ZERO, (pl.col("total") - pl.col("bundle_price")).cast(MONEY))))
    )
    return _findings(groups, rule, pl.col("excess"),
                     pl.format("{}应按打包项目{}收费，分解为{}项收费共{}元", pl.col("codes").list.join("、"), "bundle_code",
                               "parts", "total"),
                     _evidence("bundle_code", "bundle_price", codes=pl.col("codes").list.join("|")),
                     line_ids=pl.col("line_ids"))


@template("similar_action", ITEM_FILTER, tables=("similar_action.csv",))
def similar_action(ctx: Context, rule: Rule) -> pl.DataFrame:
    """Two or more different drugs of one similar-action group in one encounter: every line of the
    drugs after the first billed (by date, then code), whole."""
    groups = ctx.table("similar_action.csv")
    lines = _lines(ctx, rule, where=pl.col("item_code").is_in(groups["item_code"].implode()), columns=[]).join(
        groups, on="item_code")
    firsts = (lines.group_by("claim_id", "group_code")
              .agg(first_code=pl.col("item_code").sort_by("service_date", "item_code").first(),
                   kinds=pl.col("item_code").n_unique())
              .filter(pl.col("kinds") >= 2))
    hits = lines.join(firsts, on=["claim_id", "group_code"]).filter(
        (pl.col("kinds") >= 2) & (pl.col("item_code") != pl.col("first_code")))
    return _findings(hits, rule, pl.col("amount"),
                     pl.format("{}与同次就诊的{}属同类作用药品（{}），重复开药", _item(), "first_code", "group_code"),
                     _evidence("item_code", "group_code", "first_code"))


def _pair_rule(name: str, table: str, label: str, what: str) -> Template:
    def fn(ctx: Context, rule: Rule) -> pl.DataFrame:
        joined = _same_claim_partner(ctx, rule, table, "item_code_a", "item_code_b", same_day=False)
        # Each pair once: the line of the greater code carries the finding and its amount.
        hits = joined.filter(pl.col("item_code") > pl.col("item_code_b").cast(pl.String)).unique(
            ["claim_id", "line_id"], keep="first", maintain_order=True)
        severity = pl.col("severity") if "severity" in hits.columns else pl.lit("")
        return _findings(hits, rule, pl.col("amount"),
                         pl.format("{}与同次就诊的{}{}", _item(), "item_code_b", pl.lit(label)),
                         _evidence("item_code", "item_code_b", "partner_line", severity=severity),
                         line_ids=pl.concat_list("partner_line", "line_id"))

    fn.__doc__ = f"Two items of {table} ({what}) in one encounter: both lines; amount is the later code's line."
    return template(name, ITEM_FILTER, tables=(table,))(fn)


interaction = _pair_rule("interaction", "interactions.csv", "存在药品相互作用", "harmful interactions")
herb_incompatible = _pair_rule("herb_incompatible", "herb_incompatible.csv", "属中药配伍禁忌（十八反十九畏）",
                               "incompatible herbal pieces")


@template("requires_service", ITEM_FILTER, tables=("requires_service.csv",))
def requires_service(ctx: Context, rule: Rule) -> pl.DataFrame:
    """A drug or consumable that needs a service (requires_service.csv) with none of its services in the
    encounter: whole line."""
    needs = ctx.table("requires_service.csv")
    lines = _lines(ctx, rule, where=pl.col("item_code").is_in(needs["item_code"].implode()), columns=[]).join(
        needs, on="item_code")
    billed = _pick(ctx.lines, ~pl.col("is_history") & (pl.col("quantity") > 0)
                   & pl.col("item_code").is_in(needs["service_code"].implode())).select(
        "claim_id", pl.col("item_code").alias("service_code")).unique()
    satisfied = lines.join(billed, on=["claim_id", "service_code"]).select("claim_id", "line_id").unique()
    hits = (lines.group_by("claim_id", "line_id", maintain_order=True)
            .agg(pl.all().exclude("service_code").first(), services=pl.col("service_code"))
            .join(satisfied, on=["claim_id", "line_id"], how="anti"))
    return _findings(hits, rule, pl.col("amount"),
                     pl.format("{}须与医疗服务项目{}同时使用，本次就诊未收取", _item(), pl.col("services").list.join("、")),
                     _evidence("item_code", services=pl.col("services").list.join("|")))


@template("second_line", ITEM_FILTER, needs=("second_line",), tables=("similar_action.csv",))
def second_line(ctx: Context, rule: Rule) -> pl.DataFrame:
    """A second-line drug with no first-line drug of its similar-action group billed to the patient on or
    before its date (encounter or supplied history): whole line."""
    groups = ctx.table("similar_action.csv")
    lines = _lines(ctx, rule, where=pl.col("second_line"), columns=["second_line"]).join(groups, on="item_code")
    members = ctx.catalogue.table("similar_action.csv").filter(
        pl.col("group_code").is_in(lines["group_code"].unique().implode()))
    first_line = members.join(ctx.catalogue.rows_for("items.csv", members["item_code"]).select(
        "item_code", "second_line"), on="item_code", how="left").filter(~pl.col("second_line").fill_null(False))
    used = _pick(ctx.lines, (pl.col("quantity") > 0)
                 & pl.col("item_code").is_in(first_line["item_code"].implode())).select(
        "patient_id", pl.col("item_code").alias("first_code"), pl.col("service_date").alias("used_on"))
    tried = (lines.join(first_line.select("group_code", pl.col("item_code").alias("first_code")), on="group_code")
             .join(used, on=["patient_id", "first_code"]).filter(pl.col("used_on") <= pl.col("service_date"))
             .select("claim_id", "line_id").unique())
    hits = lines.join(tried, on=["claim_id", "line_id"], how="anti").unique(["claim_id", "line_id"], keep="first",
                                                                            maintain_order=True)
    return _findings(hits, rule, pl.col("amount"),
                     pl.format("{}限二线用药，未见同类（{}）一线药品使用记录", _item(), "group_code"),
                     _evidence("item_code", "group_code", "second_line"))


@template("surgery_discount", {"ratio": "share of the price payable for each further surgery on a day (0.5)"},
          needs=("item_kind",))
def surgery_discount(ctx: Context, rule: Rule) -> pl.DataFrame:
    """Second and later surgeries (item_kind surgery) on one day of an encounter billed above ``ratio`` of
    their price (ceiling at the level, else the billed price): the excess."""
    ratio = pl.lit(str(rule.params.get("ratio", "0.5"))).cast(pl.Decimal(18, 4))
    lines = _pick(ctx.lines, CHARGED & (pl.col("item_kind") == "surgery"), "institution_level", "price_ceiling_1",
                  "price_ceiling_2", "price_ceiling_3")
    hits = (
        lines.with_columns(rank=pl.col("unit_price").rank("ordinal", descending=True).over("claim_id", "service_date"),
                           ref=pl.coalesce(pl.when(pl.col("institution_level") == "1").then("price_ceiling_1")
                                           .when(pl.col("institution_level") == "2").then("price_ceiling_2")
                                           .otherwise("price_ceiling_3"), "unit_price"))
        .filter(pl.col("rank") >= 2)
        .with_columns(excess=((pl.col("unit_price") - pl.col("ref") * ratio) * pl.col("quantity")).round(2).cast(MONEY))
        .filter(pl.col("excess") > 0)
        .with_columns(excess=pl.min_horizontal("excess", "amount"))
    )
    return _findings(hits, rule, pl.col("excess"),
                     pl.format("{}为同日第{}台手术，应按{}折价收费，多收{}元", _item(), "rank", ratio, "excess"),
                     _evidence("item_code", "rank", "ref", ratio=ratio))


@template("drug_kinds", {"max_kinds": "most different drugs in one encounter (5)",
                         "care_settings": "care settings judged (['1'])"})
def drug_kinds(ctx: Context, rule: Rule) -> pl.DataFrame:
    """More different drugs in one encounter than ``max_kinds``: suspicious, the drug lines, amount 0."""
    most = int(rule.params.get("max_kinds", 5))
    settings = _list_param(rule, "care_settings", ["1"])
    drugs = _pick(ctx.lines, ~pl.col("is_history") & (pl.col("quantity") > 0) & (pl.col("item_type") == "101")
                             & pl.col("care_setting").is_in(settings))
    groups = (drugs.group_by("claim_id")
              .agg(kinds=pl.col("item_code").n_unique(), line_ids=pl.col("line_id"),
                   encounter_id=pl.col("encounter_id").first(), patient_id=pl.col("patient_id").first(),
                   service_date=pl.col("service_date").max())
              .filter(pl.col("kinds") > most))
    return _findings(groups, rule, ZERO, pl.format("本次就诊开具药品{}种，超过{}种", "kinds", pl.lit(most)),
                     _evidence("kinds", max_kinds=most), line_ids=pl.col("line_ids"))


# ---------------------------------------------------------------- encounter-level code tables


def _encounter_findings(rows: pl.DataFrame, rule: Rule, explanation: pl.Expr, evidence: pl.Expr) -> pl.DataFrame:
    return _findings(rows, rule, ZERO, explanation, evidence, line_ids=pl.lit([], pl.List(pl.String)))


def _codes(ctx: Context, column: str) -> pl.DataFrame:
    return ctx.judged_encounters.explode(column).filter(pl.col(column).is_not_null() & (pl.col(column) != ""))


def _prefix_join(codes: pl.DataFrame, column: str, table: pl.DataFrame, key: str) -> pl.DataFrame:
    if codes.height == 0 or table.height == 0:
        return codes.with_columns(pl.col(column).alias(key)).join(table, on=key).clear()
    out = []
    for n in table[key].str.len_chars().unique().to_list():
        out.append(codes.with_columns(pl.col(column).str.slice(0, n).alias(key)).join(table, on=key))
    return pl.concat(out, how="vertical_relaxed")


@template("diagnosis_sex", tables=("diagnosis_sex.csv",))
def diagnosis_sex(ctx: Context, rule: Rule) -> pl.DataFrame:
    """A diagnosis limited to one sex (diagnosis_sex.csv) for a patient of the other: encounter, amount 0."""
    dx = _codes(ctx, "diagnoses")
    hits = _prefix_join(dx, "diagnoses", ctx.catalogue.prefix_rows("diagnosis_sex.csv", dx["diagnoses"]),
                        "diagnosis_prefix").filter(pl.col("gender").is_in(["1", "2"]) & (pl.col("gender") != pl.col("sex")))
    hits = hits.unique(["claim_id", "diagnoses"], keep="first", maintain_order=True)
    return _encounter_findings(hits, rule, pl.format("诊断{}限{}性，患者性别为{}", "diagnoses",
                                                     pl.col("sex").replace_strict(SEX_NAMES, default="?"),
                                                     pl.col("gender").replace_strict(SEX_NAMES, default="?")),
                               _evidence("diagnosis_prefix", "sex", diagnosis=pl.col("diagnoses"), patient_gender=pl.col("gender")))


@template("diagnosis_age", tables=("diagnosis_age.csv",))
def diagnosis_age(ctx: Context, rule: Rule) -> pl.DataFrame:
    """A diagnosis limited by age (diagnosis_age.csv, days, inclusive) outside it: encounter, amount 0."""
    dx = _codes(ctx, "diagnoses")
    hits = _prefix_join(dx, "diagnoses", ctx.catalogue.prefix_rows("diagnosis_age.csv", dx["diagnoses"]),
                        "diagnosis_prefix").filter(
        pl.col("age_days").is_not_null()
        & ((pl.col("age_days") < pl.col("min_age_days").fill_null(-1))
           | (pl.col("age_days") > pl.col("max_age_days").fill_null(1 << 40))))
    hits = hits.unique(["claim_id", "diagnoses"], keep="first", maintain_order=True)
    return _encounter_findings(hits, rule,
                               pl.format("诊断{}与患者年龄（{}天）不符", "diagnoses", "age_days"),
                               _evidence("diagnosis_prefix", "age_days", diagnosis=pl.col("diagnoses")))


@template("procedure_sex", tables=("procedure_sex.csv",))
def procedure_sex(ctx: Context, rule: Rule) -> pl.DataFrame:
    """A procedure limited to one sex (procedure_sex.csv) for a patient of the other: encounter, amount 0."""
    px = _codes(ctx, "procedures")
    hits = _prefix_join(px, "procedures", ctx.catalogue.prefix_rows("procedure_sex.csv", px["procedures"]),
                        "procedure_prefix").filter(pl.col("gender").is_in(["1", "2"]) & (pl.col("gender") != pl.col("sex")))
    hits = hits.unique(["claim_id", "procedures"], keep="first", maintain_order=True)
    return _encounter_findings(hits, rule, pl.format("手术操作{}与患者性别不符", "procedures"),
                               _evidence("procedure_prefix", "sex", procedure=pl.col("procedures"), patient_gender=pl.col("gender")))


@template("diagnosis_procedure", tables=("diagnosis_procedure.csv",))
def diagnosis_procedure(ctx: Context, rule: Rule) -> pl.DataFrame:
    """A procedure listed in diagnosis_procedure.csv with none of its diagnoses in the encounter: amount 0."""
    px = _codes(ctx, "procedures")
    table = ctx.catalogue.prefix_rows("diagnosis_procedure.csv", px["procedures"])
    needs = _prefix_join(px, "procedures", table, "procedure_prefix")
    grouped = (needs.group_by("claim_id", "procedures", maintain_order=True)
               .agg(pl.all().exclude("diagnosis_prefix").first(), wanted=pl.col("diagnosis_prefix")))
    hits = grouped.filter(~_prefix_match(grouped, "diagnoses", "wanted"))
    return _encounter_findings(hits, rule, pl.format("手术操作{}与诊断（{}）不符", "procedures",
                                                     pl.col("diagnoses").list.join("、")),
                               _evidence("procedures", wanted=pl.col("wanted").list.join("|")))


@template("code_format", {"column": "diagnoses or procedures", "pattern": "regular expression a valid code matches"})
def code_format(ctx: Context, rule: Rule) -> pl.DataFrame:
    """A diagnosis or procedure code that does not have the national code's shape: encounter, amount 0."""
    column = str(rule.params.get("column", "diagnoses"))
    pattern = str(rule.params.get("pattern", r"^[A-Z][0-9]{2}(\.[0-9A-Za-z]{1,4})?(x[0-9]{3})?$"))
    hits = _codes(ctx, column).filter(~pl.col(column).str.contains(pattern)).unique(
        ["claim_id", column], keep="first", maintain_order=True)
    label = "疾病诊断编码" if column == "diagnoses" else "手术操作编码"
    return _encounter_findings(hits, rule, pl.format("{}{}不符合国家编码格式", pl.lit(label), column),
                               _evidence(code=pl.col(column), pattern=pattern))


@template("line_amount_mismatch", {"tolerance": "largest accepted |quantity x price - amount| (0.01)"})
def line_amount_mismatch(ctx: Context, rule: Rule) -> pl.DataFrame:
    """A line whose amount is not quantity x unit price: the amount billed above quantity x price."""
    tol = pl.lit(str(rule.params.get("tolerance", "0.01"))).cast(pl.Decimal(18, 4))
    lines = _pick(ctx.lines, ~pl.col("is_history") & pl.col("unit_price").is_not_null())
    hits = (lines.with_columns(expected=(pl.col("quantity") * pl.col("unit_price")).round(2))
            .with_columns(diff=(pl.col("amount").cast(pl.Decimal(18, 4)) - pl.col("expected")))
            .filter(pl.col("diff").abs() > tol))
    return _findings(hits, rule, pl.max_horizontal(pl.col("diff"), pl.lit(0)),
                     pl.format("{}数量{}×单价{}={}，与明细金额{}不符", _item(), "quantity", "unit_price", "expected", "amount"),
                     _evidence("item_code", "quantity", "unit_price", "amount"))


@template("encounter_total_mismatch", {"tolerance": "largest accepted difference (0.01)"})
def encounter_total_mismatch(ctx: Context, rule: Rule) -> pl.DataFrame:
    """An encounter whose total_amount differs from the sum of its lines: amount 0 (data quality).
    An empty or zero total means the caller did not give one and is not judged."""
    tol = pl.lit(str(rule.params.get("tolerance", "0.01"))).cast(MONEY)
    sums = ctx.lines.group_by("claim_id").agg(line_sum=pl.col("amount").sum())
    hits = (ctx.judged_encounters.filter(pl.col("total_amount").is_not_null() & (pl.col("total_amount") != 0)).join(sums, on="claim_id", how="left")
            .with_columns(line_sum=pl.col("line_sum").fill_null(0).cast(MONEY))
            .filter((pl.col("total_amount") - pl.col("line_sum")).abs() > tol))
    return _encounter_findings(hits, rule, pl.format("结算清单总金额{}元与明细合计{}元不符", "total_amount", "line_sum"),
                               _evidence("total_amount", "line_sum"))


# ---------------------------------------------------------------- stays, dates and behaviour (local rules)


@template("after_death")
def after_death(ctx: Context, rule: Rule) -> pl.DataFrame:
    """A line dated after the patient's death date: whole line."""
    hits = _pick(ctx.lines, ~pl.col("is_history") & (pl.col("quantity") > 0) & pl.col("death_date").is_not_null()
                 & (pl.col("service_date") > pl.col("death_date")), "death_date")
    return _findings(hits, rule, pl.col("amount"),
                     pl.format("参保人已于{}死亡，{}日仍发生{}费用", "death_date", "service_date", _item()),
                     _evidence("death_date", "service_date"))


@template("charge_outside_stay")
def charge_outside_stay(ctx: Context, rule: Rule) -> pl.DataFrame:
    """An inpatient line dated before admission or after discharge: whole line."""
    hits = _pick(ctx.lines, ~pl.col("is_history") & (pl.col("quantity") > 0) & (pl.col("care_setting") == "2")
                 & ((pl.col("service_date") < pl.col("admission_date"))
                    | (pl.col("service_date") > pl.col("discharge_date"))), "admission_date", "discharge_date")
    return _findings(hits, rule, pl.col("amount"),
                     pl.format("{}计费日期{}不在住院期间（{}至{}）", _item(), "service_date", "admission_date", "discharge_date"),
                     _evidence("service_date", "admission_date", "discharge_date"))


def _stays(ctx: Context) -> pl.DataFrame:
    return ctx.encounters.filter((pl.col("care_setting") == "2") & pl.col("admission_date").is_not_null()
                                 & pl.col("discharge_date").is_not_null())


@template("outpatient_during_stay")
def outpatient_during_stay(ctx: Context, rule: Rule) -> pl.DataFrame:
    """An outpatient line dated strictly inside an inpatient stay of the same patient (any institution,
    history included): whole line."""
    stays = _stays(ctx).select("patient_id", pl.col("claim_id").alias("stay_claim"), "admission_date",
                               "discharge_date", pl.col("institution_code").alias("stay_institution"))
    hits = (
        _pick(ctx.lines, ~pl.col("is_history") & (pl.col("quantity") > 0) & (pl.col("care_setting") == "1")
              & pl.col("patient_id").is_in(stays["patient_id"].implode()))
        .join(stays, on="patient_id")
        .filter((pl.col("service_date") > pl.col("admission_date")) & (pl.col("service_date") < pl.col("discharge_date")))
        .unique(["claim_id", "line_id"], keep="first", maintain_order=True)
    )
    return _findings(hits, rule, pl.col("amount"),
                     pl.format("患者{}至{}在{}住院期间，{}发生门诊费用{}", "admission_date", "discharge_date",
                               "stay_institution", "service_date", _item()),
                     _evidence("stay_claim", "admission_date", "discharge_date"))


@template("bed_days_over_stay", {"item_kinds": "item kinds counted as bed-days (['bed'])"}, needs=("item_kind",))
def bed_days_over_stay(ctx: Context, rule: Rule) -> pl.DataFrame:
    """Bed-day items whose net quantity in a stay exceeds its length (discharge - admission, at least 1):
    excess quantity x unit price."""
    kinds = _list_param(rule, "item_kinds", ["bed"])
    lines = _pick(ctx.lines, ~pl.col("is_history") & (pl.col("care_setting") == "2") & pl.col("item_kind").is_in(kinds)
                  & pl.col("admission_date").is_not_null() & pl.col("discharge_date").is_not_null(),
                  "admission_date", "discharge_date")
    groups = (
        lines.group_by("claim_id", "item_code")
        .agg(total=pl.col("quantity").sum(), price=pl.col("unit_price").max(),
             stay_days=pl.max_horizontal((pl.col("discharge_date") - pl.col("admission_date")).dt.total_days(),
                                         pl.lit(1)).first(),
             line_ids=pl.col("line_id").filter(pl.col("quantity") > 0),
             judged_amount=pl.col("amount").filter(pl.col("quantity") > 0).sum(),
             encounter_id=pl.col("encounter_id").first(), patient_id=pl.col("patient_id").first(),
             service_date=pl.col("service_date").max(), catalogue_name=pl.col("catalogue_name").first())
        .filter(pl.col("total") > pl.col("stay_days"))
        .with_columns(excess=((pl.col("total") - pl.col("stay_days")) * pl.col("price")).round(2).cast(MONEY))
        .with_columns(excess=pl.min_horizontal("excess", pl.col("judged_amount").cast(MONEY)))
    )
    return _findings(groups, rule, pl.col("excess"),
                     pl.format("{}床位费计{}天，住院天数{}天，多计部分金额{}元", _item(), "total", "stay_days", "excess"),
                     _evidence("item_code", "total", "stay_days"), line_ids=pl.col("line_ids"))


@template("duplicate_invoice")
def duplicate_invoice(ctx: Context, rule: Rule) -> pl.DataFrame:
    """An encounter whose invoice number already appears on an earlier-received encounter of the same
    patient (history included, any institution): the later encounter's charged lines, whole."""
    enc = ctx.encounters.filter(pl.col("invoice_no").is_not_null() & (pl.col("invoice_no") != "")
                                & pl.struct("patient_id", "invoice_no").is_duplicated())
    ordered = enc.with_columns(order=pl.struct(pl.col("is_history").not_(), "seq"))
    # Per patient: the caller supplies one patient's history, so a real-time check can only
    # see that patient's earlier claims; bulk must not see more than real time does.
    firsts = ordered.sort("order").group_by("patient_id", "invoice_no", maintain_order=True).agg(
        first_claim=pl.col("claim_id").first())
    later = ordered.join(firsts, on=["patient_id", "invoice_no"]).filter(~pl.col("is_history") & (pl.col("claim_id") != pl.col("first_claim")))
    lines = _pick(ctx.lines, ~pl.col("is_history") & (pl.col("quantity") > 0)
                  & pl.col("claim_id").is_in(later["claim_id"].implode()), "invoice_no").join(
        later.select("claim_id", "first_claim"), on="claim_id")
    return _findings(lines, rule, pl.col("amount"),
                     pl.format("发票（结算）号{}已在就诊{}中报销，重复报销", "invoice_no", "first_claim"),
                     _evidence("invoice_no", "first_claim"))


@template("split_admission", {"days": "re-admission window after discharge at the same institution (15)"})
def split_admission(ctx: Context, rule: Rule) -> pl.DataFrame:
    """An admission at the same institution within ``days`` of the patient's previous discharge there:
    suspicious, amount 0, on the new stay."""
    days = int(rule.params.get("days", 15))
    stays = _stays(ctx).sort("patient_id", "institution_code", "admission_date", "seq").with_columns(
        prev_discharge=pl.col("discharge_date").shift(1).over("patient_id", "institution_code"),
        prev_claim=pl.col("claim_id").shift(1).over("patient_id", "institution_code"))
    hits = stays.filter(~pl.col("is_history") & pl.col("prev_discharge").is_not_null()
                        & (pl.col("admission_date") >= pl.col("prev_discharge"))
                        & ((pl.col("admission_date") - pl.col("prev_discharge")).dt.total_days() <= days))
    hits = hits.with_columns(service_date=pl.col("admission_date"))
    return _encounter_findings(hits, rule,
                               pl.format("患者{}出院后{}再次在同一机构入院，间隔不超过{}天，疑似分解住院",
                                         "prev_discharge", "admission_date", pl.lit(days)),
                               _evidence("prev_claim", "prev_discharge", "admission_date", days=days))


@template("frequent_encounters", {"care_setting": "1 outpatient, 2 inpatient, 3 pharmacy",
                                  "max_count": "most encounters allowed in the window",
                                  "window": "month (natural month) or days:N (rolling N days)"})
def frequent_encounters(ctx: Context, rule: Rule) -> pl.DataFrame:
    """More than ``max_count`` encounters of one care setting for a patient in a window (history included):
    suspicious, amount 0, on each judged encounter beyond the limit."""
    setting = str(rule.params.get("care_setting", "1"))
    most = int(rule.params.get("max_count", 8))
    window = str(rule.params.get("window", "month"))
    enc = ctx.encounters.filter((pl.col("care_setting") == setting) & pl.col("service_date").is_not_null())
    if window == "month":
        counted = enc.with_columns(count=pl.len().over("patient_id", pl.col("service_date").dt.truncate("1mo")))
    else:
        span = int(window.split(":")[1])
        others = enc.select("patient_id", pl.col("service_date").alias("other_date"))
        counts = (enc.select("claim_id", "patient_id", "service_date").join(others, on="patient_id")
                  .filter((pl.col("other_date") <= pl.col("service_date"))
                          & (pl.col("other_date") > pl.col("service_date") - pl.duration(days=span)))
                  .group_by("claim_id").agg(count=pl.len()))
        counted = enc.join(counts, on="claim_id")
    hits = counted.filter(~pl.col("is_history") & (pl.col("count") > most))
    label = CARE_NAMES.get(setting, setting)
    return _encounter_findings(hits, rule, pl.format("患者{}内{}{}次，超过{}次", pl.lit("当月" if window == "month" else window),
                                                     pl.lit(label), "count", pl.lit(most)),
                               _evidence("count", max_count=most, window=window, care_setting=setting))


@template("split_prescription", {"days": "window in days (7)"}, needs=("max_quantity",))
def split_prescription(ctx: Context, rule: Rule) -> pl.DataFrame:
    """The same drug in several encounters of a patient within ``days`` whose quantities together exceed
    the item's max_quantity (window encounter) while no encounter alone does: excess x price on the later lines."""
    days = int(rule.params.get("days", 7))
    lines = _lines(ctx, rule, ctx.lines, where=pl.col("in_catalogue") & (pl.col("quantity_window") == "encounter")
                   & pl.col("max_quantity").is_not_null(), columns=["max_quantity"])
    per_enc = (lines.group_by("claim_id", "item_code")
               .agg(qty=pl.col("quantity").sum(), patient_id=pl.col("patient_id").first(),
                    encounter_id=pl.col("encounter_id").first(), is_history=pl.col("is_history").first(),
                    service_date=pl.col("service_date").filter(pl.col("quantity") > 0).min(),
                    price=pl.col("unit_price").max(), limit=pl.col("max_quantity").first(),
                    line_ids=pl.col("line_id").filter(pl.col("quantity") > 0),
                    amount=pl.col("amount").filter(pl.col("quantity") > 0).sum(),
                    catalogue_name=pl.col("catalogue_name").first())
               .filter(pl.col("service_date").is_not_null() & (pl.col("qty") <= pl.col("limit"))))
    earlier = per_enc.select("patient_id", "item_code", pl.col("claim_id").alias("other"),
                             pl.col("service_date").alias("other_date"), pl.col("qty").alias("other_qty"))
    window = (per_enc.filter(~pl.col("is_history")).join(earlier, on=["patient_id", "item_code"])
              .filter((pl.col("other") != pl.col("claim_id")) & (pl.col("other_date") <= pl.col("service_date"))
                      & (pl.col("other_date") >= pl.col("service_date") - pl.duration(days=days)))
              .group_by("claim_id", "item_code").agg(before=pl.col("other_qty").sum()))
    hits = (per_enc.join(window, on=["claim_id", "item_code"])
            .with_columns(total=pl.col("before") + pl.col("qty"))
            .filter(pl.col("total") > pl.col("limit"))
            .with_columns(excess=pl.min_horizontal(
                ((pl.min_horizontal(pl.col("total") - pl.col("limit"), pl.col("qty"))) * pl.col("price")).round(2)
                .cast(MONEY), pl.col("amount").cast(MONEY))))
    return _findings(hits, rule, pl.col("excess"),
                     pl.format("{}在{}天内多次就诊累计开药{}，超过单次限量{}，疑似分解处方", _item(), pl.lit(days), "total", "limit"),
                     _evidence("item_code", "limit", "total", days=days), line_ids=pl.col("line_ids"))


@template("card_misuse", {"min_purchases": "small pharmacy purchases in a day that raise the flag (5)",
                          "small_total": "a purchase below this total is small (50.00)"})
def card_misuse(ctx: Context, rule: Rule) -> pl.DataFrame:
    """``min_purchases`` or more small pharmacy purchases (total < small_total) of one patient in one day:
    suspicious, amount 0, on each judged purchase that day. (Odd-hour purchases need the fee time,
    which the encounter shape does not carry yet.)"""
    least = int(rule.params.get("min_purchases", 5))
    small = pl.lit(str(rule.params.get("small_total", "50.00"))).cast(MONEY)
    sums = ctx.lines.group_by("claim_id").agg(line_sum=pl.col("amount").sum())
    buys = (ctx.encounters.filter(pl.col("care_setting") == "3").join(sums, on="claim_id", how="left")
            .with_columns(total=pl.coalesce("total_amount", "line_sum").cast(MONEY))
            .filter(pl.col("total") < small)
            .with_columns(count=pl.len().over("patient_id", "service_date")))
    hits = buys.filter(~pl.col("is_history") & (pl.col("count") >= least))
    return _encounter_findings(hits, rule, pl.format("患者{}在定点药店小额购药{}次，疑似空刷或盗刷", "service_date", "count"),
                               _evidence("count", "total", min_purchases=least))
