"""Synthetic catalogues and claims for the rules benchmarks (deterministic, no files needed)."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

import polars as pl

from services.rules.domain import catalogue as cat
from services.rules.domain.model import ENCOUNTER_SCHEMA, LINE_SCHEMA, PATIENT_SCHEMA, Batch

TYPES = ["101", "101", "101", "102", "201", "201", "201", "301"]
KINDS = {"101": ["drug"], "102": ["herb"], "201": ["service", "lab", "exam", "treatment", "bed", "surgery", "ct"],
         "301": ["consumable"]}


def catalogue_files(items: int = 20_000, pairs: int = 20_000, seed: int = 7) -> dict[str, str]:
    """A catalogue with every attribute set on a share of the items and ``pairs`` rows per pair table."""
    rnd = random.Random(seed)
    header = list(cat.ITEM_FIELDS)
    rows = [",".join(header)]
    for i in range(items):
        t = TYPES[i % len(TYPES)]
        v = {c: "" for c in header}
        v.update(item_code=f"I{i:06d}", name=f"项目{i}", item_type=t, item_class="0" + str(1 + i % 3),
                 item_kind=rnd.choice(KINDS[t]))
        r = rnd.random()
        if r < 0.3:
            v["price_ceiling_1"], v["price_ceiling_2"], v["price_ceiling_3"] = "20.00", "25.00", "30.00"
        if rnd.random() < 0.03:
            v["sex_limit"] = rnd.choice("12")
        if rnd.random() < 0.03:
            v["max_age_days"] = rnd.choice(["28", "6574"])
        if rnd.random() < 0.02 and not v["max_age_days"]:
            v["min_age_days"] = "6575"
        if rnd.random() < 0.05:
            v["indications"] = "|".join(rnd.sample(["J01", "J02", "K29", "I10", "E11", "M54"], 2))
        if rnd.random() < 0.03:
            v["contraindications"] = "K25"
        if rnd.random() < 0.03:
            v["departments"] = "A03|A04"
        if rnd.random() < 0.03:
            v["care_settings"] = "2"
        if rnd.random() < 0.03:
            v["institution_levels"] = "3"
        if rnd.random() < 0.02:
            v["insurance_scope"] = rnd.choice(["work_injury", "maternity"])
        if rnd.random() < 0.05:
            v["max_quantity"], v["quantity_window"] = "10", rnd.choice(["encounter", "day"])
        if rnd.random() < 0.05:
            v["max_times"], v["times_window"] = "1", "day"
        if rnd.random() < 0.03:
            v["course_days"] = "7"
        if rnd.random() < 0.03:
            v["max_payable_days"] = "5"
        if rnd.random() < 0.02:
            v["elderly_caution"] = "1"
        if rnd.random() < 0.02:
            v["pregnancy_caution"] = "1"
        if rnd.random() < 0.02:
            v["second_line"] = "1"
        if t == "102" and rnd.random() < 0.1:
            v["herb_payment"] = rnd.choice(["never", "compound_only"])
        if rnd.random() < 0.02:
            v["max_amount"] = "100.00"
        rows.append(",".join(v[c] for c in header))
    # Pair tables involve one code in ten, as real contains/interaction tables involve a
    # minority of codes (a table touching every code would make every line a candidate).
    codes = [f"I{i:06d}" for i in range(0, items, 10)]

    def pair_rows(head: str, n: int, group: bool = False) -> str:
        out = [head]
        for j in range(n):
            a = rnd.choice(codes)
            b = f"G{j % max(1, n // 4):05d}" if group else rnd.choice(codes)
            out.append(f"{b},{a}" if group else f"{a},{b}")
        return "\n".join(out) + "\n"

    return {
        "items.csv": "\n".join(rows) + "\n",
        "contains.csv": pair_rows("item_code,contained_code", pairs),
        "bundles.csv": pair_rows("bundle_code,item_code", pairs // 4, group=True),
        "similar_action.csv": pair_rows("group_code,item_code", pairs, group=True),
        "interactions.csv": pair_rows("item_code_a,item_code_b", pairs),
        "herb_incompatible.csv": pair_rows("item_code_a,item_code_b", pairs // 10),
        "requires_service.csv": pair_rows("item_code,service_code", pairs // 20),
        "diagnosis_sex.csv": "diagnosis_prefix,sex\nN40,1\nO,2\nC61,1\nN70,2\n",
        "diagnosis_age.csv": "diagnosis_prefix,min_age_days,max_age_days\nP07,0,28\n",
        "procedure_sex.csv": "procedure_prefix,sex\n68.4,2\n60.5,1\n",
        "diagnosis_procedure.csv": "diagnosis_prefix,procedure_prefix\nK35,47.0\nK36,47.0\n",
    }


def claims(patients: int, encounters_per_patient: int, lines_per_encounter: int, items: int = 20_000,
           seed: int = 11, history_share: float = 0.0) -> Batch:
    """Patients with encounters in November 2026 and lines drawn from the catalogue's codes."""
    n_enc = patients * encounters_per_patient
    n_lines = n_enc * lines_per_encounter
    dx = ["J01.9", "J02.9", "K29.7", "I10", "E11.9", "M54.5", "K25.1", "O80", "N40", "P07.3"]
    pat = pl.DataFrame({"patient_id": [f"P{i:07d}" for i in range(patients)]}).with_columns(
        gender=pl.when(pl.int_range(pl.len()) % 2 == 0).then(pl.lit("1")).otherwise(pl.lit("2")),
        birth_date=pl.lit(date(1940, 1, 1)) + pl.duration(days=(pl.int_range(pl.len()).hash(seed) % 30_000)),
        death_date=pl.when(pl.int_range(pl.len()) % 500 == 0).then(pl.lit(date(2026, 11, 15))).otherwise(None),
        insurance_type=pl.lit("310"),
    ).cast(PATIENT_SCHEMA)  # type: ignore[arg-type]
    i = pl.int_range(pl.len())
    enc = pl.DataFrame({"n": range(n_enc)}).with_columns(
        claim_id=pl.format("H{}-E{}", (pl.col("n") // encounters_per_patient) % 50, "n"),
        encounter_id=pl.format("E{}", "n"),
        patient_id=pl.format("P{}", (pl.col("n") // encounters_per_patient).cast(pl.String).str.zfill(7)),
        institution_code=pl.format("H{}", (pl.col("n") // encounters_per_patient) % 50),
        institution_level=((pl.col("n").hash(seed + 1) % 3) + 1).cast(pl.String),
        care_setting=pl.when(pl.col("n") % 10 == 0).then(pl.lit("2"))
        .when(pl.col("n") % 10 == 1).then(pl.lit("3")).otherwise(pl.lit("1")),
        med_type=pl.lit("11"),
        admission_date=pl.lit(date(2026, 11, 1)) + pl.duration(days=pl.col("n").hash(seed + 2) % 25),
        doctor_code=pl.lit("D001"), dept_code=pl.format("A0{}", pl.col("n") % 6),
        insurance_type=pl.lit("310"),
        diagnoses=pl.concat_list(pl.lit(pl.Series(dx)).get(pl.col("n").hash(seed + 3) % len(dx))),
        procedures=pl.lit([], pl.List(pl.String)),
        total_amount=pl.lit(None, pl.Decimal(18, 2)), invoice_no=pl.format("INV{}", pl.col("n").hash(seed + 4) % (n_enc * 50)),
        is_history=(pl.col("n").hash(seed + 5) % 1000) < int(history_share * 1000),
        seq=pl.col("n").cast(pl.Int64),
    ).with_columns(
        discharge_date=pl.when(pl.col("care_setting") == "2").then(pl.col("admission_date") + pl.duration(days=4))
        .otherwise(pl.col("admission_date")),
    ).drop("n").select(list(ENCOUNTER_SCHEMA)).cast(ENCOUNTER_SCHEMA)  # type: ignore[arg-type]
    line_enc = pl.DataFrame({"m": range(n_lines)}).with_columns(e=pl.col("m") // lines_per_encounter)
    e_rows = enc.with_row_index("e").with_columns(pl.col("e").cast(pl.Int64))
    lines = (
        line_enc.with_columns(pl.col("e").cast(pl.Int64))
        .join(e_rows.select("e", "claim_id", "encounter_id", "patient_id", "admission_date", "discharge_date",
                            "is_history"), on="e", how="left")
        .with_columns(
            line_id=pl.format("L{}", pl.col("m") % lines_per_encounter),
            code_no=(pl.col("m").hash(seed + 6) % items),
            quantity=pl.when(pl.col("m").hash(seed + 7) % 50 == 0).then(pl.lit(-1)).otherwise(
                1 + pl.col("m").hash(seed + 8) % 6).cast(pl.Decimal(18, 4)),
            unit_price=(pl.lit(Decimal("5.00")) + (pl.col("m").hash(seed + 9) % 3000).cast(pl.Decimal(18, 4))
                        / 100).cast(pl.Decimal(18, 4)),
            service_date=pl.col("admission_date") + pl.duration(
                days=pl.col("m").hash(seed + 10) % ((pl.col("discharge_date") - pl.col("admission_date"))
                                                     .dt.total_days() + 1)),
        )
        .with_columns(
            item_code=pl.format("I{}", pl.col("code_no").cast(pl.String).str.zfill(6)),
            item_type=pl.lit(pl.Series(TYPES)).get(pl.col("code_no") % len(TYPES)),
            item_name=pl.lit(""),
            amount=(pl.col("quantity") * pl.col("unit_price")).round(2).cast(pl.Decimal(18, 2)),
            dept_code=pl.lit(""), doctor_code=pl.lit("D001"), original_line_id=pl.lit(""),
        )
        .select(list(LINE_SCHEMA)).cast(LINE_SCHEMA)  # type: ignore[arg-type]
    )
    del i
    return Batch(pat, enc, lines)


def chunks(batch: Batch, patients_per_chunk: int) -> list[Batch]:
    """Split a batch into patient-grouped chunks (a patient never spans two chunks)."""
    ids = batch.patients["patient_id"].sort()
    out = []
    for start in range(0, ids.len(), patients_per_chunk):
        part = ids.slice(start, patients_per_chunk).implode()
        out.append(Batch(batch.patients.filter(pl.col("patient_id").is_in(part)),
                         batch.encounters.filter(pl.col("patient_id").is_in(part)),
                         batch.lines.filter(pl.col("patient_id").is_in(part))))
    return out
