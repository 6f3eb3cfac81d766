"""Read a generated world back: the rules domain's Batch and the catalogue.

Columns are taken by the rules model's schemas at call time, so when the model gains a
column the generator already writes (invoice_no, received_at, fee_time, ...) it is
picked up; a column the generator does not write comes back empty (null).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from bench.generator.catalogue import CATALOGUE_FROM
from services.rules.domain import catalogue as catalogue_mod
from services.rules.domain.model import ENCOUNTER_SCHEMA, LINE_SCHEMA, PATIENT_SCHEMA, Batch


def parts(world: Path) -> list[str]:
    """The part names (part-NNNNN) in the order they were written."""
    return sorted(p.stem for p in (world / "parquet" / "lines").glob("part-*.parquet"))


def _frame(world: Path, table: str, names: list[str], schema: dict[str, pl.DataType | type[pl.DataType]]
           ) -> pl.DataFrame:
    files = [str(world / "parquet" / table / f"{n}.parquet") for n in names]
    df = pl.read_parquet(files) if files else pl.DataFrame()
    cols = []
    for name, dtype in schema.items():
        if name in df.columns:
            cols.append(pl.col(name).cast(dtype))
        else:
            cols.append(pl.lit(None, dtype).alias(name))
    extras = [c for c in df.columns if c not in schema]
    return df.select(*cols, *extras) if df.height else pl.DataFrame(schema=schema)


def load_batch(world: Path, names: list[str] | None = None, extras: bool = True) -> Batch:
    """A Batch of the given parts (all when None). With extras=False only model columns."""
    names = parts(world) if names is None else names
    patients = _frame(world, "patients", names, PATIENT_SCHEMA)
    encounters = _frame(world, "encounters", names, ENCOUNTER_SCHEMA)
    lines = _frame(world, "lines", names, LINE_SCHEMA)
    if not extras:
        patients = patients.select(list(PATIENT_SCHEMA))
        encounters = encounters.select(list(ENCOUNTER_SCHEMA))
        lines = lines.select(list(LINE_SCHEMA))
    return Batch(patients, encounters, lines)


def load_catalogue(world: Path) -> catalogue_mod.Catalogue:
    files = catalogue_mod.read_folder(world / "catalogue")
    return catalogue_mod.parse("generated-v1", CATALOGUE_FROM, files)
