import pytest

from fundguard.runtime.settings import SettingsError
from services.physician_codes.domain.codes import CodeFormats
from services.physician_codes.domain.records import check_institution, check_registration, check_staff

F = CodeFormats()


@pytest.mark.parametrize("code", ["H32118100064", "P32118100001"])
def test_institution_codes_of_the_national_shape_pass(code):
    assert F.check("institution", code) is None


@pytest.mark.parametrize("code", ["", "H3211810006", "H321181000645", "X32118100064", "h32118100064",
                                  "H32118100064 ", "H3211810006A"])
def test_institution_codes_of_any_other_shape_fail(code):
    assert F.check("institution", code) is not None


@pytest.mark.parametrize("code", ["D32118100101", "D321181001011", "Y32118100001", "N32118100001",
                                  "HY321181000001", "HJ321181000001"])
def test_staff_codes_pass(code):
    assert F.check("staff", code) is None


@pytest.mark.parametrize("code", ["D3211810010", "D3211810010111", "X32118100101", "HX321181000001",
                                  "HY32118100001"])
def test_staff_codes_fail(code):
    assert F.check("staff", code) is not None


def test_a_province_can_fix_the_physician_code_at_13_characters():
    f = CodeFormats.from_env({"FUNDGUARD_STAFF_CODE_PATTERN": r"D\d{6}\d{6}"})
    assert f.check("staff", "D321181000101") is None
    assert f.check("staff", "D32118100101") is not None


def test_a_bad_pattern_stops_the_start_naming_the_variable():
    with pytest.raises(SettingsError, match="FUNDGUARD_INSTITUTION_CODE_PATTERN"):
        CodeFormats.from_env({"FUNDGUARD_INSTITUTION_CODE_PATTERN": "[H"})
    with pytest.raises(SettingsError, match="FUNDGUARD_STAFF_ROLE_PREFIXES"):
        CodeFormats.from_env({"FUNDGUARD_STAFF_ROLE_PREFIXES": "doctor"})


def test_the_code_prefix_must_fit_the_role():
    assert F.check_role("D32118100101", "doctor") is None
    assert F.check_role("HY321181000001", "pharmacist") is None
    assert "starts with" in (F.check_role("D32118100101", "nurse") or "")
    assert "must be one of" in (F.check_role("D32118100101", "surgeon") or "")


def test_an_institution_code_carries_its_division():
    ok = {"code": "H32118100064", "name": "x", "level": "3", "division": "321181"}
    assert check_institution(ok, F)[1] == []
    _, problems = check_institution({**ok, "division": "320100"}, F)
    assert [p.field for p in problems] == ["division"]


def test_every_bad_field_of_a_record_is_named():
    _, problems = check_institution({"code": "H1", "name": "", "level": "4", "division": "12",
                                     "type": "spa", "agreement_status": "maybe"}, F)
    assert {p.field for p in problems} == {"code", "division", "name", "level", "type", "agreement_status"}
    _, problems = check_staff({"code": "D32118100101", "name": "", "role": "doctor", "id_number": "12ab"}, F)
    assert {p.field for p in problems} == {"name", "id_number"}
    _, problems = check_registration({"staff_code": "D32118100101", "institution_code": "H32118100064",
                                      "valid_from": "2026-05-01", "valid_to": "2026-04-30"}, F)
    assert [p.field for p in problems] == ["valid_to"]
    _, problems = check_registration({"staff_code": "D1", "institution_code": "", "valid_from": "2026-13-01"}, F)
    assert {p.field for p in problems} == {"staff_code", "institution_code", "valid_from"}
