"""An immutable picture of the registry at one version, and the vectorised binding check.

The real-time path looks a few codes up in :attr:`RegistrySnapshot.facts` and calls
:func:`~services.physician_codes.domain.binding.judge` per line. The bulk path joins a
whole frame of fee lines against interval tables built once per snapshot, so the cost
per line is a few column operations, not a Python call. Both read the same intervals, and a
property test holds them to the same answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

import polars as pl

from services.physician_codes.domain.binding import StaffFacts

FAR_FUTURE = date(9999, 12, 31)
LINE_COLUMNS = ("line_id", "staff_code", "institution_code", "service_date")


REG_SCHEMA = {"staff_code": pl.String, "institution_code": pl.String, "start": pl.Date, "end": pl.Date}
SANCTION_SCHEMA = {"staff_code": pl.String, "status": pl.String, "start": pl.Date, "end": pl.Date,
                   "decision_id": pl.String}


def _registration_rows(facts: Mapping[str, StaffFacts], codes: Iterable[str]) -> pl.DataFrame:
    staff, inst, start, end = [], [], [], []
    for code in codes:
        f = facts.get(code)
        for institution, periods in (f.registrations if f else {}).items():
            for p in periods:
                staff.append(code)
                inst.append(institution)
                start.append(p.start)
                end.append(p.end or FAR_FUTURE)
    return pl.DataFrame({"staff_code": staff, "institution_code": inst, "start": start, "end": end},
                        schema=REG_SCHEMA)


def _sanction_rows(facts: Mapping[str, StaffFacts], codes: Iterable[str]) -> pl.DataFrame:
    staff, status, start, end, decision = [], [], [], [], []
    for code in codes:
        f = facts.get(code)
        for s in (f.statuses if f else []):
            staff.append(code)
            status.append(s.status)
            start.append(s.period.start)
            end.append(s.period.end or FAR_FUTURE)
            decision.append(s.decision_id)
    return pl.DataFrame({"staff_code": staff, "status": status, "start": start, "end": end,
                         "decision_id": decision}, schema=SANCTION_SCHEMA)


@dataclass(frozen=True)
class RegistrySnapshot:
    """The registry at ``version``. A snapshot made from an earlier one by changing a few
    staff (``base`` and ``changed``) derives its bulk tables from the base's, when those were
    built, by replacing only the changed staff's rows: a sanction during the monthly audit
    costs milliseconds, not a rebuild of the whole province."""

    version: int
    facts: Mapping[str, StaffFacts] = field(default_factory=dict)
    base: RegistrySnapshot | None = field(default=None, repr=False, compare=False)
    changed: frozenset[str] = frozenset()

    def _derived(self, name: str) -> pl.DataFrame | None:
        base = self.base
        if base is None or name not in base.__dict__:
            return None
        rows = {"registrations": _registration_rows, "sanctions": _sanction_rows}[name](self.facts, self.changed)
        kept = base.__dict__[name].filter(~pl.col("staff_code").is_in(pl.Series(list(self.changed),
                                                                                  dtype=pl.String).implode()))
        return pl.concat([kept, rows])

    @cached_property
    def known(self) -> pl.Series:
        return pl.Series("staff_code", list(self.facts), dtype=pl.String)

    @cached_property
    def registrations(self) -> pl.DataFrame:
        derived = self._derived("registrations")
        return derived if derived is not None else _registration_rows(self.facts, self.facts)

    @cached_property
    def sanctions(self) -> pl.DataFrame:
        derived = self._derived("sanctions")
        return derived if derived is not None else _sanction_rows(self.facts, self.facts)

    def warm(self) -> None:
        """Build the bulk tables now rather than on the first bulk request."""
        _ = self.known, self.registrations, self.sanctions

    def successor(self, version: int, updates: Mapping[str, StaffFacts], changed: Iterable[str]) -> RegistrySnapshot:
        """The next snapshot: ``changed`` staff replaced by ``updates`` (absent: removed)."""
        changed = frozenset(changed)
        merged = dict(self.facts)
        for code in changed:
            if code in updates:
                merged[code] = updates[code]
            else:
                merged.pop(code, None)
        # Keep only one step of lineage, so old snapshots can be freed.
        successor = RegistrySnapshot(version, merged, self, changed)
        if "registrations" in self.__dict__:
            successor.warm()
        object.__setattr__(successor, "base", None)
        return successor


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
