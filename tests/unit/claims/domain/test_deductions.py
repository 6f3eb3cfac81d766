"""Deduction arithmetic checked against sums worked out by hand (yuan, to the cent)."""

from __future__ import annotations

from decimal import Decimal as D

from services.claims.domain.deductions import (
    BillLine,
    ConfirmedFinding,
    deduct_bill,
    net_line_amounts,
    spread_over_lines,
)


def f(fid: str, rule: str, amount: str, *lines: str, tier: str = "A") -> ConfirmedFinding:
    return ConfirmedFinding(fid, rule, tier, D(amount), tuple(lines))


def test_several_rules_on_one_line_take_the_largest_never_the_sum() -> None:
    # Line L1 is 100.00. The price ceiling claims 13.00 of it, service-sex 68.00:
    # the larger, 68.00, is deducted (not the sum, 81.00).
    bill = deduct_bill("C1", D("300.00"), [BillLine("L1", D("100.00")), BillLine("L2", D("200.00"))],
                       [f("F1", "R-PRICE-CEILING", "13.00", "L1"), f("F2", "R-SERVICE-SEX", "68.00", "L1")])
    assert bill.deducted == D("68.00")
    (line,) = bill.lines
    assert (line.line_id, line.largest_finding, line.deducted, line.taken_from) == ("L1", D("68.00"), D("68.00"), "F2")
    assert set(line.finding_ids) == {"F1", "F2"}
    assert bill.by_finding == {"F2": D("68.00")}


def test_a_finding_larger_than_its_line_is_capped_at_the_line() -> None:
    # L1 is 45.50; a finding claims 60.00 on it -> 45.50. L2 is 10.00 with 3.333 -> rounds to 3.33.
    bill = deduct_bill("C1", D("1000.00"), [BillLine("L1", D("45.50")), BillLine("L2", D("10.00"))],
                       [f("F1", "R-X", "60.00", "L1"), f("F2", "R-Y", "3.333", "L2")])
    assert [d.deducted for d in bill.lines] == [D("45.50"), D("3.33")]
    assert bill.deducted == D("48.83")  # 45.50 + 3.33
    assert "capped at the line amount 45.50" in bill.lines[0].how


def test_the_bill_total_caps_the_sum_of_the_lines() -> None:
    # Lines 80.00 + 70.00 = 150.00 fully found, but the settled bill is 120.00 -> 120.00,
    # the 30.00 excess taken back from the largest share first (F1: 80.00 -> 50.00).
    bill = deduct_bill("C1", D("120.00"), [BillLine("L1", D("80.00")), BillLine("L2", D("70.00"))],
                       [f("F1", "R-AFTER-DEATH", "80.00", "L1"), f("F2", "R-AFTER-DEATH", "70.00", "L2")])
    assert [d.deducted for d in bill.lines] == [D("80.00"), D("70.00")]
    assert bill.deducted == D("120.00")
    assert bill.by_finding == {"F1": D("50.00"), "F2": D("70.00")}
    assert sum(bill.by_finding.values()) == bill.deducted
    assert "capped at the bill total 120.00" in bill.how


def test_trial_and_monitor_findings_never_deduct() -> None:
    bill = deduct_bill("C1", D("50.00"), [BillLine("L1", D("50.00"))],
                       [f("F1", "R-SPLIT-PRESCRIPTION", "20.00", "L1", tier="B"),
                        f("F2", "R-FREQUENT-VISITS", "50.00", "L1", tier="C")])
    assert bill.deducted == D("0.00") and bill.by_finding == {}
    # ...but an A finding beside them deducts its own amount, not theirs, even when smaller.
    bill = deduct_bill("C1", D("50.00"), [BillLine("L1", D("50.00"))],
                       [f("F1", "R-SPLIT-PRESCRIPTION", "20.00", "L1", tier="B"), f("F3", "R-PRICE-CEILING", "5.00", "L1")])
    assert bill.deducted == D("5.00") and bill.lines[0].largest_finding == D("5.00")


def test_a_multi_line_finding_fills_its_lines_in_order_up_to_each_line() -> None:
    lines = {"L1": BillLine("L1", D("30.00")), "L2": BillLine("L2", D("50.00"))}
    assert spread_over_lines(f("F1", "R-DUP", "60.00", "L1", "L2"), lines) == {"L1": D("30.00"), "L2": D("30.00")}
    # With another rule of 40.00 on L2: L1 takes 30.00 (F1), L2 takes max(30.00, 40.00) = 40.00 -> 70.00.
    bill = deduct_bill("C1", D("80.00"), list(lines.values()),
                       [f("F1", "R-DUP", "60.00", "L1", "L2"), f("F2", "R-PRICE", "40.00", "L2")])
    assert [d.deducted for d in bill.lines] == [D("30.00"), D("40.00")]
    assert bill.deducted == D("70.00")
    assert bill.by_finding == {"F1": D("30.00"), "F2": D("40.00")}


def test_a_bill_level_finding_counts_only_when_larger_than_the_lines() -> None:
    lines = [BillLine("L1", D("30.00")), BillLine("L2", D("20.00"))]
    small = deduct_bill("C1", D("50.00"), lines, [f("F1", "R-X", "30.00", "L1"), f("F2", "R-BILL", "10.00")])
    assert small.deducted == D("30.00") and small.by_finding == {"F1": D("30.00")}
    big = deduct_bill("C1", D("50.00"), lines, [f("F1", "R-X", "30.00", "L1"), f("F2", "R-BILL", "45.00")])
    assert big.deducted == D("45.00") and big.by_finding == {"F2": D("45.00")}
    capped = deduct_bill("C1", D("50.00"), lines, [f("F2", "R-BILL", "75.00")])
    assert capped.deducted == D("50.00") and capped.by_finding == {"F2": D("50.00")}


def test_returns_lower_what_a_line_is_worth() -> None:
    # L1 billed 3 x 15.00 = 45.00, then 1 returned (-15.00): worth 30.00, and a 45.00 finding takes 30.00.
    lines = net_line_amounts([("L1", D("45.00"), ""), ("L2", D("-15.00"), "L1"), ("L3", D("8.00"), "")])
    assert lines == [BillLine("L1", D("30.00")), BillLine("L3", D("8.00"))]
    bill = deduct_bill("C1", D("38.00"), lines, [f("F1", "R-X", "45.00", "L1")])
    assert bill.deducted == D("30.00")


def test_ties_are_broken_by_finding_id_so_the_statement_is_reproducible() -> None:
    one = deduct_bill("C1", D("10.00"), [BillLine("L1", D("10.00"))],
                      [f("FB", "R-B", "4.00", "L1"), f("FA", "R-A", "4.00", "L1")])
    two = deduct_bill("C1", D("10.00"), [BillLine("L1", D("10.00"))],
                      [f("FA", "R-A", "4.00", "L1"), f("FB", "R-B", "4.00", "L1")])
    assert one.lines[0].taken_from == two.lines[0].taken_from == "FA"
