"""Cases: criminal-threshold bands, fines, and identity masking (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from services.credit.domain.policy import Policy, band_value

CENT = Decimal("0.01")


def threshold_band(policy: Policy, amount: Decimal) -> str:
    """below, large, huge or especially_huge (criminal law art. 266 thresholds)."""
    if amount >= policy.especially_huge:
        return "especially_huge"
    if amount >= policy.huge:
        return "huge"
    if amount >= policy.large:
        return "large"
    return "below"


@dataclass(frozen=True)
class Fine:
    basis: str           # art38 or art40
    multiple: Decimal
    amount: Decimal


def fine(policy: Policy, amount: Decimal, fraud: bool) -> Fine:
    """The fine for a case: the amount times the multiple the provincial band table picks."""
    basis, table = ("art40", policy.art40) if fraud else ("art38", policy.art38)
    multiple = band_value(table, amount)
    return Fine(basis, multiple, (amount * multiple).quantize(CENT))


def mask_identity(id_number: str) -> str:
    """Keep the first 3 and last 4 characters; a short number is masked entirely."""
    if not id_number:
        return ""
    if len(id_number) <= 8:
        return "*" * len(id_number)
    return id_number[:3] + "*" * (len(id_number) - 7) + id_number[-4:]
