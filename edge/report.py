"""The document report: the single object the CLI, the API, the kiosk screen and the audit log use.

``DocumentReport`` gathers what was read (document, person, photo), how it
was read (``read``; None for an offline dump) and what was proved
(``verification``). Personal data appears only in ``to_dict()`` with
``include_personal=True``; ``audit_dict()`` never holds any. The photo's
bytes stay on the object and come out only through ``photo_bytes()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crypto.report import VerificationReport

PERSON_FIELDS = (
    "id_number",
    "full_name",
    "birth_date",
    "sex",
    "nationality",
    "ethnicity",
    "religion",
    "place_of_origin",
    "residence",
    "identifying_marks",
    "issue_date",
    "expiry_date",
    "father_name",
    "mother_name",
    "spouse_name",
    "old_id_number",
)


@dataclass
class DocumentInfo:
    type: str | None = None  # MRZ document code, e.g. 'ID'
    issuing_state: str | None = None  # three letters as in the MRZ, e.g. 'VNM'
    document_number: str | None = None
    expiry: str | None = None  # ISO date; None when the card has none

    def to_dict(self, include_personal: bool = True) -> dict:
        out = {"type": self.type, "issuing_state": self.issuing_state}
        if include_personal:
            out.update(document_number=self.document_number, expiry=self.expiry)
        return out


@dataclass
class Person:
    """Holder data: from DG13 when present (Vietnamese fields), else from DG1's MRZ."""

    source: str | None = None  # 'DG13' | 'DG1' | None
    id_number: str | None = None
    full_name: str | None = None
    birth_date: str | None = None  # ISO
    sex: str | None = None
    nationality: str | None = None
    ethnicity: str | None = None
    religion: str | None = None
    place_of_origin: str | None = None
    residence: str | None = None
    identifying_marks: str | None = None
    issue_date: str | None = None
    expiry_date: str | None = None
    father_name: str | None = None
    mother_name: str | None = None
    spouse_name: str | None = None
    old_id_number: str | None = None

    def to_dict(self) -> dict:
        return {"source": self.source, **{k: getattr(self, k) for k in PERSON_FIELDS}}


@dataclass
class Photo:
    format: str | None = None  # 'jpeg' | 'jpeg2000' | None
    width: int | None = None
    height: int | None = None
    size: int = 0
    sha256: str | None = None
    _bytes: bytes = field(default=b"", repr=False)

    def to_dict(self) -> dict:
        return {
            "format": self.format,
            "width": self.width,
            "height": self.height,
            "size": self.size,
            "sha256": self.sha256,
        }


@dataclass
class ReportError:
    """A typed error met while reading or parsing (never personal data)."""

    code: str
    message: str
    file: str | None = None
    step: str | None = None

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "file": self.file, "step": self.step}


@dataclass
class DocumentReport:
    document: DocumentInfo = field(default_factory=DocumentInfo)
    person: Person | None = None
    photo: Photo | None = None
    read: dict | None = None  # access protocol, CA/AA outcome, stats; None for a dump
    verification: VerificationReport = field(default_factory=VerificationReport)
    errors: list[ReportError] = field(default_factory=list)

    def photo_bytes(self) -> bytes | None:
        """The face image as read (personal data: callers decide whether to show or drop it)."""
        return self.photo._bytes if self.photo is not None and self.photo._bytes else None

    @property
    def passive_authentication(self) -> str:
        return self.verification.passive_authentication.value

    @property
    def chip_authenticity(self) -> str:
        return self.verification.chip_authenticity.value

    def to_dict(self, include_personal: bool = True) -> dict:
        out = {
            "document": self.document.to_dict(include_personal),
            "read": self.read,
            "verification": self.verification.to_dict(),
            "errors": [e.to_dict() for e in self.errors],
        }
        if include_personal:
            out["person"] = self.person.to_dict() if self.person else None
            out["photo"] = self.photo.to_dict() if self.photo else None
        return out

    def to_text(self, include_personal: bool = False) -> str:
        """A plain listing for the terminal: verdicts, then one line per check."""
        v = self.verification
        d = self.document
        lines = [f"Document: {d.type or '?'} issued by {d.issuing_state or '?'}"]
        if include_personal and self.person is not None:
            lines += [f"  {k}: {val}" for k, val in self.person.to_dict().items() if val]
        lines += [
            f"Passive authentication: {v.passive_authentication}",
            f"Chip authenticity:      {v.chip_authenticity}",
            f"Document currency:      {v.document_currency}",
            "",
        ]
        for c in v.checks:
            lines.append(f"  {c.status.value:<13} {c.name:<28} {c.code:<24} {c.message}")
        for e in self.errors:
            lines.append(f"  error         {e.file or '':<28} {e.code:<24} {e.message}")
        return "\n".join(lines)

    def audit_dict(self) -> dict:
        """What an audit log may keep: verdicts, reason codes, certificate facts, counts; no personal data."""
        v = self.verification
        return {
            "document": {"type": self.document.type, "issuing_state": self.document.issuing_state},
            "passive_authentication": v.passive_authentication.value,
            "chip_authenticity": v.chip_authenticity.value,
            "document_currency": str(v.document_currency),
            "checks": [
                {"name": c.name, "status": c.status.value, "code": c.code} for c in v.checks
            ],
            "reason_codes": v.reason_codes(),
            "read": None
            if self.read is None
            else {
                k: self.read.get(k)
                for k in (
                    "access_protocol",
                    "chip_authentication",
                    "active_authentication",
                    "stats",
                    "complete",
                    "incidents",
                )
            },
            "errors": [{"code": e.code, "file": e.file, "step": e.step} for e in self.errors],
            "photo_present": self.photo is not None and self.photo.size > 0,
        }
