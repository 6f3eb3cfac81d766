"""Binding answers from physician_codes as the lines that make findings."""

from __future__ import annotations

from fundguard.physician_codes.v1 import physician_codes_pb2 as pc_pb
from services.claims.translate import not_valid_bindings


def result(line: str, status: int, detail: str = "") -> pc_pb.BindingResult:
    return pc_pb.BindingResult(line_id=line, status=status, detail=detail)


def test_only_lines_not_validly_bound_are_kept_by_claim_and_line() -> None:
    got = not_valid_bindings([
        result("H1-E1\x1f1", pc_pb.BINDING_STATUS_VALID),
        result("H1-E1\x1f2", pc_pb.BINDING_STATUS_SUSPENDED, "暂停期间"),
        result("H1-E2\x1f1", pc_pb.BINDING_STATUS_MISSING_CODE, "未填写医师代码"),
        result("H1-E2\x1f2", 99),  # a status this claims does not know yet counts as valid
    ])
    assert got == {("H1-E1", "2"): ("suspended", "暂停期间"), ("H1-E2", "1"): ("missing_code", "未填写医师代码")}


def test_a_later_answer_about_the_same_line_overrides_an_earlier_one() -> None:
    assert not_valid_bindings([
        result("H1-E1\x1f1", pc_pb.BINDING_STATUS_TERMINATED), result("H1-E1\x1f1", pc_pb.BINDING_STATUS_VALID),
        result("H1-E1\x1f2", pc_pb.BINDING_STATUS_VALID), result("H1-E1\x1f2", pc_pb.BINDING_STATUS_UNKNOWN_CODE),
    ]) == {("H1-E1", "2"): ("unknown_code", "")}
