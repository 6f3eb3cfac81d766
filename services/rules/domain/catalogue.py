"""The knowledge the rules read: a catalogue of drugs, services and consumables.

A catalogue is a folder of CSV files (see docs/catalogue.md). Loading checks every row
and names the file, row and field of each problem; a bad catalogue is never half-loaded.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from fundguard.runtime.errors import FieldViolation, InvalidArgument
from services.rules.domain.model import PRICE

ITEM_TYPES = {"101", "102", "201", "301"}
LEVELS = ("1", "2", "3")

ITEMS_COLUMNS: dict[str, pl.DataType | type[pl.DataType]] = {
    "item_code": pl.String,
    "name": pl.String,
    "item_type": pl.String,
    "item_class": pl.String,
    "price_ceiling_1": PRICE,
    "price_ceiling_2": PRICE,
    "price_ceiling_3": PRICE,
    "sex_limit": pl.String,
}
REQUIRED_ITEMS = ("item_code", "name", "item_type")


@dataclass(frozen=True)
class Catalogue:
    version: str
    effective_from: str
    checksum: str
    items: pl.DataFrame

    @property
    def size(self) -> int:
        return self.items.height


def _read_items(text: str, file: str) -> pl.DataFrame:
    try:
        raw = pl.read_csv(io.StringIO(text), infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        raise InvalidArgument([FieldViolation(file, f"not readable as CSV: {exc}")]) from exc
    missing = [c for c in REQUIRED_ITEMS if c not in raw.columns]
    if missing:
        raise InvalidArgument([FieldViolation(f"{file}:header", f"missing column {c}") for c in missing])
    for col in ITEMS_COLUMNS:
        if col not in raw.columns:
            raw = raw.with_columns(pl.lit(None, pl.String).alias(col))
    raw = raw.with_columns(pl.col(c).str.strip_chars().replace("", None) for c in ITEMS_COLUMNS)
    problems: list[FieldViolation] = []
    rows = raw.with_row_index("row", offset=2)  # row 1 is the header
    for col in REQUIRED_ITEMS:
        for r in rows.filter(pl.col(col).is_null())["row"].to_list()[:50]:
            problems.append(FieldViolation(f"{file}:{r}:{col}", "required"))
    bad_type = rows.filter(~pl.col("item_type").is_in(list(ITEM_TYPES)) & pl.col("item_type").is_not_null())
    for r, v in bad_type.select("row", "item_type").iter_rows():
        problems.append(FieldViolation(f"{file}:{r}:item_type", f"must be one of 101, 102, 201, 301, got {v!r}"))
    bad_sex = rows.filter(~pl.col("sex_limit").is_in(["1", "2"]) & pl.col("sex_limit").is_not_null())
    for r, v in bad_sex.select("row", "sex_limit").iter_rows():
        problems.append(FieldViolation(f"{file}:{r}:sex_limit", f"must be 1 (male), 2 (female) or empty, got {v!r}"))
    for lv in LEVELS:
        col = f"price_ceiling_{lv}"
        bad = rows.filter(pl.col(col).is_not_null() & pl.col(col).cast(PRICE, strict=False).is_null())
        for r, v in bad.select("row", col).iter_rows():
            problems.append(FieldViolation(f"{file}:{r}:{col}", f"must be a decimal amount, got {v!r}"))
    dupes = rows.filter(pl.col("item_code").is_duplicated() & pl.col("item_code").is_not_null())
    for r, v in dupes.select("row", "item_code").iter_rows():
        problems.append(FieldViolation(f"{file}:{r}:item_code", f"duplicate code {v!r}"))
    if problems:
        raise InvalidArgument(problems[:200])
    return raw.select(pl.col(c).cast(t) for c, t in ITEMS_COLUMNS.items())


def parse(version: str, effective_from: str, files: Mapping[str, str]) -> Catalogue:
    """Build a catalogue from its CSV files' text; raise InvalidArgument naming file, row, field."""
    if not version:
        raise InvalidArgument([FieldViolation("version", "required")])
    if "items.csv" not in files:
        raise InvalidArgument([FieldViolation("files", "items.csv is required")])
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name].encode() + b"\0")
    return Catalogue(version, effective_from, digest.hexdigest(), _read_items(files["items.csv"], "items.csv"))


def read_folder(path: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(path.glob("*.csv"))}
