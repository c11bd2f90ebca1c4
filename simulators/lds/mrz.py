"""TD1 machine readable zone (ICAO Doc 9303-5 §4.2), as printed on the CCCD.

Line 1: ``ID`` ``VNM`` doc no (9) cd, optional data (15) = 12-digit ID, ``<<``,
check digit of the ID; line 2: birth cd sex expiry cd nationality, optional
data (11), composite cd; line 3: ``SURNAME<<GIVEN<NAMES``.
"""

from __future__ import annotations

import unicodedata

from .tlv import LDSEncodeError

LINE_LENGTH = 30
_WEIGHTS = (7, 3, 1)


def char_value(ch: str) -> int:
    """9303-3 §4.9: digits are themselves, A-Z are 10-35, the filler '<' is 0."""
    if ch.isdigit():
        return int(ch)
    if "A" <= ch <= "Z":
        return ord(ch) - ord("A") + 10
    if ch == "<":
        return 0
    raise LDSEncodeError(f"character {ch!r} is not allowed in an MRZ")


def check_digit(data: str) -> str:
    """Weights 7-3-1 repeating, sum modulo 10."""
    total = sum(char_value(ch) * _WEIGHTS[i % 3] for i, ch in enumerate(data))
    return str(total % 10)


def transliterate(text: str) -> str:
    """Vietnamese name to MRZ characters: diacritics dropped, Đ -> D, others -> '<'."""
    text = text.replace("Đ", "D").replace("đ", "d")
    plain = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    out = []
    for ch in plain.upper():
        out.append(ch if ("A" <= ch <= "Z" or ch.isdigit()) else "<")
    return "".join(out)


def name_field(full_name: str, width: int = LINE_LENGTH) -> str:
    """``SURNAME<<GIVEN<NAMES``: the Vietnamese family name comes first."""
    words = [transliterate(w) for w in full_name.split()]
    if not words:
        raise LDSEncodeError("empty name")
    field = words[0] + "<<" + "<".join(words[1:])
    return field[:width].ljust(width, "<")


def _pad(text: str, width: int) -> str:
    if len(text) > width:
        raise LDSEncodeError(f"{text!r} is longer than {width} characters")
    return text.ljust(width, "<")


def td1_lines(
    *,
    document_number: str,
    id_number: str,
    birth_date: str,
    sex: str,
    expiry_date: str,
    full_name: str,
    state: str = "VNM",
    nationality: str = "VNM",
    document_code: str = "ID",
) -> tuple[str, str, str]:
    """The three TD1 lines; dates are YYMMDD (expiry may be '<<<<<<'), sex 'M'/'F'/'<'."""
    optional1 = _pad(id_number + "<<" + check_digit(id_number), 15) if id_number else "<" * 15
    line1 = (
        _pad(document_code, 2)
        + state
        + _pad(document_number, 9)
        + check_digit(document_number)
        + optional1
    )
    line2_head = (
        birth_date
        + check_digit(birth_date)
        + sex
        + expiry_date
        + check_digit(expiry_date)
        + nationality
        + "<" * 11
    )
    composite = line1[5:30] + line2_head[0:7] + line2_head[8:15] + line2_head[18:29]
    line2 = line2_head + check_digit(composite)
    line3 = name_field(full_name)
    for line in (line1, line2, line3):
        assert len(line) == LINE_LENGTH, line  # construction invariant, not input validation
    return line1, line2, line3


def mrz_information(document_number: str, birth_date: str, expiry_date: str) -> str:
    """The BAC / PACE-MRZ key input: each field followed by its check digit (9303-11 §9.7.1)."""
    return (
        document_number
        + check_digit(document_number)
        + birth_date
        + check_digit(birth_date)
        + expiry_date
        + check_digit(expiry_date)
    )
