"""The document report: the single object the CLI, the API, the kiosk screen and the audit log use.

``DocumentReport`` gathers what was read (document, person, photo), how it
was read (``read``; None for an offline dump), what was proved
(``verification``), the face match and liveness challenge when they ran,
and the insurance check when a profile asked for it. ``cccd-edge read
--json``, ``cccd-edge verify-dump --json`` and the API's ``report`` are all
``to_dict()`` of this object, validated by one JSON Schema
(``DocumentReport`` in ``edge/openapi/openapi.json``). Personal data
appears only with ``include_personal=True``; ``audit_dict()`` never holds
any. The photo's bytes stay on the object and come out only through
``photo_bytes()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from crypto.report import VerificationReport
from edge.face_report import FaceReport, FrameQuality, LivenessReport

__all__ = [
    "PERSON_FIELDS",
    "DocumentInfo",
    "DocumentReport",
    "FaceReport",
    "FrameQuality",
    "LivenessReport",
    "Person",
    "Photo",
    "ReadInfo",
    "ReportError",
    "ReportPart",
]

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


class ReportPart(Protocol):
    """A part another module fills (the insurance check): anything that serialises itself."""

    def to_dict(self) -> dict[str, Any]: ...


@dataclass
class DocumentInfo:
    type: str | None = None  # MRZ document code, e.g. 'ID'
    issuing_state: str | None = None  # three letters as in the MRZ, e.g. 'VNM'
    document_number: str | None = None
    expiry: str | None = None  # ISO date; None when the card has none
    mrz_check_errors: list[str] = field(default_factory=list)  # check digits that do not hold

    def to_dict(self, include_personal: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "issuing_state": self.issuing_state}
        if include_personal:
            out.update(document_number=self.document_number, expiry=self.expiry)
        out["mrz_check_errors"] = list(self.mrz_check_errors)
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
    # DG13 fields without a name here, by field number: their text, or their raw bytes in hex.
    other_fields: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            **{k: getattr(self, k) for k in PERSON_FIELDS},
            "other_fields": dict(self.other_fields),
        }


@dataclass
class Photo:
    format: str | None = None  # 'jpeg' | 'jpeg2000' | None
    width: int | None = None
    height: int | None = None
    size: int = 0
    sha256: str | None = None
    standard: str | None = None  # the biometric header's standard (ISO/IEC 19794-5 ...)
    _bytes: bytes = field(default=b"", repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "width": self.width,
            "height": self.height,
            "size": self.size,
            "sha256": self.sha256,
            "standard": self.standard,
        }


@dataclass
class ReportError:
    """A typed error met while reading or parsing (never personal data)."""

    code: str
    message: str
    file: str | None = None
    step: str | None = None
    sw: str | None = None  # the card's status word, four hex digits, when it gave one

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "file": self.file,
            "step": self.step,
            "sw": self.sw,
        }


@dataclass
class ReadInfo:
    """How a live read went: access protocol, CA and AA as run on the card, counted exchanges."""

    complete: bool = False
    access_protocol: str | None = None
    pace_oid: str | None = None
    pace_parameter_id: int | None = None
    extended_length: bool = False
    reader: str | None = None
    atr: str | None = None  # hex
    files: dict[str, int] = field(default_factory=dict)  # file name -> bytes read
    file_errors: dict[str, ReportError] = field(default_factory=dict)
    chip_authentication: dict[str, Any] = field(default_factory=dict)
    active_authentication: dict[str, Any] = field(default_factory=dict)
    chip_authentication_mapping: dict[str, Any] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)
    incidents: list[dict[str, Any]] = field(default_factory=list)  # what the reader recovered from

    def to_dict(self) -> dict[str, Any]:
        return {
            "complete": self.complete,
            "access_protocol": self.access_protocol,
            "pace_oid": self.pace_oid,
            "pace_parameter_id": self.pace_parameter_id,
            "extended_length": self.extended_length,
            "reader": self.reader,
            "atr": self.atr,
            "files": dict(self.files),
            "file_errors": {name: e.to_dict() for name, e in self.file_errors.items()},
            "chip_authentication": dict(self.chip_authentication),
            "active_authentication": dict(self.active_authentication),
            "chip_authentication_mapping": dict(self.chip_authentication_mapping),
            "stats": dict(self.stats),
            "incidents": list(self.incidents),
        }


@dataclass
class DocumentReport:
    document: DocumentInfo = field(default_factory=DocumentInfo)
    person: Person | None = None
    photo: Photo | None = None
    read: ReadInfo | None = None  # None for a dump
    verification: VerificationReport = field(default_factory=VerificationReport)
    errors: list[ReportError] = field(default_factory=list)
    face: FaceReport | None = None  # None when no face match ran
    liveness: LivenessReport | None = None  # None when the site runs no liveness challenge
    insurance: ReportPart | None = None  # filled by the insurance check when a profile asks

    def photo_bytes(self) -> bytes | None:
        """The face image as read (personal data: callers decide whether to show or drop it)."""
        return self.photo._bytes if self.photo is not None and self.photo._bytes else None

    @property
    def passive_authentication(self) -> str:
        return self.verification.passive_authentication.value

    @property
    def chip_authenticity(self) -> str:
        return self.verification.chip_authenticity.value

    def to_dict(self, include_personal: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "document": self.document.to_dict(include_personal),
            "read": None if self.read is None else self.read.to_dict(),
            "verification": self.verification.to_dict(),
            "face": None if self.face is None else self.face.to_dict(),
            "liveness": None if self.liveness is None else self.liveness.to_dict(),
            "errors": [e.to_dict() for e in self.errors],
        }
        if include_personal:
            if self.insurance is not None:  # card number, facility: the holder's own data
                out["insurance"] = self.insurance.to_dict()
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

    def audit_dict(self) -> dict[str, Any]:
        """What an audit log may keep: verdicts, reason codes, counts; never personal data."""
        v = self.verification
        read = None if self.read is None else self.read.to_dict()
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
            if read is None
            else {
                k: read.get(k)
                for k in (
                    "access_protocol",
                    "chip_authentication",
                    "active_authentication",
                    "chip_authentication_mapping",
                    "stats",
                    "complete",
                    "incidents",
                )
            },
            "errors": [{"code": e.code, "file": e.file, "step": e.step} for e in self.errors],
            "photo_present": self.photo is not None and self.photo.size > 0,
            "face_decision": None if self.face is None else self.face.decision,
            "liveness": None if self.liveness is None else self.liveness.verdict,
        }
