"""Evaluation: run every rule in force over a batch, in real time or in bulk.

Real time is one patient's encounters plus the history the caller supplies; bulk is a
stream of patient-grouped chunks. Both go through ``evaluate_frame`` with the same
templates, so a rule has one definition; findings never depend on which other patients
share a chunk (every template groups by patient, encounter or line).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal

import polars as pl

from services.rules.domain import probes, rulepack
from services.rules.domain.catalogue import Catalogue
from services.rules.domain.context import Context
from services.rules.domain.model import FINDING_SCHEMA, MONEY, Batch, Finding
from services.rules.domain.probes import PROBES
from services.rules.domain.rulepack import Rule, RulePack
from services.rules.domain.templates import TEMPLATES

PROBE_LINES = 20_000
RESULT_SCHEMA = {**FINDING_SCHEMA, "rule_version": pl.Int64}


def _can_fire(ctx: Context, rule: Rule, check_needs: bool = True) -> bool:
    """A pure shortcut: skip a template whose catalogue attributes or tables are absent for the
    items in this batch, since it could not find anything."""
    info = TEMPLATES[rule.template]
    if check_needs and info.needs and not (set(info.needs) & ctx.present):
        return False
    return all(ctx.catalogue.table(t).height > 0 for t in info.tables)


def _worth_running(ctx: Context, rules: Iterable[Rule], use_probes: bool, screened: bool = False) -> list[Rule]:
    """The rules that could find something here: catalogue guards, then every probe in one call.
    Rules chosen by the real-time screen (``screen.py``) have passed probes at least as tight."""
    if screened:
        return [r for r in rules if _can_fire(ctx, r, check_needs=False)]
    # In bulk nearly every probe holds, so they would only add a pass: probe small batches.
    probing = use_probes and ctx.batch.lines.height <= PROBE_LINES
    # Every template with catalogue needs has a probe reading those attributes, so when
    # probing the separate needs check is redundant.
    candidates = [r for r in rules if _can_fire(ctx, r, check_needs=not probing or r.template not in PROBES)]
    if not probing:
        return candidates
    keep: set[int] = set()
    exprs: list[pl.Expr] = []
    index: list[int] = []
    for i, rule in enumerate(candidates):
        found = probes.verdict(ctx, rule)
        if isinstance(found, bool):
            if found:
                keep.add(i)
        else:
            exprs.append((~pl.col("is_history") & found).fill_null(False).any().alias(f"p{len(exprs)}"))
            index.append(i)
    if exprs:
        row = ctx.lines.select(exprs).row(0)
        keep.update(i for i, hit in zip(index, row, strict=True) if hit)
    return [r for i, r in enumerate(candidates) if i in keep]


def evaluate_frame(batch: Batch, catalogue: Catalogue, rules: Iterable[Rule], use_probes: bool = True,
                   screened: bool = False) -> pl.DataFrame:
    """All findings as one frame, each judged by the rule version in force on its service date.
    Tier C findings carry amount 0: monitoring rules never deduct. ``use_probes=False`` runs
    every template (the property tests compare both); ``screened=True`` runs every rule given
    (they passed the real-time screen) without the Polars probes."""
    ctx = Context(batch, catalogue)
    frames: list[pl.DataFrame] = []
    if batch.lines.height == 0 and batch.encounters.height == 0:
        return pl.DataFrame(schema=RESULT_SCHEMA)
    for rule in _worth_running(ctx, rules, use_probes, screened):
        found = TEMPLATES[rule.template].fn(ctx, rule)
        if found.height == 0:
            continue
        in_force = pl.col("service_date") >= rule.effective_from
        if rule.effective_to is not None:
            in_force = in_force & (pl.col("service_date") < rule.effective_to)
        found = found.filter(in_force)
        if rule.care_settings or rule.institution_levels:
            found = found.join(ctx.encounters.select(pl.col("claim_id").cast(pl.String), "care_setting",
                                                     "institution_level"), on="claim_id", how="left")
            if rule.care_settings:
                found = found.filter(pl.col("care_setting").is_in(sorted(rule.care_settings)))
            if rule.institution_levels:
                found = found.filter(pl.col("institution_level").is_in(sorted(rule.institution_levels)))
            found = found.select(list(FINDING_SCHEMA))
        if rule.tier == "C":
            found = found.with_columns(amount=pl.lit(0).cast(MONEY))
        if found.height:
            frames.append(found.with_columns(pl.lit(rule.version, pl.Int64).alias("rule_version")))
    if not frames:
        return pl.DataFrame(schema=RESULT_SCHEMA)
    # Stable sort on the finding's key only: within a rule, template output order already
    # follows the input, and callers that compare runs sort fully themselves.
    return pl.concat(frames, how="vertical_relaxed").sort("claim_id", "rule_id", "rule_version", maintain_order=True)


def parse_pack(text: str, file: str) -> RulePack:
    """A rule pack checked against the templates and their parameters."""
    params = {name: set(info.params) for name, info in TEMPLATES.items()}
    return rulepack.parse(text, file, set(TEMPLATES), params)


def evaluate_stream(chunks: Iterable[Batch], catalogue: Catalogue, pack: RulePack, moment: str = "post",
                    rule_ids: Sequence[str] = ()) -> Iterator[pl.DataFrame]:
    """Bulk mode: one findings frame per patient-grouped chunk (the monthly audit)."""
    rules = pack.for_moment(moment, set(rule_ids) or None)
    for chunk in chunks:
        yield evaluate_frame(chunk, catalogue, rules)


def to_findings(frame: pl.DataFrame, batch: Batch, rules: Sequence[Rule]) -> list[Finding]:
    by_key = {(r.rule_id, r.version): r for r in rules}
    claims = batch.encounters.select("claim_id", "institution_code", "doctor_code").unique("claim_id")
    institutions = {c: (i, d) for c, i, d in claims.iter_rows()}
    out: list[Finding] = []
    for row in frame.iter_rows(named=True):
        rule = by_key[(row["rule_id"], row["rule_version"])]
        institution, doctor = institutions.get(row["claim_id"], ("", ""))
        out.append(Finding(
            rule_id=rule.rule_id, rule_version=rule.version, national_code=rule.national_code, rule_name=rule.name,
            tier=rule.tier, result_type=rule.result_type, claim_id=row["claim_id"],
            encounter_id=row["encounter_id"], patient_id=row["patient_id"], line_ids=tuple(row["line_ids"]),
            amount=Decimal(row["amount"]).quantize(Decimal("0.01")),
            service_date=row["service_date"] if isinstance(row["service_date"], date) else None,
            explanation=row["explanation"], basis=rule.basis, evidence=row["evidence"],
            institution_code=institution or "", doctor_code=doctor or "",
        ))
    return out


def evaluate(batch: Batch, catalogue: Catalogue, pack: RulePack, moment: str,
             rule_ids: Sequence[str] = ()) -> list[Finding]:
    """Findings as objects, each with its rule's metadata: the real-time path's answer."""
    rules = pack.for_moment(moment, set(rule_ids) or None)
    return to_findings(evaluate_frame(batch, catalogue, rules), batch, rules)
