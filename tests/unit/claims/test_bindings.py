"""Binding questions to physician_codes, and its answers back to the lines that make findings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fundguard.physician_codes.v1 import physician_codes_pb2 as pc_pb
from services.claims.domain.binding import binding_questions, line_verdicts
from services.claims.domain.model import ClaimRecord, LineRecord
from services.claims.translate import not_valid_bindings

D1, D2 = date(2026, 11, 1), date(2026, 11, 2)


def result(line: str, status: int, detail: str = "") -> pc_pb.BindingResult:
    return pc_pb.BindingResult(line_id=line, status=status, detail=detail)


def claim(claim_id: str, institution: str, *lines: tuple[str, str, date]) -> ClaimRecord:
    return ClaimRecord(claim_id, claim_id, institution, "3", "P1", "1", "11", None, None, "", "", "", None, [], [],
                       [LineRecord(line_id, "110200001", "", "", "", Decimal("1"), None, Decimal("1"), day, "", doctor,
                                   "", "") for line_id, doctor, day in lines])


def test_only_answers_that_a_binding_is_not_valid_are_kept_by_the_line_id_asked() -> None:
    got = not_valid_bindings([
        result("0", pc_pb.BINDING_STATUS_VALID),
        result("1", pc_pb.BINDING_STATUS_SUSPENDED, "暂停期间"),
        result("H1-E2\x1f1", pc_pb.BINDING_STATUS_MISSING_CODE, "未填写医师代码"),
        result("3", 99),  # a status this claims does not know yet counts as valid
    ])
    assert got == {"1": ("suspended", "暂停期间"), "H1-E2\x1f1": ("missing_code", "未填写医师代码")}


def test_a_later_answer_about_the_same_line_overrides_an_earlier_one() -> None:
    assert not_valid_bindings([
        result("1", pc_pb.BINDING_STATUS_TERMINATED), result("1", pc_pb.BINDING_STATUS_VALID),
        result("2", pc_pb.BINDING_STATUS_VALID), result("2", pc_pb.BINDING_STATUS_UNKNOWN_CODE),
    ]) == {"2": ("unknown_code", "")}


def test_lines_ask_one_question_per_doctor_institution_and_day_and_each_gets_its_verdict() -> None:
    claims = [claim("H1-E1", "H1", ("1", "D1", D1), ("2", "D1", D1), ("3", "D2", D1), ("4", "D1", D2)),
              claim("H2-E1", "H2", ("1", "D1", D1), ("2", "D2", D1))]
    asked = binding_questions(claims)
    assert asked == {("D1", "H1", D1): 0, ("D2", "H1", D1): 1, ("D1", "H1", D2): 2, ("D1", "H2", D1): 3,
                     ("D2", "H2", D1): 4}
    assert line_verdicts(claims, asked, [None] * 5) == {}
    suspended, unknown = ("suspended", "暂停期间"), ("unknown_code", "")
    assert line_verdicts(claims, asked, [suspended, None, None, unknown, None]) == {
        ("H1-E1", "1"): suspended, ("H1-E1", "2"): suspended, ("H2-E1", "1"): unknown}


def test_a_line_id_met_twice_in_a_claim_keeps_the_verdict_of_its_last_line() -> None:
    claims = [claim("H1-E1", "H1", ("1", "D1", D1), ("1", "D2", D1)), claim("H1-E2", "H1", ("1", "D2", D1), ("1", "D1", D1))]
    asked = binding_questions(claims)
    assert line_verdicts(claims, asked, [("terminated", "终止"), None]) == {("H1-E2", "1"): ("terminated", "终止")}
