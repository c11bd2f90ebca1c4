"""The result a relying party receives: minimised attributes, verdicts, signed as a JWS.

Built only from the ``DocumentReport`` (edge/report.py) and the face decision;
only the profile's attributes go in, then FHIR and the record comparison for
the profiles that carry them, then the ES256 signature over all of it.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from crypto.report import Status, combine
from edge.compare import compare_record
from edge.face_report import LIVENESS_VERDICTS, FaceReport, LivenessReport
from edge.fhir import patient_from_person
from edge.profiles import Profile
from edge.signing import KioskKey

__all__ = [
    "LIVENESS_VERDICTS",
    "build_result",
    "face_parts",
    "face_status",
    "report_view",
    "verdicts",
]

FACE_STATUS = {"match": Status.VALID, "no_match": Status.INVALID, "undetermined": Status.UNKNOWN}


def as_dict(obj: Any) -> dict[str, Any]:
    if obj is None:
        return {}
    if isinstance(obj, dict):
        return obj
    if callable(getattr(obj, "to_dict", None)):
        return obj.to_dict()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    return dict(vars(obj))


def photo_bytes(report: Any) -> bytes | None:
    for holder in (report, getattr(report, "photo", None)):
        acc = getattr(holder, "photo_bytes", None)
        if acc is not None:
            return acc() if callable(acc) else acc
    return None


def status_of(value: Any) -> Status:
    try:
        return Status(getattr(value, "value", value))
    except ValueError:
        return Status.UNKNOWN


def face_parts(report: Any, face: Any = None) -> tuple[FaceReport | None, LivenessReport | None]:
    """The typed face and liveness parts: the report's own, or ``face`` converted at this boundary
    (a ``FaceReport``, a matcher result, or a dict with its ``liveness`` inside)."""
    if face is None:
        return getattr(report, "face", None), getattr(report, "liveness", None)
    live = face.get("liveness") if isinstance(face, dict) else getattr(report, "liveness", None)
    return (
        FaceReport.from_result(face),
        None if live is None else LivenessReport.from_result(live),
    )


def face_status(face: FaceReport | None, liveness: LivenessReport | None = None) -> Status:
    """The face verdict. Verified face = identity match AND liveness passed.

    Without a liveness part (the site turned it off) the match decides alone, as before.
    A failed challenge, or a face that does not match, is ``invalid``; a challenge not
    performed (no frames) or a match left undetermined is ``unknown``.
    """
    if face is None:
        return Status.NOT_PERFORMED
    match = FACE_STATUS.get(face.decision, Status.NOT_PERFORMED)
    if liveness is None:
        return match
    if match is Status.VALID and liveness.verdict == "passed":
        return Status.VALID
    if match is Status.INVALID or liveness.verdict == "failed":
        return Status.INVALID
    return Status.UNKNOWN


def verdicts(
    report: Any,
    *,
    kind: str,
    face_required: bool,
    face: Any = None,
    profile: Profile | None = None,
) -> dict[str, str]:
    """The verdicts a relying party receives and the audit keeps: one rule for both.

    Currency stands apart from authenticity: the profile decides whether an expired document
    is acceptable (refused: overall ``invalid``, reason ``document_expired``)."""
    verification = report.verification
    pa = status_of(verification.passive_authentication)
    chip = status_of(verification.chip_authenticity)
    face_state = face_status(*face_parts(report, face))
    # An upload cannot prove a live chip: its overall verdict rests on passive authentication.
    required = [pa] + ([chip] if kind == "card" else []) + ([face_state] if face_required else [])
    currency = str(getattr(verification, "document_currency", "unknown"))
    if profile is not None and not profile.currency_decision(currency)[0]:
        required.append(Status.INVALID)
    return {
        "overall": combine(required).value,
        "passive_authentication": pa.value,
        "chip_authenticity": chip.value,
        "face": face_state.value,
        "document_currency": currency,
    }


def build_result(
    report: Any,
    profile: Profile,
    *,
    key: KioskKey,
    kiosk_id: str,
    rp_id: str,
    verification_id: str,
    nonce: str | None,
    kind: str,
    face: Any = None,
    face_required: bool,
    record: dict | None,
    now: int,
    extra_claims: dict | None = None,
) -> dict:
    """``face``: None to use the report's own face and liveness parts (the service's way)."""
    person = as_dict(getattr(report, "person", None))
    verification = report.verification
    face_report, live = face_parts(report, face)
    currency = str(getattr(verification, "document_currency", "unknown"))
    currency_ok, notice = profile.currency_decision(currency)
    attributes = profile.minimise(person)
    claims: dict = {
        "iss": kiosk_id,
        "aud": rp_id,
        "iat": now,
        "jti": verification_id,
        "nonce": nonce,
        "profile": profile.name,
        "kind": kind,
        "attributes": attributes,
        "verdicts": verdicts(
            report, kind=kind, face_required=face_required, face=face, profile=profile
        ),
        # Several checks may give one code (two "offline_dump"s): each once, order kept.
        "reason_codes": list(
            dict.fromkeys(
                (["document_expired"] if not currency_ok else []) + verification.reason_codes()
            )
        ),
        "checks": [
            {"name": c.name, "status": status_of(c.status).value, "code": c.code}
            for c in verification.checks
        ],
    }
    if notice is not None:
        claims["notices"] = [notice]
    if profile.face_verdict and face_report is not None:
        claims["face"] = {
            "decision": face_report.decision,
            "distance": face_report.distance,
            "threshold": face_report.threshold,
        }
        # Why the face was not matched, beside the card's own verdict (e.g. chip_photo_unusable,
        # card_not_verified: the face step was skipped, no_face: the camera saw none).
        if face_report.reason_codes:
            claims["face"]["reason_codes"] = list(face_report.reason_codes)
        if live is not None:
            claims["face"]["liveness"] = {
                "verdict": live.verdict,
                "reason_codes": list(live.reason_codes),
            }
    if profile.fhir_patient:
        claims["fhir_patient"] = patient_from_person(
            attributes, verified_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
        )
    if profile.record_comparison and record:
        claims["comparison"] = compare_record(person, record, profile.attributes)
    claims.update(extra_claims or {})  # e.g. insurance + fhir_coverage (edge/insurance)
    return {"jws": key.sign(claims), "claims": claims}


def report_view(report: Any, profile: Profile) -> dict:
    """The report a relying party may see beside its signed result (``DocumentReport`` schema):
    no personal data, and the face evidence only for the profiles that receive the face verdict."""
    view = report.to_dict(include_personal=False)
    if not profile.face_verdict:
        view["face"] = view["liveness"] = None
    elif view["face"] is not None:
        # The matcher's sentence speaks to the person at the kiosk; a program has the codes.
        view["face"]["message"] = None
    return view
