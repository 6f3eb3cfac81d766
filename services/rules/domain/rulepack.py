"""Rules as data: a rule is a template plus parameters, with its tier and its basis.

Rule packs are TOML files (see docs/rules.md). A rule version is immutable once its
pack is published; a claim is judged by the version in force on its service date.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from fundguard.runtime.errors import FieldViolation, InvalidArgument

TIERS = {"A", "B", "C"}  # A deduct, B trial, C monitor
RESULT_TYPES = {"definite", "suspicious"}
MOMENTS = {"pre", "in", "post"}


@dataclass(frozen=True)
class Rule:
    rule_id: str
    version: int
    template: str
    name: str
    tier: str
    result_type: str
    basis: str
    national_code: str = ""
    moments: frozenset[str] = frozenset(MOMENTS)
    effective_from: date = date(1900, 1, 1)
    effective_to: date | None = None  # exclusive
    params: Mapping[str, Any] = field(default_factory=dict)
    care_settings: frozenset[str] = frozenset()  # empty: every care setting
    institution_levels: frozenset[str] = frozenset()  # empty: every level
    min_trial_months: int = 0  # for tier B: months before it may be promoted to A
    approval: Mapping[str, str] = field(default_factory=dict)  # by, at, basis: required to promote B -> A

    def in_force(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day < self.effective_to)

    @property
    def deducts(self) -> bool:
        """Only tier A findings may become deductions; B and C never do."""
        return self.tier == "A"

    def params_json(self) -> str:
        return json.dumps(dict(self.params), ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class RulePack:
    version: str
    rules: tuple[Rule, ...]

    def for_moment(self, moment: str, rule_ids: set[str] | None = None) -> list[Rule]:
        return [r for r in self.rules if moment in r.moments and (not rule_ids or r.rule_id in rule_ids)]


def _date(value: Any, where: str, problems: list[FieldViolation]) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        problems.append(FieldViolation(where, f"must be a date YYYY-MM-DD, got {value!r}"))
        return None


def parse(text: str, file: str, known_templates: set[str],
          templates_params: Mapping[str, set[str]] | None = None) -> RulePack:
    """Parse a TOML rule pack; raise InvalidArgument naming file, rule and field."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidArgument([FieldViolation(file, f"not valid TOML: {exc}")]) from exc
    problems: list[FieldViolation] = []
    version = str(doc.get("pack", {}).get("version", ""))
    if not version:
        problems.append(FieldViolation(f"{file}:pack.version", "required"))
    rules: list[Rule] = []
    seen: set[tuple[str, int]] = set()
    for i, raw in enumerate(doc.get("rules", [])):
        where = f"{file}:rules[{i}]"
        for key in ("rule_id", "version", "template", "name", "tier", "result_type", "basis"):
            if key not in raw or raw[key] in ("", None):
                problems.append(FieldViolation(f"{where}.{key}", "required"))
        if raw.get("template") and raw["template"] not in known_templates:
            problems.append(FieldViolation(f"{where}.template", f"unknown template {raw['template']!r}"))
        if raw.get("tier") and raw["tier"] not in TIERS:
            problems.append(FieldViolation(f"{where}.tier", f"must be A, B or C, got {raw['tier']!r}"))
        if raw.get("result_type") and raw["result_type"] not in RESULT_TYPES:
            problems.append(FieldViolation(f"{where}.result_type", "must be definite or suspicious"))
        moments = set(raw.get("moments", MOMENTS))
        if not moments <= MOMENTS:
            problems.append(FieldViolation(f"{where}.moments", f"must be among pre, in, post, got {sorted(moments)}"))
        if not isinstance(raw.get("version", 0), int):
            problems.append(FieldViolation(f"{where}.version", "must be a whole number"))
            continue
        start = _date(raw.get("effective_from"), f"{where}.effective_from", problems) or date(1900, 1, 1)
        end = _date(raw.get("effective_to"), f"{where}.effective_to", problems)
        rule_key = (str(raw.get("rule_id")), int(raw.get("version", 0)))
        if rule_key in seen:
            problems.append(FieldViolation(f"{where}.version",
                                           f"rule {rule_key[0]} version {rule_key[1]} appears twice"))
        seen.add(rule_key)
        if problems:
            continue
        rules.append(
            Rule(
                rule_id=raw["rule_id"],
                version=raw["version"],
                template=raw["template"],
                name=raw["name"],
                tier=raw["tier"],
                result_type=raw["result_type"],
                basis=raw["basis"],
                national_code=raw.get("national_code", ""),
                moments=frozenset(moments),
                effective_from=start,
                effective_to=end,
                params=raw.get("params", {}),
                care_settings=frozenset(str(v) for v in raw.get("care_settings", [])),
                institution_levels=frozenset(str(v) for v in raw.get("institution_levels", [])),
                min_trial_months=int(raw.get("min_trial_months", 0)),
                approval={k: str(v) for k, v in raw.get("approval", {}).items()},
            )
        )
    rules = _close_superseded(rules)
    problems.extend(check_params(rules, file, templates_params))
    problems.extend(check_promotions(rules, file))
    if problems:
        raise InvalidArgument(problems)
    return RulePack(version, tuple(rules))


def _close_superseded(rules: list[Rule]) -> list[Rule]:
    """A version without an end is superseded by the rule's next version from its start, so a
    new version can be added without touching (and so changing) the published one."""
    out = []
    for r in rules:
        later = [o for o in rules if o.rule_id == r.rule_id and o.version > r.version]
        if r.effective_to is None and later:
            r = replace(r, effective_to=min(o.effective_from for o in later))
        out.append(r)
    return out


def _add_months(day: date, months: int) -> date:
    y, m = divmod(day.month - 1 + months, 12)
    month_days = [31, 29 if (day.year + y) % 4 == 0 and ((day.year + y) % 100 or (day.year + y) % 400 == 0) else 28,
                  31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return date(day.year + y, m + 1, min(day.day, month_days[m]))


def check_params(rules: list[Rule], file: str, templates_params: Mapping[str, set[str]] | None) -> list[FieldViolation]:
    if templates_params is None:
        return []
    problems = []
    for r in rules:
        unknown = sorted(set(r.params) - templates_params.get(r.template, set()))
        for name in unknown:
            problems.append(FieldViolation(f"{file}:{r.rule_id}@{r.version}.params.{name}",
                                           f"template {r.template} has no parameter {name!r}"))
    return problems


def check_promotions(rules: list[Rule], file: str) -> list[FieldViolation]:
    """A tier-B rule becomes tier A only after its minimum trial period and with a recorded
    approval (by, at, basis) dated on or before the A version's start."""
    problems: list[FieldViolation] = []
    by_id: dict[str, list[Rule]] = {}
    for r in rules:
        by_id.setdefault(r.rule_id, []).append(r)
    for rule_id, versions in by_id.items():
        versions.sort(key=lambda r: r.version)
        trial: Rule | None = None
        for r in versions:
            if r.tier == "B" and trial is None:
                trial = r
            elif r.tier == "A" and trial is not None:
                where = f"{file}:{rule_id}@{r.version}"
                missing = [k for k in ("by", "at", "basis") if not r.approval.get(k)]
                if missing:
                    problems.append(FieldViolation(f"{where}.approval",
                                                   "promotion from B to A needs an approval with by, at and basis"))
                earliest = _add_months(trial.effective_from, trial.min_trial_months)
                if r.effective_from < earliest:
                    problems.append(FieldViolation(f"{where}.effective_from",
                                                   f"trial of version {trial.version} runs until {earliest}; "
                                                   "it cannot be promoted to A earlier"))
                approved = r.approval.get("at", "")
                if approved and approved > r.effective_from.isoformat():
                    problems.append(FieldViolation(f"{where}.approval.at", "approval must precede effective_from"))
                trial = None
    return problems


def check_immutable(new: RulePack, published: list[RulePack]) -> list[FieldViolation]:
    """A rule version once published never changes: the same (rule id, version) in a new pack
    must be defined exactly as before; a change needs a new version number."""
    before: dict[tuple[str, int], tuple[str, Rule]] = {}
    for p in published:
        for r in p.rules:
            before[(r.rule_id, r.version)] = (p.version, r)
    problems = []
    for r in new.rules:
        old = before.get((r.rule_id, r.version))
        # effective_to may be derived from a later version (see _close_superseded): not compared.
        if old is not None and replace(old[1], effective_to=None) != replace(r, effective_to=None):
            problems.append(FieldViolation(f"{r.rule_id}@{r.version}", f"differs from the version published in "
                                           f"pack {old[0]}; published rule versions are immutable, add a new version"))
    return problems
