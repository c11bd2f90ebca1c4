"""Vietnamese DG13: parsed by field number, built here with asn1crypto (an encoder independent of
ours)."""

from __future__ import annotations

import pytest
from asn1crypto import core

from cardreader import tlv
from cardreader.errors import ParseError
from cardreader.lds.dg13 import DG13, dmy_to_iso

ADDRESS = (
    "Số 123, Đường Nguyễn Thị Minh Khai, Phường Bến Thành, Quận 1, Thành phố Hồ Chí Minh, "
    "Khu phố 4, Tổ dân phố 17, gần chợ Bến Thành, đối diện công viên Tao Đàn, Việt Nam"
)

FIELDS = {
    1: core.PrintableString("001093047064"),
    2: core.UTF8String("Nguyễn Văn An"),
    3: core.PrintableString("05/01/1993"),
    4: core.UTF8String("Nam"),
    5: core.UTF8String("Việt Nam"),
    6: core.UTF8String("Kinh"),
    7: core.UTF8String("Không"),
    8: core.UTF8String("Xã Tân Phú, Huyện Đồng Xuân, Phú Yên"),
    9: core.UTF8String(ADDRESS),
    10: core.UTF8String("Nốt ruồi C:1cm trên trước mày phải"),
    11: core.PrintableString("10/07/2021"),
    12: core.UTF8String("05/01/2033"),
    13: core.Sequence(
        value=None,
        contents=core.UTF8String("Nguyễn Văn Bình").dump() + core.UTF8String("Trần Thị Cúc").dump(),
    ),
    14: core.Sequence(value=None, contents=b""),
    15: core.PrintableString("123456789"),
    16: core.PrintableString("ABCDEFGHIJKLMNOP"),
}


def _entry(number: int, value: core.Asn1Value) -> bytes:
    return core.Integer(number).dump() + value.dump()


def encode_dg13(fields: dict[int, core.Asn1Value], order: list[int] | None = None) -> bytes:
    order = order if order is not None else sorted(fields)
    entries = b"".join(tlv.encode(0x30, _entry(n, fields[n])) for n in order)
    body = (
        core.Integer(1).dump()
        + core.ObjectIdentifier("1.0.10646.1.0.8").dump()
        + tlv.encode(0x31, entries)
    )
    return tlv.encode(0x6D, tlv.encode(0x30, body))


def test_all_sixteen_fields():
    raw = encode_dg13(FIELDS)
    dg = DG13.from_bytes(raw)
    assert dg.errors == []
    assert (dg.version, dg.oid, dg.raw) == (1, "1.0.10646.1.0.8", raw)
    assert dg.id_number == "001093047064"
    assert dg.full_name == "Nguyễn Văn An"
    assert (dg.birth_date, dg.birth_date_text) == ("1993-01-05", "05/01/1993")
    assert (dg.sex, dg.sex_code) == ("Nam", "M")
    assert (dg.nationality, dg.ethnicity, dg.religion) == ("Việt Nam", "Kinh", "Không")
    assert dg.place_of_origin == "Xã Tân Phú, Huyện Đồng Xuân, Phú Yên"
    assert dg.place_of_residence == ADDRESS
    assert dg.identifying_marks == "Nốt ruồi C:1cm trên trước mày phải"
    assert dg.issue_date == "2021-07-10"
    assert (dg.expiry_date, dg.expiry_date_iso) == ("05/01/2033", "2033-01-05")
    assert (dg.father_name, dg.mother_name, dg.spouse_name) == (
        "Nguyễn Văn Bình",
        "Trần Thị Cúc",
        None,
    )
    assert (dg.old_id_number, dg.field16) == ("123456789", "ABCDEFGHIJKLMNOP")
    assert dg.field_numbers == list(range(1, 17))
    assert "Nguy" not in repr(dg)  # no personal data in logs


def test_long_address_uses_long_form_lengths():
    assert len(ADDRESS.encode()) > 200
    raw = encode_dg13(FIELDS)
    assert bytes.fromhex("0C81") in raw or bytes.fromhex("0C82") in raw
    assert raw[:2] == bytes.fromhex("6D82")
    assert DG13.from_bytes(raw).place_of_residence == ADDRESS


def test_fields_found_by_number_not_position():
    shuffled = encode_dg13(FIELDS, order=[9, 2, 16, 1, 13, 3, 12, 4, 5, 6, 7, 8, 10, 11, 14, 15])
    dg = DG13.from_bytes(shuffled)
    assert dg.errors == []
    assert (dg.id_number, dg.full_name, dg.place_of_residence) == (
        "001093047064",
        "Nguyễn Văn An",
        ADDRESS,
    )


def test_absent_fields_and_word_expiry_and_extra_field():
    fields = {n: v for n, v in FIELDS.items() if n not in (7, 10, 13, 15)}
    fields[12] = core.UTF8String("Không thời hạn")
    fields[4] = core.UTF8String("Nữ")
    fields[17] = core.UTF8String("O+")
    dg = DG13.from_bytes(encode_dg13(fields))
    assert dg.errors == []
    assert dg.religion is None and dg.identifying_marks is None and dg.old_id_number is None
    assert dg.father_name is None and dg.mother_name is None
    assert (dg.expiry_date, dg.expiry_date_iso) == ("Không thời hạn", None)
    assert dg.sex_code == "F"
    assert set(dg.unknown) == {17}
    assert dg.unknown[17] == tlv.encode(0x30, _entry(17, fields[17]))


def test_bad_utf8_kept_raw_and_reported():
    fields = dict(FIELDS)
    fields[2] = core.UTF8String(
        value=None, contents=b"Nguy\xe1\xbb n"
    )  # truncated multi-byte sequence
    raw = encode_dg13(fields)
    dg = DG13.from_bytes(raw)
    assert dg.full_name is None and dg.id_number == "001093047064"
    assert not dg.fields[2].ok and b"Nguy\xe1\xbb n" in dg.fields[2].raw
    assert len(dg.errors) == 1 and dg.errors[0].file == "DG13"
    with pytest.raises(ParseError, match=r"field 2 \(full_name\) has an undecodable value"):
        DG13.from_bytes(raw, strict=True)


def test_sloppy_inner_length_keeps_earlier_fields():
    good = encode_dg13({1: FIELDS[1], 2: FIELDS[2]})
    # Append a broken entry inside the SET by patching: entry claims 0x20 bytes, has 3.
    body = (
        core.Integer(1).dump()
        + core.ObjectIdentifier("1.0.10646.1.0.8").dump()
        + tlv.encode(0x31, tlv.encode(0x30, _entry(1, FIELDS[1])) + bytes.fromhex("3020020103"))
    )
    raw = tlv.encode(0x6D, tlv.encode(0x30, body))
    dg = DG13.from_bytes(raw)
    assert dg.id_number == "001093047064"
    assert any("SET of fields is malformed after 1 element" in e.message for e in dg.errors)
    assert DG13.from_bytes(good).errors == []


def test_duplicate_field_and_bad_date():
    fields = dict(FIELDS)
    fields[3] = core.PrintableString("31/02/1993")
    raw = encode_dg13(fields, order=[1, 1, 2, 3])
    dg = DG13.from_bytes(raw)
    assert dg.birth_date is None and dg.birth_date_text == "31/02/1993"
    messages = " | ".join(e.message for e in dg.errors)
    assert "field 1 appears twice" in messages and "not a dd/mm/yyyy date" in messages


def test_wrong_outer_tag_and_truncation():
    raw = encode_dg13(FIELDS)
    with pytest.raises(ParseError, match="wrong outer tag 6E, expected 6D"):
        DG13.from_bytes(b"\x6e" + raw[1:])
    with pytest.raises(ParseError, match="runs past the end") as err:
        DG13.from_bytes(raw[:-5])
    assert err.value.file == "DG13"


@pytest.mark.parametrize(
    "text,iso",
    [
        ("05/01/1993", "1993-01-05"),
        ("5/1/1993", "1993-01-05"),
        ("29/02/2000", "2000-02-29"),
        ("29/02/1900", None),
        ("Không thời hạn", None),
        ("", None),
    ],
)
def test_dmy_to_iso(text, iso):
    assert dmy_to_iso(text) == iso


def test_tolerated_layout_variants():
    """Parents as two flat values, and entries sitting in the SEQUENCE without a SET around them."""
    entries = tlv.encode(0x30, _entry(1, FIELDS[1])) + tlv.encode(
        0x30, core.Integer(13).dump() + core.UTF8String("Bố").dump() + core.UTF8String("Mẹ").dump()
    )
    body = core.Integer(1).dump() + core.ObjectIdentifier("1.0.10646.1.0.8").dump() + entries
    dg = DG13.from_bytes(tlv.encode(0x6D, tlv.encode(0x30, body)))
    assert dg.errors == []
    assert (dg.id_number, dg.father_name, dg.mother_name) == ("001093047064", "Bố", "Mẹ")


def test_empty_dg13_is_reported():
    dg = DG13.from_bytes(tlv.encode(0x6D, tlv.encode(0x30, core.Integer(1).dump())))
    assert dg.fields == {} and "holds no fields" in dg.errors[0].message


def test_document_reports_dg13_soft_errors_and_keeps_the_object():
    from cardreader.lds import parse_document

    fields = dict(FIELDS)
    fields[3] = core.PrintableString("31/02/1993")
    one = parse_document({"DG13": encode_dg13(fields)})
    assert one.dg13 is not None and one.dg13.id_number == "001093047064"
    assert (
        one.errors["DG13"].file == "DG13" and "not a dd/mm/yyyy date" in one.errors["DG13"].message
    )
    two = parse_document({"DG13": encode_dg13(fields, order=[1, 1, 2, 3])})
    assert two.dg13 is not None
    message = two.errors["DG13"].message
    assert "field 1 appears twice" in message and "not a dd/mm/yyyy date" in message
    assert "DG13" not in parse_document({"DG13": encode_dg13(FIELDS)}).errors
