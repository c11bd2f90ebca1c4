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
from edge.fhir import patient_from_person
from edge.profiles import Profile
from edge.signing import KioskKey

FACE_STATUS = {"match": Status.VALID, "no_match": Status.INVALID, "undetermined": Status.UNKNOWN}
LIVENESS_VERDICTS = ("passed", "failed", "not_performed")


def as_dict(obj: Any) -> dict:
    if obj is None:
        return {}
    if isinstance(obj, dict):
        return obj
    if callable(getattr(obj, "to_dict", None)):
        return obj.to_dict()
    if dataclasses.is_dataclass(obj):
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


def face_status(face: dict | None) -> Status:
    """The face verdict. Verified face = identity match AND liveness passed.

    Without a liveness part (the site turned it off) the match decides alone, as before.
    A failed challenge, or a face that does not match, is ``invalid``; a challenge not
    performed (no frames) or a match left undetermined is ``unknown``.
    """
    if face is None:
        return Status.NOT_PERFORMED
    match = FACE_STATUS.get(face.get("decision"), Status.NOT_PERFORMED)
    live = face.get("liveness")
    if live is None:
        return match
    verdict = live.get("verdict")
    if match is Status.VALID and verdict == "passed":
        return Status.VALID
    if match is Status.INVALID or verdict == "failed":
        return Status.INVALID
    return Status.UNKNOWN


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
    face: dict | None,
    face_required: bool,
    record: dict | None,
    now: int,
) -> dict:
    person = as_dict(getattr(report, "person", None))
    verification = report.verification
    pa = status_of(verification.passive_authentication)
    chip = status_of(verification.chip_authenticity)
    face_state = face_status(face)
    # An upload cannot prove a live chip: its overall verdict rests on passive authentication.
    required = [pa] + ([chip] if kind == "card" else []) + ([face_state] if face_required else [])
    overall = combine(required)
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
        "verdicts": {
            "overall": overall.value,
            "passive_authentication": pa.value,
            "chip_authenticity": chip.value,
            "face": face_state.value,
        },
        # Several checks may give one code (two "offline_dump"s): each once, order kept.
        "reason_codes": list(dict.fromkeys(verification.reason_codes())),
        "checks": [
            {"name": c.name, "status": status_of(c.status).value, "code": c.code}
            for c in verification.checks
        ],
    }
    if profile.face_verdict and face is not None:
        claims["face"] = {
            k: face.get(k) for k in ("decision", "distance", "threshold") if k in face
        }
        # Why the face was not matched, beside the card's own verdict (e.g. chip_photo_unusable,
        # card_not_verified: the face step was skipped, no_face: the camera saw none).
        codes = [r.get("code") if isinstance(r, dict) else r for r in face.get("reasons", [])]
        if codes:
            claims["face"]["reason_codes"] = [str(c) for c in codes]
        live = face.get("liveness")
        if live is not None:
            claims["face"]["liveness"] = {
                "verdict": live.get("verdict"),
                "reason_codes": list(live.get("reason_codes", [])),
            }
    if profile.fhir_patient:
        claims["fhir_patient"] = patient_from_person(
            attributes, verified_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
        )
    if profile.record_comparison and record:
        claims["comparison"] = compare_record(person, record, profile.attributes)
    return {"jws": key.sign(claims), "claims": claims}
