"""Machine-readable zone: check digits (ICAO Doc 9303-3 §4.9) and TD1/TD2/TD3 parsing
(9303-5/-6/-4).

Every check digit is verified; a wrong one is recorded in ``check_errors``
rather than raised, because the report decides what a mismatch means. A
malformed MRZ (wrong length, characters outside A-Z 0-9 <) is a
``ParseError``.

Dates come out as ISO 8601. A YYMMDD birth date takes the century that puts
it in the past (compared with ``today``, injectable); expiry dates are 20YY.
``<<<<<<`` (no expiry, e.g. CCCD holders over 60) gives ``None``.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field

from cardreader.errors import ParseError

_WEIGHTS = (7, 3, 1)
_MRZ_CHARS = re.compile(r"^[A-Z0-9<]*$")
# Line count and length of each format.
FORMATS = {"TD1": (3, 30), "TD2": (2, 36), "TD3": (2, 44)}


def _value(ch: str) -> int:
    if ch.isdigit():
        return ord(ch) - 48
    if "A" <= ch <= "Z":
        return ord(ch) - 55
    if ch == "<":
        return 0
    raise ValueError(f"{ch!r} is not an MRZ character")


def check_digit(field: str) -> str:
    """The check digit of an MRZ field: weighted sum 7-3-1 of character values, mod 10."""
    return str(sum(_value(c) * _WEIGHTS[i % 3] for i, c in enumerate(field)) % 10)


def birth_date_iso(yymmdd: str, today: _dt.date | None = None) -> str | None:
    """YYMMDD birth date -> 'YYYY-MM-DD', century chosen so the date is not in the future."""
    today = today or _dt.date.today()
    parts = _split(yymmdd)
    if parts is None:
        return None
    yy, mm, dd = parts
    for century in (2000, 1900):
        if century == 2000 and yy > today.year - 2000:
            continue
        day = _date(century + yy, mm, dd)
        if day is not None and (day <= today or century == 1900):
            return day.isoformat()
    return None


def expiry_date_iso(yymmdd: str) -> str | None:
    """YYMMDD expiry date -> '20YY-MM-DD'; None for '<<<<<<' or an impossible date."""
    parts = _split(yymmdd)
    if parts is None:
        return None
    day = _date(2000 + parts[0], parts[1], parts[2])
    return day.isoformat() if day else None


def yymmdd_problem(
    value: str, what: str, *, allow_none: bool = False, allow_unknown: bool = False
) -> str | None:
    """Why ``value`` is not a real calendar date YYMMDD, as a sentence; None when it is one.

    The one date check for MRZ dates (access keys typed, scanned or sent to the API).
    ``allow_none``: ``<<<<<<`` (no expiry); ``allow_unknown``: ``<<`` for an unknown month or
    day, as ICAO 9303-3 writes them in an MRZ's date of birth. The century is not written: a
    day that exists in 19YY or 20YY is accepted (29 February of 00).
    """
    if allow_none and value == "<<<<<<":
        return None
    if len(value) != 6:
        return f"The {what} must be six characters YYMMDD."
    yy, mm, dd = value[:2], value[2:4], value[4:]
    if not (yy.isascii() and yy.isdigit()):
        return f"The {what} must start with a two-digit year (YYMMDD)."
    if allow_unknown and mm == "<<":
        if dd == "<<" or (dd.isascii() and dd.isdigit() and 1 <= int(dd) <= 31):
            return None
        return f"The {what} has an impossible day."
    if not (mm.isascii() and mm.isdigit()) or not 1 <= int(mm) <= 12:
        return f"The {what} has an impossible month (YYMMDD)."
    if allow_unknown and dd == "<<":
        return None
    if not (dd.isascii() and dd.isdigit()):
        return f"The {what} has an impossible day (YYMMDD)."
    if _date(2000 + int(yy), int(mm), int(dd)) or _date(1900 + int(yy), int(mm), int(dd)):
        return None
    return f"The {what} is not a real calendar date (YYMMDD)."


def _split(yymmdd: str) -> tuple[int, int, int] | None:
    if len(yymmdd) != 6 or not yymmdd.isdigit():
        return None
    return int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])


def _date(y: int, m: int, d: int) -> _dt.date | None:
    try:
        return _dt.date(y, m, d)
    except ValueError:
        return None


@dataclass(repr=False)
class MRZ:
    format: str  # 'TD1' | 'TD2' | 'TD3'
    lines: tuple[str, ...]
    document_code: str  # 'I', 'ID', 'P' ... (fillers removed)
    issuing_state: str
    document_number: str  # long TD1/TD2 numbers joined from the optional data
    document_number_check: str
    birth_date_raw: str  # YYMMDD as printed
    birth_date_check: str
    sex: str  # 'M' | 'F' | 'X' ('<' means unspecified: 'X')
    expiry_date_raw: str
    expiry_date_check: str
    nationality: str
    surname: str
    given_names: str
    optional_data: str  # TD1 line 1 / TD2 / TD3 personal number, fillers kept
    optional_data_2: str = ""  # TD1 line 2 only
    composite_check: str = ""
    birth_date: str | None = None  # ISO
    expiry_date: str | None = None  # ISO; None when '<<<<<<'
    cccd_id: str | None = None  # Vietnamese 12-digit ID (TD1 optional data)
    checks: dict[str, bool] = field(default_factory=dict)
    check_errors: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.check_errors

    def __repr__(self) -> str:
        # Never print personal data (logs): format and check results only.
        return f"MRZ({self.format}, checks={self.checks})"

    @property
    def name(self) -> str:
        return f"{self.surname} {self.given_names}".strip()

    @property
    def mrz_information(self) -> str:
        """Document number, date of birth, date of expiry, each with its check digit: the BAC/PACE
        key seed input."""
        number = self.document_number
        if len(number) < 9:
            number = number.ljust(9, "<")
        return (
            number
            + self.document_number_check
            + self.birth_date_raw
            + self.birth_date_check
            + self.expiry_date_raw
            + self.expiry_date_check
        )

    @classmethod
    def from_string(
        cls,
        text: str | bytes | list[str] | tuple[str, ...],
        *,
        today: _dt.date | None = None,
        file: str | None = None,
    ) -> MRZ:
        """Parse an MRZ given as its lines (newline-separated or a list) or as one run of
        characters."""
        if isinstance(text, (bytes, bytearray)):
            try:
                text = bytes(text).decode("ascii")
            except UnicodeDecodeError:
                raise ParseError("MRZ holds non-ASCII bytes", step="parse", file=file) from None
        if isinstance(text, (list, tuple)):
            text = "".join(text)
        flat = "".join(text.split())
        for fmt, (count, width) in FORMATS.items():  # noqa: B007 - fmt is used after the loop
            if len(flat) == count * width:
                break
        else:
            raise ParseError(
                f"MRZ of {len(flat)} characters is not TD1 (90), TD2 (72) or TD3 (88)",
                step="parse",
                file=file,
            )
        if not _MRZ_CHARS.match(flat):
            raise ParseError(
                "MRZ holds characters other than A-Z, 0-9 and <", step="parse", file=file
            )
        lines = tuple(flat[i * width : (i + 1) * width] for i in range(count))
        return _PARSERS[fmt](lines, today)


def _names(field_: str) -> tuple[str, str]:
    surname, _, given = field_.partition("<<")
    return surname.replace("<", " ").strip(), given.replace("<", " ").strip()


def _sex(ch: str) -> str:
    return ch if ch in ("M", "F") else "X"


def _long_number(principal: str, cd: str, optional: str) -> tuple[str, str, str]:
    """TD1/TD2 rule (9303-5 §4.2.2 note): a '<' in the check digit position means the number
    continues
    in the optional data, whose first run ends with the real check digit. Returns
    (number, check digit, optional data left)."""
    if cd != "<":
        return principal.rstrip("<"), cd, optional
    run = optional.split("<", 1)[0]
    if len(run) < 2:
        return principal.rstrip("<"), cd, optional
    return principal + run[:-1], run[-1], optional[len(run) :]


def _verify(m: MRZ, name: str, data: str, cd: str, *, filler_ok: bool = False) -> None:
    expected = check_digit(data)
    ok = cd == expected or (filler_ok and cd == "<" and set(data) <= {"<"})
    m.checks[name] = ok
    if not ok:
        m.check_errors.append(f"{name} check digit is {cd!r}, expected {expected}")


def _dates(m: MRZ, today: _dt.date | None) -> None:
    m.birth_date = birth_date_iso(m.birth_date_raw, today)
    m.expiry_date = expiry_date_iso(m.expiry_date_raw)


def _td1(lines: tuple[str, ...], today: _dt.date | None) -> MRZ:
    l1, l2, l3 = lines
    number, number_cd, _rest = _long_number(l1[5:14], l1[14], l1[15:30])
    surname, given = _names(l3)
    m = MRZ(
        "TD1",
        lines,
        l1[0:2].replace("<", ""),
        l1[2:5].replace("<", ""),
        number,
        number_cd,
        l2[0:6],
        l2[6],
        _sex(l2[7]),
        l2[8:14],
        l2[14],
        l2[15:18].replace("<", ""),
        surname,
        given,
        optional_data=l1[15:30],
        optional_data_2=l2[18:29],
        composite_check=l2[29],
    )
    _verify(m, "document_number", l1[5:14] if l1[14] != "<" else number, number_cd)
    _verify(m, "birth_date", l2[0:6], l2[6])
    _verify(m, "expiry_date", l2[8:14], l2[14], filler_ok=True)
    _verify(m, "composite", l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29], l2[29])
    _cccd(m)
    _dates(m, today)
    return m


def _cccd(m: MRZ) -> None:
    """Vietnam: optional data 1 = 12-digit citizen ID, fillers, then the ID's own check digit."""
    if m.issuing_state != "VNM":
        return
    opt = m.optional_data
    if len(opt) == 15 and opt[:12].isdigit():
        m.cccd_id = opt[:12]
        if opt[14].isdigit():
            _verify(m, "cccd_id", opt[:12], opt[14])


def _td2(lines: tuple[str, ...], today: _dt.date | None) -> MRZ:
    l1, l2 = lines
    number, number_cd, _rest = _long_number(l2[0:9], l2[9], l2[28:35])
    surname, given = _names(l1[5:36])
    m = MRZ(
        "TD2",
        lines,
        l1[0:2].replace("<", ""),
        l1[2:5].replace("<", ""),
        number,
        number_cd,
        l2[13:19],
        l2[19],
        _sex(l2[20]),
        l2[21:27],
        l2[27],
        l2[10:13].replace("<", ""),
        surname,
        given,
        optional_data=l2[28:35],
        composite_check=l2[35],
    )
    _verify(m, "document_number", l2[0:9] if l2[9] != "<" else number, number_cd)
    _verify(m, "birth_date", l2[13:19], l2[19])
    _verify(m, "expiry_date", l2[21:27], l2[27], filler_ok=True)
    _verify(m, "composite", l2[0:10] + l2[13:20] + l2[21:35], l2[35])
    _dates(m, today)
    return m


def _td3(lines: tuple[str, ...], today: _dt.date | None) -> MRZ:
    l1, l2 = lines
    surname, given = _names(l1[5:44])
    m = MRZ(
        "TD3",
        lines,
        l1[0:2].replace("<", ""),
        l1[2:5].replace("<", ""),
        l2[0:9].rstrip("<"),
        l2[9],
        l2[13:19],
        l2[19],
        _sex(l2[20]),
        l2[21:27],
        l2[27],
        l2[10:13].replace("<", ""),
        surname,
        given,
        optional_data=l2[28:42],
        composite_check=l2[43],
    )
    _verify(m, "document_number", l2[0:9], l2[9])
    _verify(m, "birth_date", l2[13:19], l2[19])
    _verify(m, "expiry_date", l2[21:27], l2[27], filler_ok=True)
    # An all-filler personal number may carry '<' or '0' as its check digit (9303-4 §4.2.2).
    _verify(m, "optional_data", l2[28:42], l2[42], filler_ok=True)
    _verify(m, "composite", l2[0:10] + l2[13:20] + l2[21:43], l2[43])
    _dates(m, today)
    return m


_PARSERS = {"TD1": _td1, "TD2": _td2, "TD3": _td3}
