"""Access keys: MRZ check digits, MRZ information, key seeds, CAN."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from cardreader.accesskey import PASSWORD_CAN, PASSWORD_MRZ, AccessKeyError, CanKey, MrzKey
from cardreader.mrz import check_digit

from .helpers import h


def test_check_digits_from_vectors(icao_vectors):
    for case in icao_vectors["mrz_check_digit"]:
        assert check_digit(case["input"]) == str(case["check"]), case["input"]


def test_bac_d3_mrz_information_and_seed(icao_vectors):
    v = icao_vectors["bac_D3"]
    key = MrzKey("L898902C", "690806", "940623")  # '<' filler added to 9 characters
    assert key.mrz_information == v["mrz_information"]
    assert key.bac_key_seed == h(v["kseed"])
    assert key.password_reference == PASSWORD_MRZ


def test_pace_password_is_full_sha1_of_mrz_information(icao_vectors):
    v = icao_vectors["pace_ecdh_gm_G1"]
    m = v["mrz"]
    key = MrzKey(m["document_number"], m["date_of_birth"], m["date_of_expiry"])
    assert key.pace_password == h(v["key_seed_sha1_mrz"])
    assert len(key.pace_password) == 20


def test_can_key():
    key = CanKey("123456")
    assert key.pace_password == b"123456" and key.password_reference == PASSWORD_CAN
    assert CanKey.from_cccd_id("001093047064").can == "047064"
    for bad in ("12345", "1234567", "12345a", "١٢٣٤٥٦"):
        with pytest.raises(AccessKeyError):
            CanKey(bad)


def test_cccd_mock_mrz_lines(icao_vectors):
    for l1, l2 in icao_vectors["cccd"]["mrz_samples_public_mock"]:
        key = MrzKey.from_mrz_lines([l1, l2, "NGUYEN<<VAN<A<<<<<<<<<<<<<<<<"])
        assert key.document_number == l1[5:14]
        assert key.birth_date == l2[0:6] and key.expiry_date == l2[8:14]
        assert key.mrz_information == l1[5:15] + l2[0:7] + l2[8:15]


def test_from_cccd_id_matches_the_mrz(icao_vectors):
    l1, l2 = icao_vectors["cccd"]["mrz_samples_public_mock"][0]
    from_id = MrzKey.from_cccd_id("001093047064", "930105", dt.date(2033, 1, 5))
    assert from_id.mrz_information == MrzKey.from_mrz_lines([l1, l2]).mrz_information


def test_no_expiry_date_is_filler():
    key = MrzKey.from_cccd_id("001093047064", "930105", None)
    assert key.expiry_date == "<<<<<<"
    assert key.mrz_information.endswith("<<<<<<0")


def test_td3_lines(icao_vectors):
    # 9303-4 specimen (the D.3 data): document number, birth and expiry with check digits.
    line2 = "L898902C<3UTO6908061F9406236ZE184226B<<<<<14"
    key = MrzKey.from_mrz_lines(["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", line2])
    assert key.mrz_information == icao_vectors["bac_D3"]["mrz_information"]


def test_bad_check_digit_is_a_typed_error(icao_vectors):
    l1, l2 = icao_vectors["cccd"]["mrz_samples_public_mock"][0]
    bad = l1[:14] + str((int(l1[14]) + 1) % 10) + l1[15:]
    with pytest.raises(AccessKeyError, match="document number"):
        MrzKey.from_mrz_lines([bad, l2])
    with pytest.raises(AccessKeyError):
        MrzKey.from_mrz_lines(["TOO SHORT"])
    with pytest.raises(AccessKeyError):
        MrzKey("L898902C", "6908", "940623")


def test_repr_hides_key_material():
    key = MrzKey("L898902C", "690806", "940623")
    assert "L898902C" not in repr(key) and "690806" not in repr(key)
    assert "123456" not in repr(CanKey("123456"))
    assert hashlib.sha1(b"x").digest() != key.pace_password


def test_td1_long_document_number():
    doc = "D23145890734"
    cd = check_digit(doc)
    line1 = ("I<UTO" + doc[:9] + "<" + doc[9:] + cd).ljust(30, "<")
    birth, expiry = "740812", "120415"
    line2 = (birth + check_digit(birth) + "F" + expiry + check_digit(expiry) + "UTO").ljust(
        29, "<"
    ) + "0"
    key = MrzKey.from_mrz_lines([line1, line2])
    assert key.document_number == doc
    assert key.mrz_information == doc + cd + birth + check_digit(birth) + expiry + check_digit(
        expiry
    )
