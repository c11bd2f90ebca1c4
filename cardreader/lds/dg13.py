"""DG13 of the Vietnamese CCCD: personal data (see docs cccd-chip.md, "DG13").

``6D`` -> SEQUENCE { INTEGER 1, OID 1.0.10646.1.0.8, SET OF SEQUENCE {
INTEGER field-number, value } }. Fields are found by **number**, never by
position: entries may be absent, long addresses push lengths into the long
form, and newer cards add fields (kept raw in ``unknown``).

The outer tag must be right (else ``ParseError``). Inside, sloppy content
(a bad inner length, bad UTF-8, an unexpected type) does not stop the
parse: the affected field keeps its raw bytes and a ``ParseError`` is added
to ``errors``; ``strict=True`` raises the first one instead.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from cardreader import tlv
from cardreader.errors import ParseError

TAG_DG13 = 0x6D
DG13_OID = "1.0.10646.1.0.8"

FIELD_NAMES: dict[int, str] = {
    1: "id_number",
    2: "full_name",
    3: "birth_date",
    4: "sex",
    5: "nationality",
    6: "ethnicity",
    7: "religion",
    8: "place_of_origin",
    9: "place_of_residence",
    10: "identifying_marks",
    11: "issue_date",
    12: "expiry_date",
    13: "parents",
    14: "spouse_name",
    15: "old_id_number",
    16: "field16",
}

_UTF8, _PRINTABLE, _IA5, _T61, _BMP, _VISIBLE = 0x0C, 0x13, 0x16, 0x14, 0x1E, 0x1A
_STRING_TAGS = {_UTF8, _PRINTABLE, _IA5, _T61, _BMP, _VISIBLE}
_DATE = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})\s*$")


def dmy_to_iso(text: str | None) -> str | None:
    """'05/01/1993' -> '1993-01-05'; None when the text is not a real dd/mm/yyyy date."""
    if not text:
        return None
    m = _DATE.match(text)
    if not m:
        return None
    try:
        return _dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1))).isoformat()
    except ValueError:
        return None


@dataclass
class DG13Field:
    number: int
    raw: bytes  # the whole SEQUENCE{INTEGER n, value...}
    texts: list[str]  # decoded string values, in order (flattened one level)
    ok: bool = True

    @property
    def text(self) -> str | None:
        return self.texts[0] if self.texts else None


@dataclass(repr=False)
class DG13:
    raw: bytes
    version: int | None = None
    oid: str | None = None
    fields: dict[int, DG13Field] = field(default_factory=dict)
    unknown: dict[int, bytes] = field(
        default_factory=dict
    )  # field number -> raw entry, numbers > 16
    errors: list[ParseError] = field(default_factory=list)

    id_number: str | None = None
    full_name: str | None = None
    birth_date: str | None = None  # ISO
    birth_date_text: str | None = None  # as on the chip, dd/mm/yyyy
    sex: str | None = None  # as on the chip: 'Nam' / 'Nữ'
    nationality: str | None = None
    ethnicity: str | None = None
    religion: str | None = None
    place_of_origin: str | None = None
    place_of_residence: str | None = None
    identifying_marks: str | None = None
    issue_date: str | None = None  # ISO
    issue_date_text: str | None = None
    expiry_date: str | None = None  # the text as on the chip (may be a word)
    expiry_date_iso: str | None = None
    father_name: str | None = None
    mother_name: str | None = None
    spouse_name: str | None = None
    old_id_number: str | None = None
    field16: str | None = None

    @property
    def sex_code(self) -> str | None:
        """'M' for Nam, 'F' for Nữ, else None."""
        if self.sex is None:
            return None
        # NFC so a decomposed "Nữ" (u + horn + tilde as separate code points) matches too.
        word = unicodedata.normalize("NFC", self.sex.strip()).lower()
        return {"nam": "M", "nữ": "F"}.get(word)

    @property
    def field_numbers(self) -> list[int]:
        return sorted(set(self.fields) | set(self.unknown))

    def __repr__(self) -> str:
        # Never print personal data (logs): structure only.
        return f"DG13(fields={self.field_numbers}, errors={len(self.errors)})"

    @classmethod
    def from_bytes(cls, raw: bytes, *, file: str = "DG13", strict: bool = False) -> DG13:
        raw = bytes(raw)
        root = tlv.decode_file(raw, TAG_DG13, file=file, deep=False)
        dg = cls(raw=raw)
        dg._parse(root, file)
        if strict and dg.errors:
            raise dg.errors[0]
        return dg

    # --- parsing ---------------------------------------------------------

    def _error(self, msg: str, file: str) -> None:
        self.errors.append(ParseError(f"DG13 {msg}", step="parse", file=file))

    def _parse(self, root: tlv.TLV, file: str) -> None:
        top = _children(root, self, file, "content")
        # Usually one SEQUENCE inside 6D; be tolerant of the parts sitting directly in 6D.
        body = top[0] if len(top) == 1 and top[0].tag == 0x30 else root
        items = top if body is root else _children(body, self, file, "SEQUENCE")
        for item in items:
            if item.tag == 0x02 and self.version is None:
                self.version = (
                    int.from_bytes(item.value, "big", signed=True) if item.length else None
                )
            elif item.tag == 0x06 and self.oid is None:
                self.oid = _oid(item.value)
            elif item.tag == 0x31:
                for entry in _children(item, self, file, "SET of fields"):
                    self._entry(entry, file)
            elif item.tag == 0x30:
                self._entry(item, file)  # an entry outside a SET: accept it by its number
        if not self.fields and not self.unknown:
            self._error("holds no fields", file)
        self._assign(file)

    def _entry(self, entry: tlv.TLV, file: str) -> None:
        parts = _children(entry, self, file, "field entry")
        if not parts or parts[0].tag != 0x02 or not parts[0].length:
            self._error("field entry does not start with its INTEGER number", file)
            return
        number = int.from_bytes(parts[0].value, "big", signed=True)
        if number in self.fields or number in self.unknown:
            self._error(f"field {number} appears twice; the first is kept", file)
            return
        if number not in FIELD_NAMES:
            self.unknown[number] = entry.raw
            return
        texts: list[str] = []
        ok = True
        for value in parts[1:]:
            # Field 13 (parents) and 14 (spouse) nest their strings one SEQUENCE deeper.
            leaves = (
                _children(value, self, file, f"field {number}") if value.constructed else [value]
            )
            for leaf in leaves:
                text = _text(leaf)
                if text is None:
                    ok = False
                    self._error(
                        f"field {number} ({FIELD_NAMES[number]}) has an undecodable value "
                        f"(tag {leaf.tag:X}); raw bytes kept",
                        file,
                    )
                else:
                    texts.append(text)
        self.fields[number] = DG13Field(number, entry.raw, texts, ok)

    def _assign(self, file: str) -> None:
        def text(n: int) -> str | None:
            f = self.fields.get(n)
            return f.text if f else None

        for n, name in FIELD_NAMES.items():
            if n in (3, 11, 12, 13):
                continue
            setattr(self, name, text(n))
        self.birth_date_text = text(3)
        self.birth_date = dmy_to_iso(self.birth_date_text)
        if self.birth_date_text and not self.birth_date:
            self._error("field 3 (birth_date) is not a dd/mm/yyyy date", file)
        self.issue_date_text = text(11)
        self.issue_date = dmy_to_iso(self.issue_date_text)
        self.expiry_date = text(12)
        self.expiry_date_iso = dmy_to_iso(self.expiry_date)  # a word ("Không thời hạn") gives None
        parents = self.fields.get(13)
        if parents:
            self.father_name = (
                parents.texts[0] if len(parents.texts) > 0 and parents.texts[0] else None
            )
            self.mother_name = (
                parents.texts[1] if len(parents.texts) > 1 and parents.texts[1] else None
            )
        if self.spouse_name == "":
            self.spouse_name = None

    def to_dict(self) -> dict[str, Any]:
        names = [n for n in FIELD_NAMES.values() if n not in ("parents",)]
        out = {n: getattr(self, n) for n in names}
        out.update(
            birth_date_text=self.birth_date_text,
            issue_date_text=self.issue_date_text,
            expiry_date_iso=self.expiry_date_iso,
            father_name=self.father_name,
            mother_name=self.mother_name,
        )
        return out


def _children(node: tlv.TLV, dg: DG13, file: str, what: str) -> list[tlv.TLV]:
    """Children of a constructed node; a malformed tail is recorded and the good head kept."""
    out: list[tlv.TLV] = []
    if not node.constructed:
        return out
    try:
        for child in tlv.iter_tlv(node.value, file=file):
            out.append(child)
    except ParseError as exc:
        dg._error(f"{what} is malformed after {len(out)} element(s): {exc.message}", file)
    return out


def _text(leaf: tlv.TLV) -> str | None:
    """A string value decoded by its ASN.1 type; None when it does not decode."""
    data = leaf.value
    try:
        if leaf.tag == _BMP:
            return data.decode("utf-16-be")
        if leaf.tag in (_PRINTABLE, _IA5, _VISIBLE):
            return data.decode("ascii")
        if leaf.tag in (_UTF8, _T61):
            return data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if leaf.tag == 0x30 and not leaf.length:
        return ""  # an empty SEQUENCE: no value (spouse when none)
    return None


def _oid(value: bytes) -> str | None:
    """Dotted text of an OBJECT IDENTIFIER's content octets (X.690 §8.19)."""
    if not value or value[-1] & 0x80:
        return None
    arcs: list[int] = []
    acc = 0
    for b in value:
        acc = (acc << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(acc)
            acc = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(a) for a in [first, arcs[0] - 40 * first, *arcs[1:]])
