"""EF.SOD for the terminal side: ``crypto.sod`` parses it (both layers need it).

Kept as a thin re-export so ``cardreader.lds.sod.EFSOD`` still works; its
``from_bytes`` raises the terminal side's ``ParseError`` (a ``DecodeError``
and a ``CardError``), as the other LDS parsers do.
"""

from __future__ import annotations

from cardreader.errors import ParseError
from crypto import sod as _sod
from crypto.errors import DecodeError
from crypto.sod import (
    OID_ID_DATA,
    OID_LDS_SECURITY_OBJECT,
    OID_SIGNED_DATA,
    TAG_SOD,
    DataGroupHash,
    DataGroupHashValues,
    LDSSecurityObject,
    LDSVersionInfo,
)

__all__ = [
    "EFSOD",
    "OID_ID_DATA",
    "OID_LDS_SECURITY_OBJECT",
    "OID_SIGNED_DATA",
    "TAG_SOD",
    "DataGroupHash",
    "DataGroupHashValues",
    "LDSSecurityObject",
    "LDSVersionInfo",
]


class EFSOD(_sod.EFSOD):
    """``crypto.sod.EFSOD`` whose parse errors are ``ParseError``s."""

    @classmethod
    def from_bytes(cls, raw: bytes, *, file: str = "EF.SOD") -> EFSOD:
        try:
            parsed = _sod.EFSOD.from_bytes(raw, file=file)
        except ParseError:
            raise
        except DecodeError as exc:
            raise ParseError(exc.message, step=exc.step or "parse", file=exc.file or file) from None
        parsed.__class__ = cls  # same fields, the terminal side's type
        return parsed  # type: ignore[return-value]  # its class was just set to cls
