"""An immutable picture of the registry at one version, and the vectorised binding check.

The real-time path looks a few codes up in :attr:`RegistrySnapshot.facts` and calls
:func:`~services.physician_codes.domain.binding.judge` per line. The bulk path joins a
whole frame of fee lines against interval tables built once per snapshot, so the cost
per line is a few column operations, not a Python call. Both read the same intervals, and a
property test holds them to the same answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

import polars as pl

from services.physician_codes.domain.binding import StaffFacts

FAR_FUTURE = date(9999, 12, 31)
LINE_COLUMNS = ("line_id", "staff_code", "institution_code", "service_date")


@dataclass(frozen=True)
class RegistrySnapshot:
    version: int
    facts: Mapping[str, StaffFacts] = field(default_factory=dict)

    @cached_property
    def known(self) -> pl.Series:
        return pl.Series("staff_code", list(self.facts), dtype=pl.String)

    @cached_property
    def registrations(self) -> pl.DataFrame:
        staff, inst, start, end = [], [], [], []
        for code, f in self.facts.items():
            for institution, periods in f.registrations.items():
                for p in periods:
                    staff.append(code)
                    inst.append(institution)
                    start.append(p.start)
                    end.append(p.end or FAR_FUTURE)
        return pl.DataFrame({"staff_code": staff, "institution_code": inst, "start": start, "end": end},
                            schema={"staff_code": pl.String, "institution_code": pl.String,
                                    "start": pl.Date, "end": pl.Date})

    @cached_property
    def sanctions(self) -> pl.DataFrame:
        staff, status, start, end, decision = [], [], [], [], []
        for code, f in self.facts.items():
            for s in f.statuses:
                staff.append(code)
                status.append(s.status)
                start.append(s.period.start)
                end.append(s.period.end or FAR_FUTURE)
                decision.append(s.decision_id)
        return pl.DataFrame({"staff_code": staff, "status": status, "start": start, "end": end,
                             "decision_id": decision},
                            schema={"staff_code": pl.String, "status": pl.String, "start": pl.Date,
                                    "end": pl.Date, "decision_id": pl.String})

    def warm(self) -> None:
        """Build the bulk tables now rather than on the first bulk request."""
        _ = self.known, self.registrations, self.sanctions


def judge_frame(lines: pl.DataFrame, snap: RegistrySnapshot) -> pl.DataFrame:
    """Judge every line of ``lines`` (line_id, staff_code, institution_code, service_date as Date).

    Returns line_id, status and decision_id (the sanction behind a suspended or terminated
    line), in the input order.
    """
    keys = lines.select(
        pl.int_range(0, pl.len(), dtype=pl.UInt32).alias("_i"),
        pl.col("staff_code").fill_null(""),
        pl.col("institution_code").fill_null(""),
        pl.col("service_date"),
    )
    covering = (pl.col("service_date") >= pl.col("start")) & (pl.col("service_date") <= pl.col("end"))
    # Sanctions touch few people, so this join is small; terminated outranks suspended.
    sanctioned = (
        keys.select("_i", "staff_code", "service_date")
        .join(snap.sanctions, on="staff_code", how="inner")
        .filter(covering)
        .group_by("_i")
        .agg(pl.col("status").max().alias("_sanction"),
             pl.col("decision_id").sort_by("status", descending=True).first())
    )
    registered = (
        keys.join(snap.registrations, on=["staff_code", "institution_code"], how="inner")
        .filter(covering)
        .get_column("_i")
        .unique()
    )
    code = pl.col("staff_code")
    judged = keys.join(sanctioned, on="_i", how="left").with_columns(
        pl.when(code == "").then(pl.lit("missing_code"))
        .when(~code.is_in(snap.known.implode())).then(pl.lit("unknown_code"))
        .when(pl.col("_sanction").is_not_null()).then(pl.col("_sanction"))
        .when(~pl.col("_i").is_in(registered.implode())).then(pl.lit("not_registered"))
        .otherwise(pl.lit("valid"))
        .alias("status")
    ).sort("_i")
    return pl.DataFrame({
        "line_id": lines.get_column("line_id"),
        "status": judged.get_column("status"),
        "decision_id": judged.select(
            pl.when(pl.col("_sanction").is_not_null() & ~pl.col("status").is_in(["missing_code", "unknown_code"]))
            .then(pl.col("decision_id"))).to_series(),
    })
