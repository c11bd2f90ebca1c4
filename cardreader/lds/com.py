"""EF.COM (ICAO Doc 9303-10 §4.6.1): LDS version, Unicode version, list of data-group tags.

EF.COM is not signed: decide what to read from the SOD's hash list, and use
EF.COM only as a hint.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cardreader import tlv
from cardreader.errors import ParseError

TAG_COM = 0x60
TAG_LDS_VERSION = 0x5F01
TAG_UNICODE_VERSION = 0x5F36
TAG_LIST = 0x5C

# Outer tag of each data group (9303-10 table "LDS data elements").
DG_TAGS: dict[int, int] = {
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
TAG_TO_DG: dict[int, int] = {t: n for n, t in DG_TAGS.items()}


def _dotted(version: bytes, groups: int) -> str:
    """'0107' -> '1.7', '040000' -> '4.0.0' (two digits per part)."""
    text = version.decode("ascii")
    if len(text) != 2 * groups or not text.isdigit():
        raise ValueError(f"version {text!r} is not {2 * groups} digits")
    return ".".join(str(int(text[i : i + 2])) for i in range(0, len(text), 2))


@dataclass
class EFCOM:
    raw: bytes
    lds_version: str | None  # '1.7'
    unicode_version: str | None  # '4.0.0'
    tags: list[int]  # as listed: 0x61, 0x75, ...
    data_groups: list[int] = field(default_factory=list)  # DG numbers of the known tags
    unknown_tags: list[int] = field(default_factory=list)

    @classmethod
    def from_bytes(cls, raw: bytes, *, file: str = "EF.COM") -> EFCOM:
        raw = bytes(raw)
        root = tlv.decode(raw, strict=False, file=file)
        if root.tag != TAG_COM:
            raise ParseError(
                f"EF.COM must start with tag 60, found {root.tag:X}", step="parse", file=file
            )
        tag_list = root.find(TAG_LIST)
        if not tag_list:
            raise ParseError("EF.COM has no tag list (5C)", step="parse", file=file)
        try:
            lds = root.find(TAG_LDS_VERSION)
            uni = root.find(TAG_UNICODE_VERSION)
            lds_version = _dotted(lds.value, 2) if lds else None
            unicode_version = _dotted(uni.value, 3) if uni else None
        except (UnicodeDecodeError, ValueError) as exc:
            raise ParseError(
                f"EF.COM version is malformed: {exc}", step="parse", file=file
            ) from None
        tags = list(tag_list.value)  # every LDS data-group tag is a single byte
        return cls(
            raw=raw,
            lds_version=lds_version,
            unicode_version=unicode_version,
            tags=tags,
            data_groups=[TAG_TO_DG[t] for t in tags if t in TAG_TO_DG],
            unknown_tags=[t for t in tags if t not in TAG_TO_DG],
        )
