"""What every template reads: the batch's lines joined once with their encounter, patient
and catalogue entry.

Joining once per evaluation (not once per rule) is what makes the bulk path fast; cutting
the catalogue down to the codes present with a binary search (``Catalogue.rows_for``) is
what keeps the real-time path fast even with a million pair rows. Both modes build this
same context, so every rule has exactly one definition.
"""

from __future__ import annotations

from functools import cached_property

import polars as pl

from services.rules.domain.catalogue import ITEM_FIELDS, Catalogue
from services.rules.domain.model import Batch

ITEM_ATTRIBUTES = [c for c in ITEM_FIELDS if c not in ("item_code", "name", "item_type")]
ENCOUNTER_COLUMNS = ["claim_id", "institution_code", "institution_level", "care_setting", "med_type",
                     "admission_date", "discharge_date", "insurance_type", "diagnoses", "procedures",
                     "invoice_no", pl.col("dept_code").alias("encounter_dept")]


KEYS = ["claim_id", "patient_id"]
# The lines judged: not history, a charge (positive quantity), item in force. Templates add it
# to their own filter over ``Context.lines`` rather than copying a judged-lines frame.
CHARGED = ~pl.col("is_history") & (pl.col("quantity") > 0) & pl.col("in_catalogue")


class Context:
    def __init__(self, batch: Batch, catalogue: Catalogue) -> None:
        self.batch = batch
        self.catalogue = catalogue
        self._tables: dict[str, pl.DataFrame] = {}
        self._prefix_hits: dict[tuple[str, str], bool] = {}

    @cached_property
    def codes(self) -> pl.Series:
        return self.batch.lines["item_code"].unique()

    @cached_property
    def code_list(self) -> list[str]:
        return [c for c in self.codes.to_list() if c is not None]

    @cached_property
    def items(self) -> pl.DataFrame:
        """Catalogue entries of the codes in this batch only."""
        return self.catalogue.rows_for("items.csv", self.codes)

    @cached_property
    def lines(self) -> pl.DataFrame:
        """Every line (history and returns included), enriched; ``in_catalogue`` says whether
        the item's entry is in force on the line's date."""
        b = self.batch
        items = self.items.rename({"name": "catalogue_name", "item_type": "catalogue_type"})
        return (
            b.lines
            .join(b.encounters.select(ENCOUNTER_COLUMNS), on="claim_id", how="left")
            .join(b.patients.select("patient_id", "gender", "birth_date", "death_date"), on="patient_id", how="left")
            .join(items, on="item_code", how="left")
            .with_columns(
                in_catalogue=pl.col("catalogue_name").is_not_null()
                & (pl.col("effective_from").is_null() | (pl.col("effective_from") <= pl.col("service_date")))
                & (pl.col("effective_to").is_null() | (pl.col("service_date") < pl.col("effective_to"))),
                item_type=pl.coalesce("catalogue_type", "item_type"),
                catalogue_name=pl.coalesce("catalogue_name", "item_name", "item_code"),
                age_days=(pl.col("service_date") - pl.col("birth_date")).dt.total_days(),
                dept=pl.coalesce(pl.col("dept_code").replace("", None), "encounter_dept"),
            )
            # Encounter and patient keys as categoricals: templates join and group on them many
            # times, and integer-backed keys hash several times faster than strings.
            .with_columns(pl.col(KEYS).cast(pl.Categorical))
        )

    @cached_property
    def charged(self) -> pl.DataFrame:
        """The lines judged: not history, a charge (positive quantity), item in force."""
        return self.lines.filter(CHARGED)

    @cached_property
    def present(self) -> frozenset[str]:
        """Catalogue attributes that some line of the judged encounters carries: templates reading
        only absent attributes are skipped (a pure shortcut: they could not find anything). Any
        quantity and any catalogue period count, since some templates judge those lines too
        (bed-days of a stay, net amounts with returns)."""
        frame = self.lines
        if frame.height == 0:
            return frozenset()
        row = frame.select(
            [(~pl.col("is_history") & (pl.col(c).is_not_null() & (pl.col(c).list.len() > 0) if frame.schema[c] == pl.List(pl.String)
                         else pl.col(c).fill_null(False) if frame.schema[c] == pl.Boolean else pl.col(c).is_not_null()))
             .fill_null(False).any().alias(c) for c in ITEM_ATTRIBUTES]
        ).row(0, named=True)
        return frozenset(c for c, v in row.items() if v)

    @cached_property
    def encounters(self) -> pl.DataFrame:
        """Every encounter with its patient and its first and last line dates."""
        b = self.batch
        dates = b.lines.group_by("claim_id").agg(first_date=pl.col("service_date").min(),
                                                 last_date=pl.col("service_date").max())
        return (
            b.encounters.join(dates, on="claim_id", how="left")
            .join(b.patients.select("patient_id", "gender", "birth_date", "death_date"), on="patient_id", how="left")
            .with_columns(
                service_date=pl.coalesce("first_date", "admission_date", "discharge_date"),
                seq=pl.coalesce("seq", pl.int_range(pl.len(), dtype=pl.Int64)),
            )
            .with_columns(age_days=(pl.col("service_date") - pl.col("birth_date")).dt.total_days())
            .with_columns(pl.col(KEYS).cast(pl.Categorical))
        )

    @cached_property
    def facts(self) -> dict[str, int]:
        """Counts the probes of encounter-level templates decide on, in one call."""
        e = self.batch.encounters
        if e.height == 0:
            return {"stays": 0, "setting_1": 0, "setting_2": 0, "setting_3": 0, "invoices_repeated": 0}
        invoice = pl.col("invoice_no").replace("", None)
        row = e.select(
            stays=((pl.col("care_setting") == "2") & pl.col("admission_date").is_not_null()
                   & pl.col("discharge_date").is_not_null()).sum(),
            setting_1=(pl.col("care_setting") == "1").sum(),
            setting_2=(pl.col("care_setting") == "2").sum(),
            setting_3=(pl.col("care_setting") == "3").sum(),
            invoices_repeated=(pl.struct("patient_id", invoice).is_duplicated() & invoice.is_not_null()).sum(),
        ).row(0, named=True)
        return {k: int(v or 0) for k, v in row.items()}

    def prefix_hits(self, table: str, column: str) -> bool:
        """Whether any judged encounter's diagnosis/procedure code has a prefix in ``table``."""
        key = (table, column)
        if key not in self._prefix_hits:
            codes = self.batch.encounters.filter(~pl.col("is_history"))[column].explode().drop_nulls()
            self._prefix_hits[key] = self.catalogue.prefix_rows(table, codes).height > 0
        return self._prefix_hits[key]

    @cached_property
    def judged_encounters(self) -> pl.DataFrame:
        return self.encounters.filter(~pl.col("is_history"))

    def table(self, name: str) -> pl.DataFrame:
        """The pair table's rows for the codes in this batch (cut once per evaluation)."""
        cut = self._tables.get(name)
        if cut is None:
            cut = self._tables[name] = self.catalogue.rows_for(name, self.codes)
        return cut
