"""MRZ (TD1, TD2, TD3) with every check digit, DG1, and the CCCD mock samples."""

from __future__ import annotations

import datetime as dt

import pytest

from cardreader import tlv
from cardreader.errors import ParseError
from cardreader.lds.dg1 import DG1
from cardreader.mrz import MRZ, birth_date_iso, check_digit, expiry_date_iso

TD1 = (
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
)
TD3 = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)
TODAY = dt.date(2026, 11, 22)


def test_check_digit_examples(icao_vectors):
    cases = icao_vectors["mrz_check_digit"]
    assert len(cases) >= 5
    for case in cases:
        assert check_digit(case["input"]) == str(case["check"]), case
    assert check_digit("D23145890") == "7"
    assert check_digit("740812") == "2"


def test_td1_specimen():
    m = MRZ.from_string("\n".join(TD1), today=TODAY)
    assert m.format == "TD1" and m.valid and m.check_errors == []
    assert (m.document_code, m.issuing_state, m.nationality) == ("I", "UTO", "UTO")
    assert (m.document_number, m.document_number_check) == ("D23145890", "7")
    assert (m.birth_date, m.expiry_date, m.sex) == ("1974-08-12", "2012-04-15", "F")
    assert (m.surname, m.given_names) == ("ERIKSSON", "ANNA MARIA")
    assert set(m.checks) == {"document_number", "birth_date", "expiry_date", "composite"}
    assert all(m.checks.values())
    assert m.mrz_information == "D23145890" + "7" + "740812" + "2" + "120415" + "9"


def test_td3_specimen():
    m = MRZ.from_string(list(TD3), today=TODAY)
    assert m.format == "TD3" and m.check_errors == []
    assert (m.document_number, m.optional_data.rstrip("<")) == ("L898902C3", "ZE184226B")
    assert (m.birth_date, m.expiry_date, m.sex, m.nationality) == (
        "1974-08-12",
        "2012-04-15",
        "F",
        "UTO",
    )
    assert set(m.checks) == {
        "document_number",
        "birth_date",
        "expiry_date",
        "optional_data",
        "composite",
    }


def _td2(number: str, rest_optional: str = "<<<<<<<") -> tuple[str, str]:
    l1 = "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<"
    body = (
        number + check_digit(number) + "UTO" + "740812" + "2" + "F" + "120415" + "9" + rest_optional
    )
    return l1, body + check_digit(body[0:10] + body[13:20] + body[21:35])


def test_td2():
    m = MRZ.from_string("".join(_td2("D23145890")), today=TODAY)
    assert m.format == "TD2" and m.check_errors == []
    assert (m.document_number, m.birth_date, m.given_names) == (
        "D23145890",
        "1974-08-12",
        "ANNA MARIA",
    )


def test_td1_long_document_number():
    # 12-character number: 9 in the field, '<' as its check digit, the rest + check digit in
    # optional data.
    number = "D23145890123"
    cd = check_digit(number)
    l1 = "I<UTO" + number[:9] + "<" + number[9:] + cd + "<" * (15 - 4)
    l2 = "7408122F1204159UTO<<<<<<<<<<<"
    l2 += check_digit(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])
    m = MRZ.from_string([l1, l2, TD1[2]], today=TODAY)
    assert (m.document_number, m.document_number_check) == (number, cd)
    assert m.check_errors == []


CCCD_SAMPLES = [
    ("001093047064", "093047064", "1993-01-05", "2033-01-05"),
    ("051091005513", "091005513", "1991-01-01", "2031-01-01"),
]


@pytest.mark.parametrize("i", [0, 1])
def test_cccd_mock_samples(icao_vectors, i):
    l1, l2 = icao_vectors["cccd"]["mrz_samples_public_mock"][i]
    m = MRZ.from_string([l1, l2, "NGUYEN<<VAN<A" + "<" * 17], today=TODAY)
    cccd_id, doc_no, birth, expiry = CCCD_SAMPLES[i]
    assert m.check_errors == [] and m.checks["cccd_id"] is True
    assert (m.cccd_id, m.document_number, m.birth_date, m.expiry_date) == (
        cccd_id,
        doc_no,
        birth,
        expiry,
    )
    assert m.document_number == m.cccd_id[-9:]  # BAC document number = last 9 digits
    assert (m.document_code, m.issuing_state, m.sex) == ("ID", "VNM", "M")


def test_no_expiry_date():
    l1 = "IDVNM0930470641001093047064<<2"
    l2 = "9301054M" + "<<<<<<" + "<" + "VNM" + "<" * 11
    l2 += check_digit(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])
    m = MRZ.from_string([l1, l2, "NGUYEN<<VAN<A" + "<" * 17], today=TODAY)
    assert m.expiry_date is None and m.expiry_date_raw == "<<<<<<"
    assert m.check_errors == []


def test_wrong_check_digits_are_listed_not_raised():
    bad = (TD1[0][:14] + "8" + TD1[0][15:], TD1[1][:6] + "4" + TD1[1][7:], TD1[2])
    m = MRZ.from_string(list(bad), today=TODAY)
    assert not m.valid
    assert m.checks["document_number"] is False and m.checks["birth_date"] is False
    assert m.checks["composite"] is False and m.checks["expiry_date"] is True
    assert "document_number check digit is '8', expected 7" in m.check_errors


@pytest.mark.parametrize(
    "text,message",
    [
        ("I<UTO" * 3, "not TD1"),
        ("\n".join(TD1).lower(), "characters other than"),
    ],
)
def test_malformed_mrz(text, message):
    with pytest.raises(ParseError, match=message):
        MRZ.from_string(text)


def test_century_rules():
    assert birth_date_iso("261122", TODAY) == "2026-11-22"  # today: this century
    assert birth_date_iso("261123", TODAY) == "1926-11-23"  # tomorrow: last century
    assert birth_date_iso("000229", TODAY) == "2000-02-29"
    assert birth_date_iso("991231", TODAY) == "1999-12-31"
    assert birth_date_iso("<<<<<<", TODAY) is None
    assert expiry_date_iso("991231") == "2099-12-31"
    assert expiry_date_iso("130229") is None


def _dg1(lines) -> bytes:
    return tlv.encode(0x61, tlv.encode(0x5F1F, "".join(lines).encode()))


def test_dg1_bsi(shared_dir):
    raw = (shared_dir / "pki/bsi-tr03105-5/Datagroup1.bin").read_bytes()
    dg1 = DG1.from_bytes(raw, today=TODAY)
    assert dg1.raw == raw and dg1.check_errors == []
    assert (dg1.format, dg1.document_number, dg1.surname, dg1.given_names) == (
        "TD3",
        "C11T002JM",
        "MUSTERMANN",
        "ERIKA",
    )
    assert (dg1.issuing_state, dg1.birth_date, dg1.expiry_date) == ("D", "1996-08-12", "2023-10-31")


def test_dg1_cccd():
    l1, l2 = "IDVNM0930470641001093047064<<2", "9301054M3301052VNM<<<<<<<<<<<8"
    dg1 = DG1.from_bytes(_dg1([l1, l2, "NGUYEN<<VAN<AN" + "<" * 16]))
    assert (dg1.cccd_id, dg1.mrz.format) == ("001093047064", "TD1")


def test_dg1_bad_check_digit():
    raw = _dg1([TD1[0], TD1[1][:6] + "3" + TD1[1][7:], TD1[2]])
    assert DG1.from_bytes(raw).check_errors[0].startswith("birth_date check digit")
    with pytest.raises(
        ParseError, match="DG1 MRZ: birth_date check digit is '3', expected 2"
    ) as err:
        DG1.from_bytes(raw, strict=True)
    assert err.value.file == "DG1"


def test_dg1_structure_errors():
    with pytest.raises(ParseError, match="wrong outer tag 75, expected 61"):
        DG1.from_bytes(tlv.encode(0x75, b""))
    with pytest.raises(ParseError, match="no MRZ data object"):
        DG1.from_bytes(tlv.encode(0x61, tlv.encode(0x5F20, b"x")))
    with pytest.raises(ParseError, match="non-ASCII") as err:
        DG1.from_bytes(tlv.encode(0x61, tlv.encode(0x5F1F, "É".encode() * 45)))
    assert err.value.file == "DG1"


def test_repr_holds_no_personal_data():
    dg1 = DG1.from_bytes(_dg1(TD1))
    assert "ERIKSSON" not in repr(dg1) and "D23145890" not in repr(dg1) and "TD1" in repr(dg1)


def test_td2_long_document_number():
    number = "D231458901"  # 10 characters
    cd = check_digit(number)
    l1 = "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<"
    body = number[:9] + "<" + "UTO" + "7408122" + "F" + "1204159" + number[9:] + cd + "<" * 5
    l2 = body + check_digit(body[0:10] + body[13:20] + body[21:35])
    m = MRZ.from_string([l1, l2], today=TODAY)
    assert (m.format, m.document_number, m.document_number_check) == ("TD2", number, cd)
    assert m.check_errors == []
