"""The face step of a card verification, kept apart from the card's own verdict.

The card's result (passive authentication, chip authenticity) is decided
before the camera opens and is never changed by what happens at the camera:

- the card has already failed: the face step is skipped (no camera, no
  challenge) and the person is told why (``card_not_verified``);
- the chip photo holds no usable face: the face verdict is ``undetermined``
  with ``chip_photo_unusable``; the signed card result is still returned;
- the camera saw no face, or the head-turn challenge failed: the face
  verdict says so with its own reason, beside an intact card verdict.

``run_face_step(service, session, report)`` is the one call the service makes.
It also notes on the session (for the kiosk screen only, never a relying
party) the face stage's outcome and the document's currency (issue 9's
``document_currency``; absent until that lands, then read defensively).
"""

from __future__ import annotations

from typing import Any

from edge.api.results import status_of

# Face reasons a person is told about (kiosk_ui.reasons maps them to plain words).
CARD_NOT_VERIFIED = "card_not_verified"
CHIP_PHOTO_UNUSABLE = "chip_photo_unusable"


def card_failed(report: Any) -> bool:
    """True when the card itself is not verified: its data or its chip failed a check."""
    verification = report.verification
    pa = status_of(verification.passive_authentication).value
    chip = status_of(verification.chip_authenticity).value
    return pa != "valid" or chip == "invalid"


def document_currency(report: Any) -> str | None:
    """``current | expired | unknown`` from the report, or None while the field does not exist."""
    verification = getattr(report, "verification", None)
    value = getattr(verification, "document_currency", None)
    if value is None and callable(getattr(verification, "to_dict", None)):
        try:
            value = verification.to_dict().get("document_currency")
        except Exception:  # an older report: the field simply is not there
            value = None
    value = getattr(value, "value", value)
    return value if value in ("current", "expired", "unknown") else None


def note_card(session: Any, report: Any) -> None:
    """What the kiosk screen needs about the card beyond the signed claims (no personal data)."""
    session.document_currency = document_currency(report)


def _skipped(liveness: bool, reason: str) -> dict:
    face: dict = {"decision": "undetermined", "reasons": [reason], "skipped": True}
    if liveness:
        face["liveness"] = {"verdict": "not_performed", "reason_codes": [reason]}
    return face


def run_face_step(service: Any, session: Any, report: Any) -> dict:
    """The face decision for ``session``; never raises for a face problem, never fails the card."""
    from edge.face.errors import FaceError

    liveness = bool(service.config.liveness)
    if card_failed(report):
        face = _skipped(liveness, CARD_NOT_VERIFIED)
        session.emit("step", step="face_skipped", reason=CARD_NOT_VERIFIED)
    else:
        try:
            face = service._face(session, report)
        except FaceError as exc:
            # Raised before the camera opens: the chip's own photo has no face the matcher can use.
            if exc.code == "models_unavailable":
                raise
            face = _skipped(liveness, CHIP_PHOTO_UNUSABLE)
            session.emit("step", step="face_skipped", reason=CHIP_PHOTO_UNUSABLE)
    session.face_outcome = {
        "decision": face.get("decision"),
        "reasons": [_code(r) for r in face.get("reasons", [])][:4],
        "skipped": bool(face.get("skipped")),
        "liveness": (face.get("liveness") or {}).get("verdict"),
    }
    return face


def _code(reason: Any) -> str:
    """A reason as its stable code (the matcher's reasons may be dicts with a code)."""
    return str(reason.get("code")) if isinstance(reason, dict) else str(reason)
