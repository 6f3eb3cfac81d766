"""Write a synthetic province to a folder: registry, catalogue, data, national shapes, truth.

Layout of DIR:
  manifest.json                      the configuration and counts
  registry/*.csv                     institutions, staff, registrations, sanctions
  catalogue/*.csv                    catalogue format v1
  parquet/{patients,encounters,lines}/part-NNNNN.parquet   rules-domain column schemas
  national/2204/part-NNNNN.ndjson    one fee-detail upload envelope per encounter
  national/2207/part-NNNNN.ndjson    one settlement envelope per encounter
  national/3101/3101-NNNNNN.json     pre-event analysis requests for a sample of encounters
  ground_truth/violations.csv        which line, encounter or patient breaks which rule
  ground_truth/actors.csv            fraudulent institutions and doctors
  ground_truth/summary.json          counts and amounts per rule; rate bookkeeping

Patients are written in chunks, so memory is bounded by the chunk, not the world.
"""

from __future__ import annotations

import csv
import json
import random
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

import polars as pl

from bench.generator import catalogue as cat
from bench.generator.progress import Progress
from bench.generator.registry import Registry, build_registry, write_registry
from bench.generator.world import (
    DEFAULT_RATES,
    RULES,
    Actors,
    Encounter,
    PatientWorld,
    WorldBuilder,
    month_bounds,
)

EPOCH = date(1970, 1, 1).toordinal()
MED_TYPE = {"1": "11", "2": "21", "3": "41"}
FUND_SHARE = {("310", "1"): 70, ("310", "2"): 85, ("310", "3"): 70, ("390", "1"): 50, ("390", "2"): 70,
              ("390", "3"): 50}
GT_HEADER = ["rule_id", "level", "scenario", "patient_id", "claim_id", "encounter_id", "line_id", "key", "amount",
             "institution_code", "doctor_code", "service_date", "requires"]


@dataclass(frozen=True)
class Config:
    seed: int = 1
    institutions: int = 40
    people: int = 10_000
    months: int = 12
    start: str = "2026-01-01"
    rates: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_RATES))
    fraud: bool = True
    chunk_people: int = 5_000
    national: str = "all"  # all | sample (3101 only) | none
    sample_3101: int = 200
    progress: bool = True

    @staticmethod
    def clean(**kw: Any) -> Config:
        """A world with no injected violation and no fraudulent actor."""
        return Config(rates={r: 0.0 for r in RULES}, fraud=False, **kw)


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def _dt(day: int, sec: int) -> str:
    return f"{date.fromordinal(day).isoformat()} {sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}"


def _choose_actors(rng: random.Random, registry: Registry, start: int, end: int) -> Actors:
    clinics = registry.by_kind("clinic")
    hospitals = registry.by_kind("hospital")
    pharmacies = registry.by_kind("pharmacy")
    big = [h for h in hospitals if h.level == "3"] or hospitals
    mid = [h for h in hospitals if h.level == "2"] or hospitals
    upcoder = rng.choice([s for s in big[0].staff if s.role == "doctor"])
    suspended = rng.choice([s for s in mid[0].staff if s.role == "doctor" and s.code != upcoder.code
                            and not s.suspensions and len(s.registrations) == 1])
    span = end - start
    suspended.suspensions.append((start + span // 3, start + span // 3 + max(span // 4, 7)))
    phantom = clinics[0]
    double = clinics[1] if len(clinics) > 1 else hospitals[-1]
    return Actors(phantom.code, upcoder.code, pharmacies[0].code, mid[-1].code, suspended.code, double.code)


class _Columns:
    """Column lists for one chunk; converted to Polars frames in one go."""

    def __init__(self) -> None:
        self.patients: dict[str, list[Any]] = {k: [] for k in (
            "patient_id", "gender", "birth_date", "death_date", "insurance_type", "name", "division")}
        self.encounters: dict[str, list[Any]] = {k: [] for k in (
            "claim_id", "encounter_id", "patient_id", "institution_code", "institution_level", "care_setting",
            "med_type", "admission_date", "discharge_date", "doctor_code", "dept_code", "insurance_type",
            "diagnoses", "procedures", "total_amount", "invoice_no", "received_at", "institution_type")}
        self.lines: dict[str, list[Any]] = {k: [] for k in (
            "claim_id", "encounter_id", "patient_id", "line_id", "item_code", "item_name", "item_type", "item_class",
            "quantity", "unit_price", "amount", "service_date", "dept_code", "doctor_code", "fee_time")}

    def add(self, w: PatientWorld) -> None:
        p = w.person
        pc = self.patients
        pc["patient_id"].append(p.patient_id)
        pc["gender"].append(p.gender)
        pc["birth_date"].append(p.birth - EPOCH)
        pc["death_date"].append(None if p.death is None else p.death - EPOCH)
        pc["insurance_type"].append(p.insurance_type)
        pc["name"].append(p.name)
        pc["division"].append(p.division)
        ec, lc = self.encounters, self.lines
        # Bound appends: this loop runs once per fee line, ten million times for a big world.
        (add_claim, add_enc, add_pat, add_line, add_code, add_name, add_type, add_class, add_qty, add_price,
         add_amount, add_day, add_dept, add_doctor, add_time) = (lc[k].append for k in (
            "claim_id", "encounter_id", "patient_id", "line_id", "item_code", "item_name", "item_type", "item_class",
            "quantity", "unit_price", "amount", "service_date", "dept_code", "doctor_code", "fee_time"))
        for e in w.encounters:
            ec["claim_id"].append(e.claim_id)
            ec["encounter_id"].append(e.encounter_id)
            ec["patient_id"].append(p.patient_id)
            ec["institution_code"].append(e.inst.code)
            ec["institution_level"].append(e.inst.level)
            ec["care_setting"].append(e.setting)
            ec["med_type"].append(MED_TYPE[e.setting])
            ec["admission_date"].append(e.adm - EPOCH)
            ec["discharge_date"].append(e.dis - EPOCH)
            ec["doctor_code"].append(e.doctor.code)
            ec["dept_code"].append(e.doctor.dept)
            ec["insurance_type"].append(p.insurance_type)
            ec["diagnoses"].append(list(e.diagnoses))
            ec["procedures"].append(list(e.procedures))
            ec["total_amount"].append(e.total)
            ec["invoice_no"].append(e.invoice_no)
            ec["received_at"].append(((e.dis + e.received_delay - EPOCH) * 86400 + 10 * 3600) * 1_000_000)
            ec["institution_type"].append(e.inst.kind)
            cid, eid, pid = e.claim_id, e.encounter_id, p.patient_id
            for ln in e.lines:
                it, doc = ln.item, ln.doctor
                add_claim(cid)
                add_enc(eid)
                add_pat(pid)
                add_line(ln.line_id)
                add_code(it.code)
                add_name(it.name)
                add_type(it.item_type)
                add_class(it.item_class)
                add_qty(ln.qty)
                add_price(ln.price)
                add_amount(ln.qty * ln.price)
                add_day(ln.day - EPOCH)
                add_dept(doc.dept)
                add_doctor(doc.code)
                add_time(((ln.day - EPOCH) * 86400 + ln.sec) * 1_000_000)

    def frames(self) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
        def dec(name: str, scale: int) -> pl.Expr:
            return (pl.col(name).cast(pl.Decimal(18, 2)) / 100).cast(pl.Decimal(18, scale))

        patients = pl.DataFrame(self.patients, schema_overrides={"birth_date": pl.Int32, "death_date": pl.Int32}) \
            .with_columns(pl.col("birth_date").cast(pl.Date), pl.col("death_date").cast(pl.Date))
        encounters = pl.DataFrame(self.encounters, schema_overrides={
            "admission_date": pl.Int32, "discharge_date": pl.Int32, "total_amount": pl.Int64,
            "received_at": pl.Int64, "diagnoses": pl.List(pl.String), "procedures": pl.List(pl.String)}) \
            .with_columns(pl.col("admission_date").cast(pl.Date), pl.col("discharge_date").cast(pl.Date),
                          dec("total_amount", 2), pl.lit(False).alias("is_history"),
                          pl.col("received_at").cast(pl.Datetime("us")))
        lines = pl.DataFrame(self.lines, schema_overrides={
            "quantity": pl.Int64, "unit_price": pl.Int64, "amount": pl.Int64, "service_date": pl.Int32,
            "fee_time": pl.Int64}) \
            .with_columns(pl.col("quantity").cast(pl.Decimal(18, 4)), dec("unit_price", 4), dec("amount", 2),
                          pl.col("service_date").cast(pl.Date), pl.lit(None, pl.String).alias("original_line_id"),
                          pl.lit(False).alias("is_history"), pl.col("fee_time").cast(pl.Datetime("us")))
        return patients, encounters, lines


def _truth_rows(w: PatientWorld) -> Iterator[list[str]]:
    pid = w.person.patient_id
    for lb in w.labels:
        e, ln = lb.encounter, lb.line
        day = ln.day if ln is not None else e.adm if e is not None else None
        yield [lb.rule_id, lb.level, lb.scenario, pid, e.claim_id if e else "", e.encounter_id if e else "",
               ln.line_id if ln else "", lb.patient_key, money(lb.amount), e.inst.code if e else "",
               (ln.doctor.code if ln else e.doctor.code) if e else "",
               date.fromordinal(day).isoformat() if day is not None else "", lb.requires]


class _National:
    """The national request shapes (gateway/national.py field names), one file set per chunk."""

    def __init__(self, out: Path, cfg: Config) -> None:
        self.out = out
        self.cfg = cfg
        self.seq = 0
        self.sampled = 0
        self.stride = 37  # every 37th outpatient encounter, until the sample is full
        self.outpatients = 0

    def _envelope(self, infno: str, e: Encounter, sec: int, input_: dict[str, Any]) -> dict[str, Any]:
        self.seq += 1
        stamp = date.fromordinal(e.dis).strftime("%Y%m%d") + f"{sec // 3600:02d}{sec // 60 % 60:02d}{sec % 60:02d}"
        return {
            "infno": infno, "msgid": f"{e.inst.code}{stamp}{self.seq % 10000:04d}",
            "mdtrtarea_admvs": e.inst.division, "insuplc_admdvs": e.inst.division, "recer_sys_code": "FSI_LOCAL",
            "dev_no": "", "dev_safe_info": "", "cainfo": "", "signtype": "SM3", "infver": "V1.0",
            "opter_type": "1", "opter": e.doctor.code, "opter_name": e.doctor.name,
            "inf_time": _dt(e.dis, sec), "fixmedins_code": e.inst.code, "fixmedins_name": e.inst.name,
            "sign_no": f"SIGN{self.seq:08d}", "input": input_,
        }

    @staticmethod
    def _fee(e: Encounter, psn: str) -> list[dict[str, Any]]:
        return [{
            "feedetl_sn": ln.line_id, "init_feedetl_sn": "", "mdtrt_id": e.encounter_id, "drord_no": "",
            "psn_no": psn, "med_type": MED_TYPE[e.setting], "fee_ocur_time": _dt(ln.day, ln.sec),
            "med_list_codg": ln.item.code, "medins_list_codg": ln.item.code, "hilist_name": ln.item.name,
            "hilist_type": ln.item.item_type, "det_item_fee_sumamt": money(ln.amount), "cnt": str(ln.qty),
            "pric": money(ln.price), "sin_dos_dscr": "", "used_frqu_dscr": "", "prd_days": "", "medc_way_dscr": "",
            "bilg_dept_codg": ln.doctor.dept, "bilg_dept_name": "", "bilg_dr_codg": ln.doctor.code,
            "bilg_dr_name": ln.doctor.name, "acord_dept_codg": "", "acord_dept_name": "", "orders_dr_code": "",
            "orders_dr_name": "", "hosp_appr_flag": "1", "tcmdrug_used_way": "", "etip_flag": "",
            "etip_hosp_code": "", "dscg_tkdrug_flag": "", "matn_fee_flag": "",
        } for ln in e.lines]

    def write_chunk(self, part: int, worlds: list[PatientWorld]) -> None:
        if self.cfg.national == "none":
            return
        full = self.cfg.national == "all"
        d2204, d2207, d3101 = self.out / "2204", self.out / "2207", self.out / "3101"
        for d in (d2204, d2207, d3101):
            d.mkdir(parents=True, exist_ok=True)
        f4: IO[str] | None = (d2204 / f"part-{part:05d}.ndjson").open("w", encoding="utf-8") if full else None
        f7: IO[str] | None = (d2207 / f"part-{part:05d}.ndjson").open("w", encoding="utf-8") if full else None
        try:
            for w in worlds:
                p = w.person
                for e in w.encounters:
                    sec = max((ln.sec for ln in e.lines), default=9 * 3600)
                    total = e.total
                    fund = total * FUND_SHARE[(p.insurance_type, e.setting)] // 100
                    if f4 is not None and f7 is not None:
                        env = self._envelope("2204", e, sec, {"feedetail": self._fee(e, p.patient_id)})
                        f4.write(json.dumps(env, ensure_ascii=False, separators=(",", ":")) + "\n")
                        setl = {"data": {
                            "psn_no": p.patient_id, "mdtrt_id": e.encounter_id, "chrg_bchno": e.claim_id,
                            "setl_id": f"S{e.encounter_id[3:]}", "insutype": p.insurance_type,
                            "mdtrt_cert_type": "02", "med_type": MED_TYPE[e.setting], "invono": e.invoice_no,
                            "medfee_sumamt": money(total), "hifp_payamt": money(fund),
                            "psn_cash_pay": money(total - fund), "acct_pay": "0.00", "psn_setlway": "01",
                            "acct_used_flag": "0", "setl_time": _dt(e.dis + e.received_delay, 10 * 3600)}}
                        env = self._envelope("2207", e, sec, setl)
                        f7.write(json.dumps(env, ensure_ascii=False, separators=(",", ":")) + "\n")
                    if e.setting == "1":
                        self.outpatients += 1
                        if self.sampled < self.cfg.sample_3101 and self.outpatients % self.stride == 1:
                            self.sampled += 1
                            self._write_3101(d3101, p, e, fund)
        finally:
            for f in (f4, f7):
                if f is not None:
                    f.close()

    def _write_3101(self, folder: Path, p: Any, e: Encounter, fund: int) -> None:
        orders = [{
            "rx_id": str(n), "rxno": f"RX{n}", "grpno": "1", "long_drord_flag": "0", "hilist_type": ln.item.item_type,
            "chrg_type": "", "drord_bhvr": "0", "hilist_code": ln.item.code, "hilist_name": ln.item.name,
            "hilist_dosform": "", "hilist_lv": ln.item.item_class, "hilist_pric": money(ln.price),
            "lv1_hosp_item_pric": "", "cnt": str(ln.qty), "pric": money(ln.price), "sumamt": money(ln.amount),
            "ownpay_amt": "0", "selfpay_amt": "0", "spec": "", "spec_unt": "",
            "drord_begn_date": _dt(ln.day, ln.sec), "drord_stop_date": "", "drord_dept_codg": ln.doctor.dept,
            "drord_dept_name": "", "drord_dr_codg": ln.doctor.code, "drord_dr_name": ln.doctor.name,
            "drord_dr_profttl": ln.doctor.title, "curr_drord_flag": "1", "fundguard_line_id": ln.line_id,
        } for n, ln in enumerate(e.lines, 1)]
        sec = min((ln.sec for ln in e.lines), default=9 * 3600)
        data: dict[str, Any] = {"syscode": "HIS01", "task_id": f"T{e.encounter_id[3:]}", "trig_scen": "6", "patient_dtos": [{
            "patn_id": p.patient_id, "patn_name": p.name, "gend": p.gender,
            "brdy": date.fromordinal(p.birth).isoformat(), "poolarea": p.division,
            "curr_mdtrt_id": e.encounter_id, "fsi_encounter_dtos": [{
                "mdtrt_id": e.encounter_id, "medins_id": e.inst.code, "medins_name": e.inst.name,
                "medins_admdvs": e.inst.division, "medins_type": "1", "medins_lv": e.inst.level,
                "adm_date": _dt(e.adm, sec), "dscg_date": _dt(e.dis, sec + 1800),
                "dscg_main_dise_codg": e.diagnoses[0], "dscg_main_dise_name": "",
                "fsi_diagnose_dtos": [{"dise_id": str(k), "inout_dise_type": "1",
                                       "maindise_flag": "1" if k == 1 else "0", "dias_srt_no": str(k),
                                       "dise_codg": code, "dise_name": "",
                                       "dise_date": date.fromordinal(e.adm).isoformat()}
                                      for k, code in enumerate(e.diagnoses, 1)],
                "dr_codg": e.doctor.code, "adm_dept_codg": e.doctor.dept, "adm_dept_name": "",
                "dscg_dept_codg": e.doctor.dept, "dscg_dept_name": "", "med_mdtrt_type": e.setting,
                "med_type": MED_TYPE[e.setting], "fsi_order_dtos": orders, "matn_stas": "0",
                "medfee_sumamt": money(e.total), "ownpay_amt": "0", "selfpay_amt": "0", "acct_payamt": "0",
                "ma_amt": "0", "hifp_payamt": money(fund), "setl_totlnum": "1", "insutype": p.insurance_type,
                "reim_flag": "0", "out_setl_flag": "2", "fsi_operation_dtos": [],
            }],
        }]}
        if p.death is not None:
            data["patient_dtos"][0]["death_date"] = date.fromordinal(p.death).isoformat()
        env = self._envelope("3101", e, sec, {"data": data})
        (folder / f"3101-{self.sampled:06d}.json").write_text(
            json.dumps(env, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def generate(cfg: Config, out: Path) -> dict[str, Any]:
    """Write the world described by cfg to out; returns the manifest (also written)."""
    t0 = time.perf_counter()
    unknown = sorted(set(cfg.rates) - set(RULES))
    if unknown:
        raise ValueError(f"unknown rule ids in rates: {', '.join(unknown)}")
    start = date.fromisoformat(cfg.start).toordinal()
    builder_rng = random.Random(f"fundguard-registry/{cfg.seed}")
    end = month_bounds(start, cfg.months)[-1][1]
    registry = build_registry(builder_rng, cfg.institutions, start, end)
    actors = _choose_actors(builder_rng, registry, start, end) if cfg.fraud else Actors()
    builder = WorldBuilder(cfg.seed, registry, start, cfg.months, cfg.rates, actors)
    out.mkdir(parents=True, exist_ok=True)
    write_registry(out / "registry", registry)
    cat.write_catalogue(out / "catalogue")
    for sub in ("patients", "encounters", "lines"):
        (out / "parquet" / sub).mkdir(parents=True, exist_ok=True)
    (out / "ground_truth").mkdir(parents=True, exist_ok=True)
    national = _National(out / "national", cfg)
    counters: dict[str, list[int]] = {r: [0, 0] for r in RULES}
    per_rule: dict[str, dict[str, Any]] = {r: {"count": 0, "amount_cents": 0, "by_scenario": {}} for r in RULES}
    totals = {"patients": 0, "encounters": 0, "lines": 0, "amount_cents": 0, "deceased": 0}
    progress = Progress("generate", cfg.people, enabled=cfg.progress)
    with (out / "ground_truth" / "violations.csv").open("w", encoding="utf-8", newline="") as gt:
        writer = csv.writer(gt, lineterminator="\n")
        writer.writerow(GT_HEADER)
        for part, first in enumerate(range(0, cfg.people, cfg.chunk_people)):
            cols = _Columns()
            worlds = []
            for index in range(first, min(first + cfg.chunk_people, cfg.people)):
                w = builder.patient(index, cfg.fraud)
                worlds.append(w)
                cols.add(w)
                totals["patients"] += 1
                totals["deceased"] += w.person.death is not None
                totals["encounters"] += len(w.encounters)
                for e in w.encounters:
                    totals["lines"] += len(e.lines)
                    totals["amount_cents"] += e.total
                for rule, (el, inj) in w.counters.items():
                    counters[rule][0] += el
                    counters[rule][1] += inj
                for row in _truth_rows(w):
                    writer.writerow(row)
                    r = per_rule[row[0]]
                    r["count"] += 1
                    cents = w_amount(row[8])
                    r["amount_cents"] += cents
                    r["by_scenario"][row[2]] = r["by_scenario"].get(row[2], 0) + 1
            patients, encounters, lines = cols.frames()
            patients.write_parquet(out / "parquet" / "patients" / f"part-{part:05d}.parquet")
            encounters.write_parquet(out / "parquet" / "encounters" / f"part-{part:05d}.parquet")
            lines.write_parquet(out / "parquet" / "lines" / f"part-{part:05d}.parquet", row_group_size=250_000)
            national.write_chunk(part, worlds)
            progress.update(len(worlds), f"{totals['lines']:,} lines")
    progress.done(f"{totals['lines']:,} lines")
    with (out / "ground_truth" / "actors.csv").open("w", encoding="utf-8", newline="") as f:
        w_ = csv.writer(f, lineterminator="\n")
        w_.writerow(["kind", "code", "scenario"])
        w_.writerows(actors.rows())
    summary = {
        "rules": {r: {"count": v["count"], "amount": money(v["amount_cents"]),
                      "by_scenario": dict(sorted(v["by_scenario"].items()))} for r, v in per_rule.items()},
        "rate_injections": {r: {"eligible": c[0], "injected": c[1], "rate": float(cfg.rates.get(r, 0.0))}
                            for r, c in counters.items()},
    }
    (out / "ground_truth" / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n",
                                                     encoding="utf-8")
    manifest = {
        "generator": "fundguard bench.generator v1",
        "config": {**asdict(cfg), "rates": dict(sorted(cfg.rates.items()))},
        "period": {"from": cfg.start, "to": date.fromordinal(end).isoformat()},
        "totals": {**{k: v for k, v in totals.items() if k != "amount_cents"},
                   "amount": money(totals["amount_cents"]), "institutions": len(registry.institutions),
                   "staff": len(registry.staff), "samples_3101": national.sampled},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
    if cfg.progress:
        print(f"wrote {out} in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    return manifest


def w_amount(text: str) -> int:
    whole, _, frac = text.lstrip("-").partition(".")
    cents = int(whole) * 100 + int((frac + "00")[:2])
    return -cents if text.startswith("-") else cents
