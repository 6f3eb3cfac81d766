"""The knowledge the rules read: a catalogue of drugs, services and consumables.

A catalogue is a folder of CSV files (see docs/catalogue.md): ``items.csv`` plus optional
pair/group tables. Loading checks every row with vectorised expressions and names the
file, row and field of each problem; a bad catalogue is never half-loaded.

Pair tables are kept sorted by their key column so that both a 50-line real-time check
and a million-line monthly run can cut out just the rows for the codes they carry with a
binary search (``Catalogue.pairs_for``) instead of hashing a million-row table per call.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from fundguard.runtime.errors import FieldViolation, InvalidArgument
from services.rules.domain.model import PRICE

ITEM_TYPES = {"101", "102", "201", "301"}
ITEM_CLASSES = {"01", "02", "03"}
ITEM_KINDS = {"drug", "herb", "service", "lab", "exam", "ct", "mri", "treatment", "bed", "surgery",
              "consumable", "nursing"}
LEVELS = ("1", "2", "3")
WINDOWS = {"encounter", "day", "month", "year"}
TIMES_WINDOWS = {"day", "month", "year"}
INSURANCE_SCOPES = {"basic", "work_injury", "maternity"}
HERB_PAYMENT = {"never", "compound_only"}
MAX_PROBLEMS = 200

# Columns of items.csv, in order, with their type once parsed. ``list`` columns hold
# ``|``-separated values. The last three are Fundguard additions to contract v1.
STRING, DECIMAL, INT, FLAG, LIST, DATE = "string", "decimal", "int", "flag", "list", "date"
ITEM_FIELDS: dict[str, str] = {
    "item_code": STRING, "name": STRING, "item_type": STRING, "item_class": STRING, "item_kind": STRING,
    "price_ceiling_1": DECIMAL, "price_ceiling_2": DECIMAL, "price_ceiling_3": DECIMAL,
    "sex_limit": STRING, "min_age_days": INT, "max_age_days": INT, "elderly_caution": FLAG,
    "indications": LIST, "departments": LIST, "care_settings": LIST, "institution_levels": LIST,
    "insurance_scope": STRING, "second_line": FLAG, "pregnancy_caution": FLAG,
    "max_quantity": DECIMAL, "quantity_window": STRING, "max_times": INT, "times_window": STRING,
    "course_days": INT, "max_payable_days": INT, "effective_from": DATE, "effective_to": DATE,
    "contraindications": LIST, "herb_payment": STRING, "max_amount": DECIMAL,
}
POLARS_TYPE: dict[str, pl.DataType | type[pl.DataType]] = {
    STRING: pl.String, DECIMAL: PRICE, INT: pl.Int64, FLAG: pl.Boolean, LIST: pl.List(pl.String), DATE: pl.Date,
}
ITEMS_COLUMNS: dict[str, pl.DataType | type[pl.DataType]] = {c: POLARS_TYPE[k] for c, k in ITEM_FIELDS.items()}
REQUIRED_ITEMS = ("item_code", "name", "item_type")
ENUMS: dict[str, set[str]] = {
    "item_type": ITEM_TYPES, "item_class": ITEM_CLASSES, "item_kind": ITEM_KINDS, "sex_limit": {"1", "2"},
    "insurance_scope": INSURANCE_SCOPES, "quantity_window": WINDOWS, "times_window": TIMES_WINDOWS,
    "herb_payment": HERB_PAYMENT,
}

# Pair/group tables: file -> (columns with their kind, key column used for lookups).
PAIR_TABLES: dict[str, tuple[dict[str, str], str]] = {
    "contains.csv": ({"item_code": STRING, "contained_code": STRING}, "item_code"),
    "bundles.csv": ({"bundle_code": STRING, "item_code": STRING}, "item_code"),
    "similar_action.csv": ({"group_code": STRING, "item_code": STRING}, "item_code"),
    "interactions.csv": ({"item_code_a": STRING, "item_code_b": STRING, "severity": STRING}, "item_code_a"),
    "herb_incompatible.csv": ({"item_code_a": STRING, "item_code_b": STRING}, "item_code_a"),
    "requires_service.csv": ({"item_code": STRING, "service_code": STRING}, "item_code"),
    "diagnosis_sex.csv": ({"diagnosis_prefix": STRING, "sex": STRING}, "diagnosis_prefix"),
    "diagnosis_age.csv": ({"diagnosis_prefix": STRING, "min_age_days": INT, "max_age_days": INT},
                          "diagnosis_prefix"),
    "procedure_sex.csv": ({"procedure_prefix": STRING, "sex": STRING}, "procedure_prefix"),
    "diagnosis_procedure.csv": ({"diagnosis_prefix": STRING, "procedure_prefix": STRING}, "procedure_prefix"),
}
OPTIONAL_PAIR_COLUMNS = {"severity", "min_age_days", "max_age_days"}
SYMMETRIC = {"interactions.csv", "herb_incompatible.csv"}


def _schema(cols: Mapping[str, str]) -> dict[str, pl.DataType | type[pl.DataType]]:
    return {c: POLARS_TYPE[k] for c, k in cols.items()}


@dataclass(frozen=True)
class Catalogue:
    version: str
    effective_from: str
    checksum: str
    items: pl.DataFrame  # sorted by item_code
    tables: Mapping[str, pl.DataFrame] = field(default_factory=dict)  # each sorted by its key
    _indexes: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict, compare=False, repr=False)
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)  # derived views, per version

    @property
    def size(self) -> int:
        return self.items.height

    @property
    def pair_rows(self) -> int:
        return sum(t.height for t in self.tables.values())

    def table(self, name: str) -> pl.DataFrame:
        got = self.tables.get(name)
        if got is None:
            cols, _ = PAIR_TABLES[name]
            return pl.DataFrame(schema=_schema(cols))
        return got

    def rows_for(self, name: str, codes: pl.Series) -> pl.DataFrame:
        """The rows of a sorted table whose key is one of ``codes`` (binary search, no hashing)."""
        frame = self.items if name == "items.csv" else self.table(name)
        key = "item_code" if name == "items.csv" else PAIR_TABLES[name][1]
        if frame.height == 0 or codes.len() == 0:
            return frame.clear()
        if codes.len() > 2_000:
            # Many codes (bulk): one vectorised membership test beats a lookup per code.
            return frame.filter(pl.col(key).is_in(codes.drop_nulls().unique().implode()))
        index = self._index(name, frame, key)
        rows: list[int] = []
        for code in codes.unique().to_list():
            span = index.get(code)
            if span is not None:
                rows.extend(range(span[0], span[1]))
        if not rows:
            return frame.clear()
        rows.sort()
        return frame[rows]

    def has_any(self, name: str, codes: list[str]) -> bool:
        """Whether any of ``codes`` is a key of the table (by its index)."""
        frame = self.items if name == "items.csv" else self.table(name)
        if frame.height == 0:
            return False
        index = self._index(name, frame, "item_code" if name == "items.csv" else PAIR_TABLES[name][1])
        return any(c in index for c in codes)

    def plain_rows(self, name: str, key: str) -> tuple[dict[str, Any], ...]:
        """The rows of a table (or the item) with this key as plain Python values, kept per key:
        the real-time screen reads a few dozen codes per request, always much the same ones."""
        memo: dict[str, tuple[dict[str, Any], ...]] = self.memo.setdefault(f"plain_rows.{name}", {})
        got = memo.get(key)
        if got is None:
            frame = self.items if name == "items.csv" else self.table(name)
            span = self._index(name, frame, "item_code" if name == "items.csv" else PAIR_TABLES[name][1]).get(key)
            got = () if span is None else tuple(frame.slice(span[0], span[1] - span[0]).iter_rows(named=True))
            if len(memo) >= 200_000:  # bounded: codes absent from the table are remembered too
                memo.clear()
            memo[key] = got
        return got

    def _index(self, name: str, frame: pl.DataFrame, key: str) -> dict[str, tuple[int, int]]:
        """Key -> (first row, row after the last) of a sorted table; built once per table."""
        index = self._indexes.get(name)
        if index is None:
            spans = (frame.select(pl.col(key).alias("k")).with_row_index("i")
                     .group_by("k").agg(lo=pl.col("i").min(), hi=pl.col("i").max() + 1))
            index = self._indexes[name] = {k: (lo, hi) for k, lo, hi in spans.iter_rows() if k is not None}
        return index

    def prefix_rows(self, name: str, codes: pl.Series) -> pl.DataFrame:
        """Rows of a prefix-keyed table (diagnosis/procedure prefixes) matching any code's prefix."""
        frame = self.table(name)
        if frame.height == 0 or codes.len() == 0:
            return frame.clear()
        key = PAIR_TABLES[name][1]
        lengths = frame[key].str.len_chars().unique().to_list()
        prefixes = pl.concat([codes.str.slice(0, n) for n in lengths]).unique()
        return self.rows_for(name, prefixes)


def _read(text: str, file: str) -> pl.DataFrame:
    try:
        return pl.read_csv(io.StringIO(text) if len(text) < 1 << 16 else text.encode(), infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        raise InvalidArgument([FieldViolation(file, f"not readable as CSV: {exc}")]) from exc


def _check_and_type(raw: pl.DataFrame, file: str, kinds: Mapping[str, str], required: Iterable[str],
                    problems: list[FieldViolation]) -> pl.DataFrame:
    """Validate every column with one vectorised pass each; return the typed frame."""
    missing = [c for c in required if c not in raw.columns]
    if missing:
        problems.extend(FieldViolation(f"{file}:header", f"missing column {c}") for c in missing)
        return pl.DataFrame(schema=_schema(kinds))
    for col in kinds:
        if col not in raw.columns:
            raw = raw.with_columns(pl.lit(None, pl.String).alias(col))
    raw = raw.select(pl.col(c).str.strip_chars().replace("", None) for c in kinds)
    rows = raw.with_row_index("row", offset=2)  # row 1 is the header

    def report(bad: pl.DataFrame, col: str, reason: str) -> None:
        for r, v in bad.select("row", col).head(MAX_PROBLEMS).iter_rows():
            problems.append(FieldViolation(f"{file}:{r}:{col}", reason.format(v=v)))

    for col in required:
        report(rows.filter(pl.col(col).is_null()), col, "required")
    typed: list[pl.Expr] = []
    for col, kind in kinds.items():
        c = pl.col(col)
        if kind == DECIMAL:
            report(rows.filter(c.is_not_null() & c.cast(PRICE, strict=False).is_null()), col,
                   "must be a decimal amount, got {v!r}")
            typed.append(c.cast(PRICE, strict=False))
        elif kind == INT:
            report(rows.filter(c.is_not_null() & c.cast(pl.Int64, strict=False).is_null()), col,
                   "must be a whole number, got {v!r}")
            typed.append(c.cast(pl.Int64, strict=False))
        elif kind == FLAG:
            report(rows.filter(c.is_not_null() & ~c.is_in(["0", "1"])), col, "must be 0 or 1, got {v!r}")
            typed.append((c == "1").fill_null(False))
        elif kind == DATE:
            report(rows.filter(c.is_not_null() & c.str.to_date("%Y-%m-%d", strict=False).is_null()), col,
                   "must be a date YYYY-MM-DD, got {v!r}")
            typed.append(c.str.to_date("%Y-%m-%d", strict=False))
        elif kind == LIST:
            typed.append(c.str.split("|").list.eval(pl.element().str.strip_chars()).list.eval(
                pl.element().filter(pl.element() != "")))
        else:
            if col in ENUMS:
                allowed = sorted(ENUMS[col])
                report(rows.filter(c.is_not_null() & ~c.is_in(allowed)), col,
                       "must be one of " + ", ".join(allowed) + ", got {v!r}")
            typed.append(c)
    return raw.select(e.cast(POLARS_TYPE[kinds[n]]).alias(n) for e, n in zip(typed, kinds, strict=True))


def _items(text: str, problems: list[FieldViolation]) -> pl.DataFrame:
    file = "items.csv"
    raw = _read(text, file)
    items = _check_and_type(raw, file, ITEM_FIELDS, REQUIRED_ITEMS, problems)
    if problems:
        return items
    rows = items.with_row_index("row", offset=2)
    for r, v in rows.filter(pl.col("item_code").is_duplicated()).select("row", "item_code").head(MAX_PROBLEMS).iter_rows():
        problems.append(FieldViolation(f"{file}:{r}:item_code", f"duplicate code {v!r}"))
    bad_age = rows.filter(pl.col("min_age_days") > pl.col("max_age_days"))
    for (r,) in bad_age.select("row").head(MAX_PROBLEMS).iter_rows():
        problems.append(FieldViolation(f"{file}:{r}:max_age_days", "must not be below min_age_days"))
    bad_period = rows.filter(pl.col("effective_from") >= pl.col("effective_to"))
    for (r,) in bad_period.select("row").head(MAX_PROBLEMS).iter_rows():
        problems.append(FieldViolation(f"{file}:{r}:effective_to", "must be after effective_from"))
    needs_window = rows.filter(pl.col("max_quantity").is_not_null() & pl.col("quantity_window").is_null())
    for (r,) in needs_window.select("row").head(MAX_PROBLEMS).iter_rows():
        problems.append(FieldViolation(f"{file}:{r}:quantity_window", "required when max_quantity is set"))
    needs_times = rows.filter(pl.col("max_times").is_not_null() & pl.col("times_window").is_null())
    for (r,) in needs_times.select("row").head(MAX_PROBLEMS).iter_rows():
        problems.append(FieldViolation(f"{file}:{r}:times_window", "required when max_times is set"))
    return items.sort("item_code")


def _pair_table(name: str, text: str, problems: list[FieldViolation]) -> pl.DataFrame:
    cols, key = PAIR_TABLES[name]
    raw = _read(text, name)
    required = [c for c in cols if c not in OPTIONAL_PAIR_COLUMNS]
    frame = _check_and_type(raw, name, cols, required, problems)
    if name in ("diagnosis_sex.csv", "procedure_sex.csv"):
        bad = frame.with_row_index("row", offset=2).filter(~pl.col("sex").is_in(["1", "2"]))
        for r, v in bad.select("row", "sex").head(MAX_PROBLEMS).iter_rows():
            problems.append(FieldViolation(f"{name}:{r}:sex", f"must be 1 (male) or 2 (female), got {v!r}"))
    if name in SYMMETRIC:
        # Both directions, so a lookup by either drug finds the pair.
        frame = pl.concat([frame, frame.with_columns(item_code_a=pl.col("item_code_b"),
                                                     item_code_b=pl.col("item_code_a"))])
    return frame.unique().sort(key)


def parse(version: str, effective_from: str, files: Mapping[str, str]) -> Catalogue:
    """Build a catalogue from its CSV files' text; raise InvalidArgument naming file, row, field."""
    if not version:
        raise InvalidArgument([FieldViolation("version", "required")])
    if "items.csv" not in files:
        raise InvalidArgument([FieldViolation("files", "items.csv is required")])
    unknown = sorted(set(files) - set(PAIR_TABLES) - {"items.csv"})
    if unknown:
        raise InvalidArgument([FieldViolation(f"files[{n}]", "unknown catalogue file; see docs/catalogue.md")
                               for n in unknown])
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name].encode() + b"\0")
    problems: list[FieldViolation] = []
    items = _items(files["items.csv"], problems)
    tables = {name: _pair_table(name, files[name], problems) for name in sorted(files) if name in PAIR_TABLES}
    if problems:
        raise InvalidArgument(problems[:MAX_PROBLEMS])
    return Catalogue(version, effective_from, digest.hexdigest(), items, tables)


def read_folder(path: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(path.glob("*.csv"))}


def empty() -> Catalogue:
    return Catalogue("none", "1900-01-01", "", pl.DataFrame(schema=ITEMS_COLUMNS), {})
