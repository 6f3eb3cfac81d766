import pytest

from services.physician_codes.domain.csvio import BadFile, read_rows, write_rows
from services.physician_codes.pii import IdentityProtector, is_masked, mask


def test_rows_carry_their_file_line_numbers_and_bad_shapes_are_reported():
    data = (b"staff_code,institution_code,valid_from,valid_to\n"
            b"D32118100101,H32118100064,2020-01-01,\n"
            b"\n"
            b"D32118100102,H32118100064,2020-01-01,,extra\n"
            b"D32118100103,H32118100064\n"
            b"\"D32118100104\",H32118100064,2021-01-01,2021-12-31\n")
    rows, errors = read_rows(data, "registrations")
    assert [line for line, _ in rows] == [2, 6]
    assert [(e.row, e.field) for e in errors] == [(4, ""), (5, "")]
    assert "more values" in errors[0].reason and "fewer values" in errors[1].reason


def test_a_file_with_missing_or_unknown_columns_is_refused_whole():
    with pytest.raises(BadFile, match="missing columns valid_from"):
        read_rows(b"staff_code,institution_code\n", "registrations")
    with pytest.raises(BadFile, match="unknown columns colour"):
        read_rows(b"code,name,role,colour\n", "staff")
    with pytest.raises(BadFile, match="UTF-8"):
        read_rows("code,name\n".encode("utf-16"), "staff")


def test_export_writes_the_import_format():
    data, n = write_rows("registrations", [{"staff_code": "D1", "institution_code": "H1", "valid_from": "2020-01-01",
                                            "valid_to": None, "id": 7}])
    assert n == 1
    assert data.decode() == "staff_code,institution_code,valid_from,valid_to\nD1,H1,2020-01-01,\n"
    rows, errors = read_rows(data, "registrations")
    assert errors == [] and rows[0][1]["staff_code"] == "D1"


def test_identity_numbers_encrypt_match_and_mask():
    p = IdentityProtector(b"secret-one")
    token = p.encrypt("320181197001011234")
    assert "320181197001011234" not in token and p.decrypt(token) == "320181197001011234"
    assert p.digest("32018119700101123x") == p.digest("32018119700101123X ")
    assert p.digest("320181197001011234") != IdentityProtector(b"secret-two").digest("320181197001011234")
    with pytest.raises(ValueError, match="cannot be decrypted"):
        IdentityProtector(b"secret-two").decrypt(token)
    assert mask("320181197001011234") == "3201**********1234"
    assert is_masked(mask("320181197001011234")) and not is_masked("320181197001011234")
