"""The policy file is checked on load; fines, thresholds and masking follow it."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from services.credit.domain.cases import fine, mask_identity, threshold_band
from services.credit.domain.policy import DEFAULT_POLICY, POLICY_ENV, PolicyError, load

POLICY = load()


def test_env_var_names_another_policy_file(tmp_path: Path) -> None:
    text = DEFAULT_POLICY.read_text().replace('large = "5000"', 'large = "3000"')
    path = tmp_path / "p.toml"
    path.write_text(text)
    assert load(env={POLICY_ENV: str(path)}).large == Decimal(3000)


@pytest.mark.parametrize(("old", "new", "message"), [
    ('{ from = "10000", multiple = "5" }', '{ from = "10000", multiple = "6" }', "art40"),
    ('suspend_at = 9', 'suspend_at = "x"', "malformed"),
    ('"11" = 6', '"11" = 7', "1-6 months"),
    ('huge = "50000"', 'huge = "1000"', "must rise"),
])
def test_a_bad_policy_is_refused_naming_what_is_wrong(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text(DEFAULT_POLICY.read_text().replace(old, new))
    with pytest.raises(PolicyError, match=message):
        load(path)


def test_missing_file_is_named() -> None:
    with pytest.raises(PolicyError, match="FUNDGUARD_CREDIT_POLICY"):
        load("/nonexistent/policy.toml")


@pytest.mark.parametrize(("amount", "band"), [("2999", "below"), ("5000", "large"), ("49999.99", "large"),
                                               ("50000", "huge"), ("500000", "especially_huge")])
def test_criminal_threshold_bands(amount: str, band: str) -> None:
    assert threshold_band(POLICY, Decimal(amount)) == band


def test_fines_follow_the_provincial_band_table() -> None:
    assert fine(POLICY, Decimal("2000"), fraud=True).amount == Decimal("6000.00")      # 3x
    assert fine(POLICY, Decimal("3000"), fraud=True).multiple == Decimal(4)
    assert fine(POLICY, Decimal("20000"), fraud=True).amount == Decimal("100000.00")   # 5x
    assert fine(POLICY, Decimal("20000"), fraud=False).basis == "art38"
    assert fine(POLICY, Decimal("20000"), fraud=False).amount == Decimal("30000.00")   # 1.5x


def test_masking_keeps_only_the_ends() -> None:
    assert mask_identity("320102198507074321") == "320***********4321"
    assert mask_identity("1234") == "****"
    assert mask_identity("") == ""
