"""What the kiosk screen says about a finished verification: verified or not, and one plain reason.

The screen shows one reason a person can act on, not the list of checks.
Errors met during the read come as a stable code (``cardreader.errors``,
the service's own codes); verdicts come from the signed result's claims.
The order below is the order a person should hear about them: a card that
was not read at all, then a document whose signature fails, then the chip,
then the face.
"""
from __future__ import annotations

from typing import Any

from edge.profiles import get_profile

ERROR_REASONS = {
    "access_key_rejected": "wrong_can",
    "access_control_failed": "access_failed",
    "card_removed": "card_removed",
    "card_timeout": "no_card",
    "no_card": "no_card",
    "no_reader": "no_reader",
    "access_key_timeout": "timeout",
    "cancelled": "cancelled",
    "chip_authentication_failed": "chip_not_genuine",
    "secure_messaging_error": "read_failed",
    "unexpected_status": "read_failed",
    "file_not_found": "read_failed",
    "file_access_denied": "read_failed",
    "parse_error": "read_failed",
    "read_incomplete": "read_failed",
    "component_unavailable": "service_problem",
    "internal_error": "service_problem",
}

# Passive-authentication codes that mean "we do not know the issuer", not "forged".
ISSUER_UNKNOWN_CODES = {"csca_unknown", "dsc_missing", "csca_expired", "csca_not_yet_valid"}

REASON_KEYS = tuple(sorted(set(ERROR_REASONS.values()) | {
    "wrong_mrz", "document_invalid", "issuer_unknown", "chip_unchecked", "face_no_match",
    "face_undetermined", "busy", "unknown"}))


def reason_for_error(code: str | None, *, used_mrz: bool = False) -> str:
    reason = ERROR_REASONS.get(code or "", "unknown")
    if reason == "wrong_can" and used_mrz:
        return "wrong_mrz"
    return reason


def reason_for_claims(claims: dict[str, Any], face_required: bool) -> str | None:
    """None when the result is verified; otherwise the first reason a person can understand."""
    verdicts = claims.get("verdicts") or {}
    if verdicts.get("overall") == "valid":
        return None
    pa = verdicts.get("passive_authentication")
    if pa == "invalid":
        return "document_invalid"
    if pa != "valid":
        codes = set(claims.get("reason_codes") or [])
        return "issuer_unknown" if codes & ISSUER_UNKNOWN_CODES or pa == "unknown" else "document_invalid"
    chip = verdicts.get("chip_authenticity")
    if chip == "invalid":
        return "chip_not_genuine"
    if chip != "valid":
        return "chip_unchecked"
    face = verdicts.get("face")
    if face_required and face == "invalid":
        return "face_no_match"
    if face_required and face != "valid":
        return "face_undetermined"
    return "unknown"


def kiosk_view(session: Any) -> dict:
    """The verification as the kiosk screen needs it: never an attribute value, never a key."""
    state = session.state.value
    final = session.state.final
    face_required = bool(session.options.get("face_match_required"))
    view: dict[str, Any] = {"id": session.id, "state": state, "final": final,
                            "relying_party": session.relying_party, "profile": session.profile,
                            "face_required": face_required, "verified": None, "reason": None,
                            "chip_photo": getattr(session, "kiosk_photo", None) is not None,
                            "attributes_read": list(get_profile(session.profile).attributes)}
    # The named steps reached so far: the screen's progress list does not depend on having
    # caught every server-sent event.
    view["steps"] = [e.data.get("step") for e in list(session.events) if e.name == "step"]
    if not final:
        return view
    if session.error:
        view["verified"] = False
        view["failed_step"] = session.error.get("step")
        # wrong_can becomes wrong_mrz on the screen when the person typed the MRZ (it knows).
        view["reason"] = reason_for_error(session.error.get("code"))
        return view
    claims = (session.result or {}).get("claims") or {}
    reason = reason_for_claims(claims, face_required)
    view["verified"] = reason is None
    view["reason"] = reason
    view["verdicts"] = dict(claims.get("verdicts") or {})
    return view
