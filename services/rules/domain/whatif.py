"""What-if replay: a draft rule pack or catalogue against the current one over a period of claims.

Rules are stateless, so the claims arrive as patient-grouped chunks (from files or a gRPC
stream); each chunk is judged twice and only the per-rule, per-institution counts and
amounts are kept, so a month of claims replays in bounded memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import polars as pl

from services.rules.domain import engine
from services.rules.domain.catalogue import Catalogue
from services.rules.domain.model import MONEY, Batch
from services.rules.domain.rulepack import RulePack

REPORT_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {"rule_id": pl.String, "institution_code": pl.String, "current_findings": pl.Int64,
                 "current_amount": MONEY, "draft_findings": pl.Int64, "draft_amount": MONEY}


@dataclass
class Replay:
    catalogue: Catalogue
    current: RulePack
    draft: RulePack
    draft_catalogue: Catalogue | None = None
    moment: str = "post"
    cases: int = 0
    lines: int = 0
    _parts: list[pl.DataFrame] = field(default_factory=list)

    def _tally(self, batch: Batch, catalogue: Catalogue, pack: RulePack, side: str) -> pl.DataFrame:
        found = engine.evaluate_frame(batch, catalogue, pack.for_moment(self.moment))
        institutions = batch.encounters.select("claim_id", "institution_code").unique("claim_id")
        return (found.join(institutions, on="claim_id", how="left")
                .group_by("rule_id", "institution_code")
                .agg(pl.len().cast(pl.Int64).alias(f"{side}_findings"), pl.col("amount").sum().cast(MONEY)
                     .alias(f"{side}_amount")))

    def add(self, batch: Batch) -> None:
        self.cases += batch.patients.height
        self.lines += batch.lines.filter(~pl.col("is_history")).height
        current = self._tally(batch, self.catalogue, self.current, "current")
        draft = self._tally(batch, self.draft_catalogue or self.catalogue, self.draft, "draft")
        self._parts.append(current.join(draft, on=["rule_id", "institution_code"], how="full", coalesce=True))

    def report(self) -> pl.DataFrame:
        if not self._parts:
            return pl.DataFrame(schema=REPORT_SCHEMA)
        return (pl.concat(self._parts, how="vertical_relaxed")
                .group_by("rule_id", "institution_code")
                .agg(pl.col("current_findings").sum(), pl.col("current_amount").sum(),
                     pl.col("draft_findings").sum(), pl.col("draft_amount").sum())
                .with_columns(pl.col("current_findings", "draft_findings").fill_null(0),
                              pl.col("current_amount", "draft_amount").fill_null(0).cast(MONEY))
                .select(list(REPORT_SCHEMA)).sort("rule_id", "institution_code"))


def replay(chunks: Iterable[Batch], catalogue: Catalogue, current: RulePack, draft: RulePack,
           draft_catalogue: Catalogue | None = None, moment: str = "post") -> pl.DataFrame:
    r = Replay(catalogue, current, draft, draft_catalogue, moment)
    for chunk in chunks:
        r.add(chunk)
    return r.report()
