"""DG1 (ICAO Doc 9303-10 §4.7.1): tag 61 -> 5F1F, the MRZ as printed."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from cardreader import tlv
from cardreader.errors import ParseError
from cardreader.mrz import MRZ

TAG_DG1 = 0x61
TAG_MRZ = 0x5F1F


@dataclass(repr=False)
class DG1:
    raw: bytes
    mrz: MRZ

    @property
    def check_errors(self) -> list[str]:
        return self.mrz.check_errors

    def __repr__(self) -> str:
        return f"DG1({self.mrz!r})"

    def __getattr__(self, name: str) -> Any:
        # Fields of the MRZ read straight through: dg1.document_number, dg1.birth_date ...
        if name.startswith("_") or name in ("raw", "mrz"):
            raise AttributeError(name)
        return getattr(self.mrz, name)

    @classmethod
    def from_bytes(
        cls, raw: bytes, *, file: str = "DG1", strict: bool = False, today: _dt.date | None = None
    ) -> DG1:
        """strict: raise ParseError on a wrong check digit instead of only listing it in
        ``check_errors``."""
        raw = bytes(raw)
        root = tlv.decode_file(raw, TAG_DG1, file=file)
        node = root.find(TAG_MRZ)
        if not node:
            raise ParseError("DG1 has no MRZ data object (5F1F)", step="parse", file=file)
        mrz = MRZ.from_string(node.value, today=today, file=file)
        if strict and mrz.check_errors:
            raise ParseError("DG1 MRZ: " + "; ".join(mrz.check_errors), step="parse", file=file)
        return cls(raw=raw, mrz=mrz)
