"""EF.COM, DG1, DG13 and DG15 (ICAO Doc 9303-10 §4.6-4.7; DG13 as the CCCD lays it out)."""

from __future__ import annotations

from typing import Any, cast

from .keyinfo import spki
from .tlv import der_integer, der_oid, der_printable, der_sequence, der_set, der_utf8, tlv

TAG_COM, TAG_DG1, TAG_DG13, TAG_DG15 = 0x60, 0x61, 0x6D, 0x6F
# data group number -> the tag its file starts with (9303-10 table "LDS data elements")
DG_TAGS = {
    1: 0x61,
    2: 0x75,
    3: 0x63,
    4: 0x76,
    5: 0x65,
    6: 0x66,
    7: 0x67,
    8: 0x68,
    9: 0x69,
    10: 0x6A,
    11: 0x6B,
    12: 0x6C,
    13: 0x6D,
    14: 0x6E,
    15: 0x6F,
    16: 0x70,
}
DG13_OID = "1.0.10646.1.0.8"  # what the CCCD puts before its SET of fields
# DG13 fields written as PrintableString (the rest are UTF8String), per cccd-chip.md
DG13_PRINTABLE = frozenset({1, 3, 11, 15, 16})


def encode_com(
    dgs: list[int], *, lds_version: str = "0107", unicode_version: str = "040000"
) -> bytes:
    """EF.COM: 5F01 LDS version 'aabb', 5F36 Unicode version 'aabbcc', 5C tag list."""
    tags = bytes(DG_TAGS[n] for n in dgs)
    return tlv(
        TAG_COM,
        tlv(0x5F01, lds_version.encode("ascii"))
        + tlv(0x5F36, unicode_version.encode("ascii"))
        + tlv(0x5C, tags),
    )


def encode_dg1(mrz_lines: tuple[str, ...]) -> bytes:
    """DG1: 61 -> 5F1F MRZ data (the TD1 lines concatenated, 90 characters)."""
    return tlv(TAG_DG1, tlv(0x5F1F, "".join(mrz_lines).encode("ascii")))


def _dg13_value(number: int, value: object) -> bytes:
    if number == 13:  # father, mother
        father, mother = cast(tuple[str, str], value)
        return der_sequence(der_utf8(father), der_utf8(mother))
    if number == 14:  # spouse; empty SEQUENCE when none
        return der_sequence() if not value else der_utf8(str(value))
    if isinstance(value, bytes):  # a pre-encoded value, for unusual layouts
        return value
    return der_printable(str(value)) if number in DG13_PRINTABLE else der_utf8(str(value))


def encode_dg13(fields: dict[int, object], *, version: int = 1, oid: str = DG13_OID) -> bytes:
    """DG13: 6D -> SEQUENCE{INTEGER 1, OID, SET OF SEQUENCE{INTEGER field, value}} in field
    order."""
    entries = [der_sequence(der_integer(n), _dg13_value(n, fields[n])) for n in sorted(fields)]
    return tlv(TAG_DG13, der_sequence(der_integer(version), der_oid(oid), der_set(*entries)))


def encode_dg15(public_key: Any, *, explicit: bool = True) -> bytes:
    """DG15: 6F -> SubjectPublicKeyInfo of the Active Authentication key (RSA or EC)."""
    return tlv(TAG_DG15, spki(public_key, explicit=explicit))
