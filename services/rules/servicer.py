"""gRPC servicer for rules: translate, call the domain, translate back."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

import grpc

from fundguard.common.v1 import common_pb2
from fundguard.rules.v1 import rules_pb2, rules_pb2_grpc
from fundguard.runtime.errors import FieldViolation, InvalidArgument, NotFound
from fundguard.runtime.wire import Parsed, date_or_none, money
from services.rules.domain import catalogue as cat
from services.rules.domain import engine, rulepack, screen, whatif
from services.rules.domain.model import Batch, Finding, Rows
from services.rules.domain.rulepack import RulePack
from services.rules.store.repository import CatalogueStore, RulePackStore

MOMENTS = {common_pb2.MOMENT_PRE: "pre", common_pb2.MOMENT_IN: "in", common_pb2.MOMENT_POST: "post"}
EMPTY_CATALOGUE = cat.empty()


def batch_from_cases(cases: Iterable[common_pb2.PatientCase]) -> Batch:
    """Frames from the wire; every malformed field is named in one InvalidArgument."""
    return rows_from_cases(cases).batch()


def rows_from_cases(cases: Iterable[common_pb2.PatientCase]) -> Rows:
    """Plain rows from the wire (what ``batch_from_cases`` turns into frames); every malformed
    field is named in one InvalidArgument."""
    problems: list[FieldViolation] = []
    # Each distinct decimal or date string is parsed once per request (a batch's lines share a
    # few dates, quantities and prices); a line's field name is built only for a value not seen.
    parsed = Parsed(problems)
    decimals, dates = parsed.decimals, parsed.dates
    patients: list[dict[str, object]] = []
    encounters: list[dict[str, object]] = []
    lines: list[dict[str, object]] = []
    seq = 0
    for ci, case in enumerate(cases):
        p = case.patient
        patient_id = p.patient_id
        at = f"cases[{ci}].patient"
        if not patient_id:
            problems.append(FieldViolation(f"{at}.patient_id", "required"))
        patients.append({
            "patient_id": patient_id, "gender": p.gender,
            "birth_date": parsed.day(p.birth_date, f"{at}.birth_date"),
            "death_date": parsed.day(p.death_date, f"{at}.death_date"),
            "insurance_type": p.insurance_type,
        })
        for group, is_history in (("encounters", False), ("history", True)):
            for ei, e in enumerate(getattr(case, group)):
                at = f"cases[{ci}].{group}[{ei}]"
                encounter_id = e.encounter_id
                claim_id = e.claim_id or f"{e.institution_code}-{encounter_id}"
                encounters.append({
                    "claim_id": claim_id, "encounter_id": encounter_id, "patient_id": patient_id,
                    "institution_code": e.institution_code, "institution_level": e.institution_level,
                    "care_setting": e.care_setting, "med_type": e.med_type,
                    "admission_date": parsed.day(e.admission_date, f"{at}.admission_date"),
                    "discharge_date": parsed.day(e.discharge_date, f"{at}.discharge_date"),
                    "doctor_code": e.doctor_code, "dept_code": e.dept_code,
                    "insurance_type": e.insurance_type or p.insurance_type,
                    "diagnoses": [d.code for d in e.diagnoses], "procedures": [x.code for x in e.procedures],
                    "total_amount": parsed.decimal(e.total_amount.amount, f"{at}.total_amount"),
                    "invoice_no": e.invoice_no, "is_history": is_history, "seq": seq,
                })
                seq += 1
                for li, line in enumerate(e.lines):
                    text = line.quantity
                    quantity = decimals.get(text)
                    if quantity is None:
                        quantity = parsed.decimal(text, f"{at}.lines[{li}].quantity", required=True)
                    text = line.unit_price.amount
                    price = decimals.get(text)
                    if price is None:
                        price = parsed.decimal(text, f"{at}.lines[{li}].unit_price")
                    text = line.amount.amount
                    amount = decimals.get(text)
                    if amount is None:
                        amount = parsed.decimal(text, f"{at}.lines[{li}].amount", required=True)
                    text = line.service_date
                    day = dates.get(text)
                    if day is None:
                        day = parsed.day(text, f"{at}.lines[{li}].service_date", required=True)
                    lines.append({
                        "claim_id": claim_id, "encounter_id": encounter_id, "patient_id": patient_id,
                        "line_id": line.line_id, "item_code": line.item_code, "item_name": line.item_name,
                        "item_type": line.item_type, "quantity": quantity, "unit_price": price, "amount": amount,
                        "service_date": day, "dept_code": line.dept_code, "doctor_code": line.doctor_code,
                        "original_line_id": line.original_line_id, "is_history": is_history,
                    })
    if problems:
        raise InvalidArgument(problems)
    return Rows(patients, encounters, lines)


def finding_to_proto(f: Finding) -> common_pb2.Finding:
    return common_pb2.Finding(
        rule_id=f.rule_id, rule_version=f.rule_version, national_code=f.national_code, rule_name=f.rule_name,
        tier=f.tier, result_type=f.result_type, claim_id=f.claim_id, encounter_id=f.encounter_id,
        patient_id=f.patient_id, institution_code=f.institution_code, line_ids=list(f.line_ids),
        amount=money(f.amount), explanation=f.explanation, basis=f.basis, evidence_json=f.evidence,
        service_date=f.service_date.isoformat() if isinstance(f.service_date, date) else "",
    )


@dataclass
class ActiveKnowledge:
    """The catalogue versions and rule pack in force in this replica; swapped whole, never edited."""

    catalogues: tuple[cat.Catalogue, ...]  # by effective_from, oldest first
    pack: RulePack

    @property
    def catalogue(self) -> cat.Catalogue:
        return self.catalogues[-1] if self.catalogues else EMPTY_CATALOGUE

    def catalogue_on(self, day: date | None) -> cat.Catalogue:
        """The version in force on ``day``: the latest whose effective date is on or before it."""
        if not self.catalogues:
            return EMPTY_CATALOGUE
        chosen = self.catalogues[0]  # a claim older than every version: the oldest one we have
        for c in self.catalogues:
            if day is None or date.fromisoformat(c.effective_from) <= day:
                chosen = c
        return chosen


def _case_day(case: common_pb2.PatientCase) -> date | None:
    """The latest service date judged in a case: it picks the catalogue version."""
    days = [line.service_date for e in case.encounters for line in e.lines if line.service_date]
    try:
        return date.fromisoformat(max(days)) if days else None
    except ValueError:
        return None


class RulesServicer(rules_pb2_grpc.RulesServiceServicer):
    def __init__(self, store: CatalogueStore, pack: RulePack, packs: RulePackStore | None = None,
                 default_text: str = "") -> None:
        self.store = store
        self.packs = packs
        self.default_text = default_text
        self._lock = threading.Lock()
        self.active = ActiveKnowledge((), pack)
        self._loaded = False

    def _published_packs(self) -> list[RulePack]:
        assert self.packs is not None
        return [engine.parse_pack(text, f"rule pack {version}") for version, text in self.packs.published()]

    def _knowledge(self) -> ActiveKnowledge:
        # Loaded on first use, not at start, so a replica whose database is down still
        # starts and reports NOT_SERVING instead of crashing.
        if not self._loaded:
            with self._lock:
                if not self._loaded:
                    pack = self.active.pack
                    if self.packs is not None:
                        # The repo's default pack is the first published version of an empty store.
                        if self.default_text:
                            self.packs.publish_default(pack.version, self.default_text)
                        published = self._published_packs()
                        pack = published[-1] if published else pack
                    self.active = ActiveKnowledge(tuple(self.store.all()), pack)
                    self._loaded = True
        return self.active

    def Evaluate(self, request: rules_pb2.EvaluateRequest, context: grpc.ServicerContext) -> rules_pb2.EvaluateResponse:
        moment = MOMENTS.get(request.moment)
        if moment is None:
            raise InvalidArgument([FieldViolation("moment", "must be MOMENT_PRE, MOMENT_IN or MOMENT_POST")])
        active = self._knowledge()
        # Cases are grouped by the catalogue version in force on their service dates, so a
        # catalogue change mid-month judges each claim by the version of its own date.
        groups: dict[str, tuple[cat.Catalogue, list[common_pb2.PatientCase]]] = {}
        single = len(active.catalogues) <= 1  # then one version judges every date: no day to find
        for case in request.cases:
            chosen = active.catalogue if single else active.catalogue_on(_case_day(case))
            groups.setdefault(chosen.version, (chosen, []))[1].append(case)
        findings: list[Finding] = []
        used: list[str] = []
        for catalogue, cases in groups.values():
            # Screened first when small (one patient's check): frames only if some rule could fire.
            rows = rows_from_cases(cases)
            findings.extend(screen.evaluate(rows, catalogue, active.pack, moment, list(request.rule_ids)))
            used.append(catalogue.version)
        return rules_pb2.EvaluateResponse(
            findings=[finding_to_proto(f) for f in findings],
            catalogue_version=",".join(used) or active.catalogue.version,
            rule_pack_version=active.pack.version,
        )

    def ListRules(self, request: rules_pb2.ListRulesRequest, context: grpc.ServicerContext) -> rules_pb2.ListRulesResponse:
        problems: list[FieldViolation] = []
        day = date_or_none(request.as_of, "as_of", problems) or date.today()
        if problems:
            raise InvalidArgument(problems)
        moments = {v: k for k, v in MOMENTS.items()}
        return rules_pb2.ListRulesResponse(rules=[
            rules_pb2.Rule(
                rule_id=r.rule_id, version=r.version, national_code=r.national_code, name=r.name,
                template=r.template, tier=r.tier, result_type=r.result_type, basis=r.basis,
                moments=[moments[m] for m in sorted(r.moments)],
                effective_from=r.effective_from.isoformat(),
                effective_to=r.effective_to.isoformat() if r.effective_to else "",
                parameters_json=r.params_json(),
            )
            for r in self._knowledge().pack.rules if r.in_force(day)
        ])

    def LoadCatalogue(self, request: rules_pb2.LoadCatalogueRequest,
                      context: grpc.ServicerContext) -> rules_pb2.LoadCatalogueResponse:
        problems: list[FieldViolation] = []
        date_or_none(request.effective_from, "effective_from", problems, required=True)
        if problems:
            raise InvalidArgument(problems)
        files = dict(request.files)
        # A malformed catalogue raises here, before anything is stored or swapped: the
        # versions in force stay in force.
        loaded = cat.parse(request.version, request.effective_from, files)
        created = self.store.save(loaded, files, request.request_id)
        self._knowledge()
        with self._lock:
            # A replica's first load reads the store after saving: the new version is there already.
            if created and all(c.version != loaded.version for c in self.active.catalogues):
                versions = sorted((*self.active.catalogues, loaded), key=lambda c: c.effective_from)
                self.active = ActiveKnowledge(tuple(versions), self.active.pack)
        return rules_pb2.LoadCatalogueResponse(version=loaded.version, items=loaded.size, already_loaded=not created)

    def WhatIf(self, request_iterator: Iterator[rules_pb2.WhatIfChunk],
               context: grpc.ServicerContext) -> rules_pb2.WhatIfReport:
        active = self._knowledge()
        replay: whatif.Replay | None = None
        for i, chunk in enumerate(request_iterator):
            if replay is None:
                moment = MOMENTS.get(chunk.moment, "post") if chunk.moment else "post"
                draft = (engine.parse_pack(chunk.draft_pack_toml, "draft_pack_toml") if chunk.draft_pack_toml
                         else active.pack)
                draft_catalogue = (cat.parse("draft", active.catalogue.effective_from, dict(chunk.draft_catalogue_files))
                                   if chunk.draft_catalogue_files else None)
                replay = whatif.Replay(active.catalogue, active.pack, draft, draft_catalogue, moment)
            try:
                batch = batch_from_cases(chunk.cases)
            except InvalidArgument as exc:
                raise InvalidArgument([FieldViolation(f"chunks[{i}].{v.field}", v.reason)
                                       for v in exc.violations]) from exc
            replay.add(batch)
        if replay is None:
            raise InvalidArgument([FieldViolation("chunks", "at least one chunk is required")])
        report = replay.report()
        return rules_pb2.WhatIfReport(
            rows=[rules_pb2.WhatIfRow(rule_id=r["rule_id"], institution_code=r["institution_code"] or "",
                                      current_findings=r["current_findings"], current_amount=money(r["current_amount"]),
                                      draft_findings=r["draft_findings"], draft_amount=money(r["draft_amount"]))
                  for r in report.iter_rows(named=True)],
            cases=replay.cases, lines=replay.lines, current_pack_version=active.pack.version,
            draft_pack_version=replay.draft.version,
        )

    def SaveRulePack(self, request: rules_pb2.SaveRulePackRequest,
                     context: grpc.ServicerContext) -> rules_pb2.RulePackVersion:
        if self.packs is None:
            raise InvalidArgument([FieldViolation("toml", "this replica has no rule-pack store")])
        pack = engine.parse_pack(request.toml, "toml")  # names file, rule and field of each problem
        self._knowledge()
        problems = rulepack.check_immutable(pack, self._published_packs())
        if problems:
            raise InvalidArgument(problems)
        created = self.packs.save_draft(pack.version, request.toml, request.request_id)
        row = self.packs.get(pack.version)
        return rules_pb2.RulePackVersion(version=pack.version, status=row.status if row else "draft",
                                         rules=len(pack.rules), already_done=not created)

    def PublishRulePack(self, request: rules_pb2.PublishRulePackRequest,
                        context: grpc.ServicerContext) -> rules_pb2.RulePackVersion:
        if self.packs is None:
            raise InvalidArgument([FieldViolation("version", "this replica has no rule-pack store")])
        if not request.version:
            raise InvalidArgument([FieldViolation("version", "required")])
        self._knowledge()
        row = self.packs.get(request.version)
        if row is None:
            raise NotFound(f"rule pack {request.version}")
        pack = engine.parse_pack(row.text, f"rule pack {request.version}")
        if row.status != "published":
            problems = rulepack.check_immutable(pack, self._published_packs())
            if problems:
                raise InvalidArgument(problems)
        published = self.packs.publish(request.version, request.actor)
        with self._lock:
            self.active = ActiveKnowledge(self.active.catalogues, pack)
        return rules_pb2.RulePackVersion(version=pack.version, status="published", rules=len(pack.rules),
                                         already_done=not published)
