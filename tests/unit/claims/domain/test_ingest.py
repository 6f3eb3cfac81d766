from __future__ import annotations

from fundguard.claims.v1 import claims_pb2
from services.claims.domain.ingest import RowProblem, check_detail


def row(**kw: str) -> claims_pb2.FeeDetail:
    base = {"detail_sn": "0001", "encounter_id": "MT1", "patient_id": "P1", "occurred_at": "2026-10-03 09:30:00",
            "item_code": "X1", "quantity": "2"}
    return claims_pb2.FeeDetail(**{**base, **kw})


def check(d: claims_pb2.FeeDetail, amount: str = "9.00", price: str = "4.50") -> tuple[tuple | None, list]:
    problems: list[RowProblem] = []
    return check_detail(d, price, amount, {}, 7, "H1", "", "", problems), problems


def test_a_good_row_becomes_copy_fields_in_shanghai_time() -> None:
    out, problems = check(row())
    assert problems == [] and out is not None
    assert out[:5] == ("7", "H1-MT1", "MT1", "0001", "2026-10-03")
    assert out[13] == "2026-10-03 09:30:00+08:00"


def test_every_bad_field_is_named() -> None:
    out, problems = check(row(detail_sn="", occurred_at="2026-02-30 09:00:00", quantity="1_000", item_code=""),
                          amount="1.234", price="x")
    assert out is None
    assert {p.field for p in problems} == {"detail_sn", "occurred_at", "quantity", "item_code", "amount", "unit_price"}
    assert all(p.row == 7 for p in problems)


def test_returns_must_be_negative_on_both_and_name_the_original() -> None:
    assert check(row(quantity="-1"), amount="-4.50")[1][0].field == "original_detail_sn"
    assert check(row(quantity="-1", original_detail_sn="0000"), amount="-4.50")[1] == []
    assert check(row(quantity="-1", original_detail_sn="0000"), amount="4.50")[1][0].field == "amount"


def test_only_plain_ascii_decimals_pass_as_postgresql_reads_them() -> None:
    for bad in ("１", "1e3", "NaN", "1.23456", "12345678901"):
        assert check(row(quantity=bad))[1][0].field == "quantity", bad
    for good in ("1", "+2", "0.5", ".5", "3.", "9999999999.9999"):
        assert check(row(quantity=good))[1] == [], good
    assert check(row(quantity="0.000"))[1][0].reason == "must not be zero"
    assert check(row(), amount="-0.00")[1] == []  # a zero amount carries no sign to check
