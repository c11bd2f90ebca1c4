"""Access keys: the CAN, or the MRZ data (document number, birth and expiry dates).

ICAO Doc 9303-11 §4.3.2 (BAC: K_seed = SHA-1(MRZ information)[:16]) and
§4.4.3.1 (PACE: K = SHA-1(MRZ information) whole, or the CAN's ASCII digits;
password reference 01 MRZ, 02 CAN). ``repr`` never shows the key material.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from dataclasses import dataclass

from cardreader.errors import CardError
from cardreader.mrz import check_digit, yymmdd_problem

PASSWORD_MRZ = 1
PASSWORD_CAN = 2

_MRZ_CHARS = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<")


class AccessKeyError(CardError):
    """The access key typed or scanned is not well-formed."""

    code = "access_key_invalid"
    default_message = "The access key is not valid: check the CAN or the MRZ data."


def _yymmdd(value: str | _dt.date | None, what: str, allow_empty: bool = False) -> str:
    if value is None and allow_empty:
        return "<<<<<<"
    if isinstance(value, _dt.date):
        return value.strftime("%y%m%d")
    text = str(value).strip().upper()
    if allow_empty and text in ("", "<<<<<<"):
        return "<<<<<<"
    # Unknown day or month is written '<<' in some MRZs: accepted here, as it is on the card.
    problem = yymmdd_problem(text, what, allow_none=allow_empty, allow_unknown=True)
    if problem:
        raise AccessKeyError(problem)
    return text


@dataclass(frozen=True, repr=False)
class CanKey:
    can: str

    def __post_init__(self) -> None:
        if not (self.can.isascii() and self.can.isdigit() and len(self.can) == 6):
            raise AccessKeyError("The CAN must be six digits.")

    def __repr__(self) -> str:
        return "CanKey(can=******)"

    @classmethod
    def from_cccd_id(cls, id12: str) -> CanKey:
        """On the CCCD the CAN is the last six digits of the 12-digit ID number."""
        id12 = id12.strip()
        if not (id12.isascii() and id12.isdigit() and len(id12) == 12):
            raise AccessKeyError("The ID number must be twelve digits.")
        return cls(id12[-6:])

    @property
    def password_reference(self) -> int:
        return PASSWORD_CAN

    @property
    def pace_password(self) -> bytes:
        return self.can.encode("ascii")


@dataclass(frozen=True, repr=False)
class MrzKey:
    document_number: str
    birth_date: str
    expiry_date: str

    def __post_init__(self) -> None:
        doc = self.document_number.strip().upper()
        if not doc or not set(doc) <= _MRZ_CHARS:
            raise AccessKeyError("The document number may hold only A-Z, 0-9 and '<'.")
        # 9303-3: shorter numbers are padded with '<' to the 9-character field.
        object.__setattr__(self, "document_number", doc.ljust(9, "<"))
        object.__setattr__(self, "birth_date", _yymmdd(self.birth_date, "date of birth"))
        object.__setattr__(
            self, "expiry_date", _yymmdd(self.expiry_date, "date of expiry", allow_empty=True)
        )

    def __repr__(self) -> str:
        return "MrzKey(document_number=*********, birth_date=******, expiry_date=******)"

    @classmethod
    def from_cccd_id(
        cls, id12: str, birth: str | _dt.date, expiry: str | _dt.date | None
    ) -> MrzKey:
        """CCCD: the document number is the last nine digits of the 12-digit ID.

        ``expiry=None`` is a card without an expiry date (holders over 60): '<<<<<<'.
        """
        id12 = id12.strip()
        if not (id12.isascii() and id12.isdigit() and len(id12) == 12):
            raise AccessKeyError("The ID number must be twelve digits.")
        return cls(
            id12[-9:],
            _yymmdd(birth, "date of birth"),
            _yymmdd(expiry, "date of expiry", allow_empty=True),
        )

    @classmethod
    def from_mrz_lines(cls, lines: list[str] | tuple[str, ...] | str) -> MrzKey:
        """From a TD1 (3 x 30), TD2 (2 x 36) or TD3 (2 x 44) MRZ; check digits are verified."""
        if isinstance(lines, str):
            lines = lines.split()
        lines = [ln.strip().upper().replace(" ", "") for ln in lines if ln.strip()]
        lens = [len(ln) for ln in lines]
        if lens[:2] == [30, 30] and len(lines) in (2, 3):
            l1, l2 = lines[0], lines[1]
            doc, doc_cd = l1[5:14], l1[14]
            if doc_cd == "<":
                # Long document number (9303-5): it continues in the optional data,
                # whose last non-filler character is the check digit.
                extra = l1[15:30].rstrip("<")
                if len(extra) < 2:
                    raise AccessKeyError("The MRZ's long document number is malformed.")
                doc, doc_cd = doc + extra[:-1], extra[-1]
            birth, birth_cd, expiry, expiry_cd = l2[0:6], l2[6], l2[8:14], l2[14]
        elif len(lines) == 2 and lens in ([36, 36], [44, 44]):
            l2 = lines[1]
            doc, doc_cd = l2[0:9], l2[9]
            birth, birth_cd, expiry, expiry_cd = l2[13:19], l2[19], l2[21:27], l2[27]
        else:
            raise AccessKeyError("The MRZ must be three lines of 30 or two of 36 or 44 characters.")
        for field, cd, what in (
            (doc, doc_cd, "document number"),
            (birth, birth_cd, "date of birth"),
            (expiry, expiry_cd, "date of expiry"),
        ):
            try:
                ok = check_digit(field) == cd
            except ValueError:
                ok = False
            if not ok:
                raise AccessKeyError(f"The MRZ's {what} fails its check digit: rescan the MRZ.")
        return cls(doc, birth, expiry)

    @property
    def mrz_information(self) -> str:
        """Document number, birth and expiry dates, each followed by its check digit."""
        return "".join(
            f + check_digit(f) for f in (self.document_number, self.birth_date, self.expiry_date)
        )

    @property
    def bac_key_seed(self) -> bytes:
        return hashlib.sha1(self.mrz_information.encode("ascii")).digest()[:16]

    @property
    def password_reference(self) -> int:
        return PASSWORD_MRZ

    @property
    def pace_password(self) -> bytes:
        # Not truncated: the full SHA-1 (a common pitfall in readers).
        return hashlib.sha1(self.mrz_information.encode("ascii")).digest()


AccessKey = CanKey | MrzKey
