"""Deduction arithmetic: how confirmed findings become money taken back from a bill.

The rule (domain §6.4): deductions are 1:1 with the violating amount; when one line breaks
several rules the largest amount is taken, never the sum, and never more than the line's
own amount; then per bill (claim) never more than the bill's total. Trial (B) and monitor
(C) findings never deduct. Everything is Decimal, rounded half-up to the cent at the end
of each step so that a statement adds up exactly.

Pure functions, no I/O: the store feeds them and the statement prints their reasoning.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
DEDUCTING_TIERS = frozenset({"A"})


def to_cent(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class BillLine:
    line_id: str
    amount: Decimal            # the line's net amount (its own amount plus any returns against it)


@dataclass(frozen=True)
class ConfirmedFinding:
    finding_id: str
    rule_id: str
    tier: str
    amount: Decimal
    line_ids: tuple[str, ...]  # empty: the finding is about the bill as a whole


@dataclass(frozen=True)
class LineDeduction:
    line_id: str
    finding_ids: tuple[str, ...]
    line_amount: Decimal
    largest_finding: Decimal
    deducted: Decimal
    taken_from: str             # the finding whose amount was taken ('' when nothing deducts)
    how: str


@dataclass(frozen=True)
class BillDeduction:
    claim_id: str
    bill_total: Decimal
    lines: tuple[LineDeduction, ...]
    deducted: Decimal
    how: str
    by_finding: Mapping[str, Decimal] = field(default_factory=dict)  # each finding's share of ``deducted``


def spread_over_lines(finding: ConfirmedFinding, lines: Mapping[str, BillLine]) -> dict[str, Decimal]:
    """What a finding claims on each of its lines.

    A finding naming one line claims its whole amount there. A finding naming several lines
    (a duplicate invoice, a whole stay) claims its amount filling its lines in the order it
    names them, each up to the line's amount: the amount is not invented on any line, and a
    finding never claims more on a line than the line is worth.
    """
    known = [lid for lid in finding.line_ids if lid in lines]
    if len(known) == 1:
        return {known[0]: finding.amount}
    left = finding.amount
    out: dict[str, Decimal] = {}
    for lid in known:
        take = max(min(left, lines[lid].amount), ZERO)
        out[lid] = take
        left -= take
    return out


def deduct_bill(claim_id: str, bill_total: Decimal, lines: Sequence[BillLine],
                findings: Sequence[ConfirmedFinding]) -> BillDeduction:
    """The amount to take back from one bill for its confirmed findings, with the reasoning."""
    by_line = {ln.line_id: ln for ln in lines}
    claims_on: dict[str, list[tuple[Decimal, ConfirmedFinding]]] = {lid: [] for lid in by_line}
    bill_level: list[ConfirmedFinding] = []
    for f in sorted(findings, key=lambda x: x.finding_id):
        if not f.line_ids or not any(lid in by_line for lid in f.line_ids):
            bill_level.append(f)
            continue
        for lid, amount in spread_over_lines(f, by_line).items():
            claims_on[lid].append((amount, f))

    share: dict[str, Decimal] = {f.finding_id: ZERO for f in findings}
    out_lines: list[LineDeduction] = []
    for ln in lines:
        on_line = claims_on[ln.line_id]
        if not on_line:
            continue
        ids = tuple(f.finding_id for _, f in on_line)
        deducting = [(a, f) for a, f in on_line if f.tier in DEDUCTING_TIERS]
        largest_all = max(a for a, _ in on_line)
        if not deducting:
            out_lines.append(LineDeduction(ln.line_id, ids, ln.amount, to_cent(largest_all), ZERO, "",
                                           "trial (B) or monitor (C) findings only: nothing deducted"))
            continue
        # Largest wins; ties go to the smaller finding id so the choice is reproducible.
        amount, winner = max(deducting, key=lambda x: (x[0], _neg_id(x[1].finding_id)))
        cap = max(ln.amount, ZERO)
        deducted = to_cent(min(amount, cap))
        parts = [f"largest of {len(deducting)} deducting finding(s): {winner.rule_id} {to_cent(amount)}"]
        if len(on_line) > len(deducting):
            parts.append(f"{len(on_line) - len(deducting)} trial/monitor finding(s) ignored")
        if amount > cap:
            parts.append(f"capped at the line amount {to_cent(cap)}")
        out_lines.append(LineDeduction(ln.line_id, ids, ln.amount, to_cent(amount), deducted,
                                       winner.finding_id, "; ".join(parts)))
        share[winner.finding_id] += deducted

    line_sum = sum((d.deducted for d in out_lines), ZERO)
    how = [f"lines {to_cent(line_sum)}"]
    total = line_sum
    deducting_bill = [f for f in bill_level if f.tier in DEDUCTING_TIERS and f.amount > 0]
    if deducting_bill:
        top = max(deducting_bill, key=lambda f: (f.amount, _neg_id(f.finding_id)))
        if to_cent(top.amount) > total:
            how.append(f"bill-level finding {top.rule_id} {to_cent(top.amount)} is larger and is taken instead")
            for k in share:
                share[k] = ZERO
            share[top.finding_id] = to_cent(top.amount)
            total = to_cent(top.amount)
    cap = max(bill_total, ZERO)
    if total > cap:
        how.append(f"capped at the bill total {to_cent(cap)}")
        _scale_down(share, total - cap)
        total = to_cent(cap)
    return BillDeduction(claim_id, to_cent(bill_total), tuple(out_lines), to_cent(total), "; ".join(how),
                         {k: v for k, v in share.items() if v})


def _neg_id(finding_id: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in finding_id)


def _scale_down(share: dict[str, Decimal], excess: Decimal) -> None:
    """Take ``excess`` back from the findings' shares, the largest share first (ties by id)."""
    for fid in sorted(share, key=lambda k: (-share[k], k)):
        if excess <= 0:
            return
        take = min(share[fid], excess)
        share[fid] -= take
        excess -= take


def net_line_amounts(rows: Sequence[tuple[str, Decimal, str]]) -> list[BillLine]:
    """Lines with their returns folded in: (line_id, amount, original_line_id) -> net amounts.

    A return (negative quantity, naming the original line) lowers what the original line is
    worth; the return row itself is not a line that can be deducted.
    """
    net: dict[str, Decimal] = {}
    order: list[str] = []
    for line_id, amount, original in rows:
        if not original:
            if line_id not in net:
                order.append(line_id)
                net[line_id] = ZERO
            net[line_id] += amount
    for _line_id, amount, original in rows:
        if original and original in net:
            net[original] += amount
    return [BillLine(lid, net[lid]) for lid in order]
