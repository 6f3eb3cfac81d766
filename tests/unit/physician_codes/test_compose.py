"""The profile's comparison with peers: medians, ratios, and who counts as a billing peer."""

from __future__ import annotations

from decimal import Decimal

from fundguard.claims.v1 import claims_pb2
from fundguard.common.v1 import common_pb2
from services.physician_codes.compose import compare, median, ratio


def vol(code: str, encounters: int, patients: int, per_encounter: str, per_patient: str) -> claims_pb2.DoctorVolume:
    return claims_pb2.DoctorVolume(doctor_code=code, encounters=encounters, patients=patients,
                                   cost_per_encounter=common_pb2.Money(amount=per_encounter),
                                   cost_per_patient=common_pb2.Money(amount=per_patient))


def test_median_of_odd_and_even_counts() -> None:
    assert median([]) is None
    assert median([Decimal("3.00"), Decimal("1.00"), Decimal("2.00")]) == Decimal("2.00")
    assert median([Decimal("1.00"), Decimal("2.25")]) == Decimal("1.63")  # 1.625 half up


def test_ratio_needs_a_positive_typical_value() -> None:
    assert ratio(Decimal("150.00"), Decimal("100.00")) == Decimal("1.50")
    assert ratio(Decimal("100.00"), Decimal("300.00")) == Decimal("0.33")
    assert ratio(Decimal("100.00"), None) is None
    assert ratio(Decimal("100.00"), Decimal("0")) is None


def test_peers_without_encounters_do_not_pull_the_median_down() -> None:
    me = vol("D0", 2, 1, "85.50", "171.00")
    peers = [vol("D1", 1, 1, "30.00", "30.00"), vol("D2", 2, 2, "40.00", "40.00"), vol("D3", 0, 0, "0.00", "0.00")]
    got = compare("3", me, peers)
    assert (got.peers, got.peers_billing) == (3, 2)
    assert (got.median_cost_per_encounter, got.median_cost_per_patient) == (Decimal("35.00"), Decimal("35.00"))
    assert (got.ratio_cost_per_encounter, got.ratio_cost_per_patient) == (Decimal("2.44"), Decimal("4.89"))
    alone = compare("2", me, [vol("D3", 0, 0, "0.00", "0.00")])
    assert (alone.median_cost_per_encounter, alone.ratio_cost_per_encounter) == (None, None)
