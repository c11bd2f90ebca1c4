"""Each stage of a finished verification on its own: the card, then the face.

The kiosk screen tells a person what happened at the stage where it
happened: a genuine card stays "genuine" when the camera saw no face, and a
face step that never ran (the card had already failed) says so. Keys here are
reason keys (``reason_<key>`` in ``kiosk_ui.strings``), never a technical code.
"""

from __future__ import annotations

from typing import Any

from kiosk_ui.host import host

# Face outcomes the camera itself cannot fix with another look: no retry offered.
_NOT_SEEN = {"no_frames", "no_face", "no_frames_in_window", "no_usable_frame", "face_too_small"}


def card_status(verdicts: dict[str, Any], currency: str | None) -> str:
    """``genuine | expired | not_genuine | issuer_unknown | chip_unchecked | chip_not_genuine``."""
    pa = verdicts.get("passive_authentication")
    chip = verdicts.get("chip_authenticity")
    if pa == "invalid":
        return "not_genuine"
    if pa != "valid":
        return "issuer_unknown"
    if chip == "invalid":
        return "chip_not_genuine"
    if chip != "valid":
        return "chip_unchecked"
    return "expired" if currency == "expired" else "genuine"


def face_reason(outcome: dict[str, Any] | None) -> str | None:
    """The face stage's own reason key, or None when the face matched (or was not asked for)."""
    if not outcome:
        return None
    reasons = set(outcome.get("reasons") or [])
    if outcome.get("skipped"):
        return "face_skipped_card" if "card_not_verified" in reasons else "face_chip_photo"
    decision = outcome.get("decision")
    if outcome.get("liveness") == "failed" and decision != "no_match":
        return "liveness_failed"
    if decision == "no_match":
        return "face_no_match"
    if decision == "match" and outcome.get("liveness") in (None, "passed"):
        return None
    if reasons & _NOT_SEEN or outcome.get("liveness") == "not_performed":
        return "face_not_seen"
    return "face_undetermined"


def display_name(rp_id: str | None) -> str | None:
    """The relying party's ``display_name`` from the configuration (its id when it has none)."""
    if not rp_id:
        return None
    try:
        return host().display_name(rp_id)
    except (RuntimeError, KeyError):  # outside a request: the id will do
        return rp_id


def stage_view(session: Any, claims: dict[str, Any], profile: Any = None) -> dict[str, Any]:
    """Card and face verdicts side by side, plus the one reason to say first."""
    verdicts = dict(claims.get("verdicts") or {})
    currency = getattr(session, "document_currency", None)
    card = card_status(verdicts, currency)
    if profile is None:
        # The signed result says it: an accepted expired document carries a notice (its profile
        # accepts expired documents), a refused one the reason ``document_expired``.
        notices = claims.get("notices") or []
        accepts_expired = any(n.get("code") == "document_expired" for n in notices)
    else:
        accepts_expired = bool(getattr(profile, "accept_expired_document", False))
    face = face_reason(getattr(session, "face_outcome", None))
    view: dict[str, Any] = {
        "card": card,
        "card_verified": card in ("genuine", "expired"),
        "document_currency": currency,
        "face_reason": face,
    }
    if card == "expired":
        # Genuine but expired (issue 9): accepted with a notice, or refused, by the profile.
        view["notice"] = "card_expired_accepted" if accepts_expired else None
        if not accepts_expired and verdicts.get("overall") != "valid":
            view["reason"] = "card_expired"
            return view
    if view["card_verified"] and face and verdicts.get("overall") != "valid":
        view["reason"] = face
    return view
