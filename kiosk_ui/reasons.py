"""What the kiosk screen says about a finished verification: verified or not, and one plain reason.

The screen shows one reason a person can act on, not the list of checks.
Errors met during the read come as a stable code (``cardreader.errors``,
the service's own codes); verdicts come from the signed result's claims.
The order below is the order a person should hear about them: a card that
was not read at all, then a document whose signature fails, then the chip,
then the face.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kiosk_ui.outcome import display_name, stage_view

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

REASON_KEYS = tuple(
    sorted(
        set(ERROR_REASONS.values())
        | {
            "wrong_mrz",
            "document_invalid",
            "issuer_unknown",
            "chip_unchecked",
            "face_no_match",
            "liveness_failed",
            "face_undetermined",
            "face_not_seen",
            "face_chip_photo",
            "face_skipped_card",
            "card_expired",
            "busy",
            "unknown",
        }
    )
)


def reason_for_error(code: str | None, *, used_mrz: bool = False) -> str:
    reason = ERROR_REASONS.get(code or "", "unknown")
    if reason == "wrong_can" and used_mrz:
        return "wrong_mrz"
    return reason


def reason_for_claims(
    claims: dict[str, Any], face_required: bool, liveness: dict | None = None
) -> str | None:
    """None when the result is verified; otherwise the first reason a person can understand.

    ``liveness`` is the session's liveness verdict (the claims carry it only for the profiles
    that receive the face verdict).
    """
    verdicts = claims.get("verdicts") or {}
    if verdicts.get("overall") == "valid":
        return None
    pa = verdicts.get("passive_authentication")
    if pa == "invalid":
        return "document_invalid"
    if pa != "valid":
        codes = set(claims.get("reason_codes") or [])
        return (
            "issuer_unknown"
            if codes & ISSUER_UNKNOWN_CODES or pa == "unknown"
            else "document_invalid"
        )
    chip = verdicts.get("chip_authenticity")
    if chip == "invalid":
        return "chip_not_genuine"
    if chip != "valid":
        return "chip_unchecked"
    face = verdicts.get("face")
    live = liveness or (claims.get("face") or {}).get("liveness") or {}
    if face_required and face == "invalid":
        # The face matched but the head turns were not seen as asked: say that, not "no match".
        no_match = (claims.get("face") or {}).get("decision") == "no_match"
        return (
            "liveness_failed"
            if live.get("verdict") == "failed" and not no_match
            else "face_no_match"
        )
    if face_required and face != "valid":
        return "face_undetermined"
    return "unknown"


def kiosk_view(session: Any, now: float | None = None, attributes: Sequence[str] = ()) -> dict:
    """The verification as the kiosk screen needs it: never an attribute value, never a key.

    ``now`` is the service clock: the screen counts down to the liveness deadline from it.
    ``attributes``: the names (never the values) of what the session's profile reads.
    """
    state = session.state.value
    final = session.state.final
    face_required = bool(session.options.get("face_match_required"))
    view: dict[str, Any] = {
        "id": session.id,
        "state": state,
        "final": final,
        "relying_party": session.relying_party,
        "relying_party_name": display_name(session.relying_party),
        "profile": session.profile,
        "face_required": face_required,
        "verified": None,
        "reason": None,
        "chip_photo": getattr(session, "kiosk_photo", None) is not None,
        "attributes_read": list(attributes),
    }
    # The named steps reached so far: the screen's progress list does not depend on having
    # caught every server-sent event.
    view["steps"] = [e.data.get("step") for e in list(session.events) if e.name == "step"]
    challenge = getattr(session, "liveness", None)
    if challenge:
        view["liveness"] = {
            "steps": list(challenge["steps"]),
            "deadline": challenge["deadline"],
            "issued_at": challenge["issued_at"],
        }
        if now is not None:
            view["liveness"]["now"] = now
            view["liveness"]["seconds_left"] = round(max(challenge["deadline"] - now, 0.0), 2)
    verdict = getattr(session, "liveness_verdict", None)
    if verdict:
        view["liveness_verdict"] = {
            "verdict": verdict["verdict"],
            "reason_codes": list(verdict["reason_codes"]),
        }
    if not final:
        return view
    if session.error:
        view["verified"] = False
        view["failed_step"] = session.error.get("step")
        # wrong_can becomes wrong_mrz on the screen when the person typed the MRZ (it knows).
        view["reason"] = reason_for_error(session.error.get("code"))
        return view
    claims = (session.result or {}).get("claims") or {}
    reason = reason_for_claims(claims, face_required, verdict)
    view["verified"] = reason is None
    view["reason"] = reason
    view["verdicts"] = dict(claims.get("verdicts") or {})
    # The card and the face each with their own verdict (kiosk_ui.outcome): a face problem
    # never reads as "card not verified".
    view.update(stage_view(session, claims))
    view["verified"] = view["reason"] is None
    return view


# --- the statistics page: each audit reason code as short plain words --------------------------
# Codes from cardreader.errors, crypto checks, the service and edge.face.liveness. The page shows
# the words and keeps the code in small text; a code not listed falls back by prefix, then "other".
_STATS_GROUPS = {
    "why_wrong_key": ("access_key_rejected",),
    "why_access_failed": ("access_control_failed",),
    "why_card_removed": ("card_removed",),
    "why_no_card": ("card_timeout", "no_card"),
    "why_no_reader": ("no_reader",),
    "why_key_timeout": ("access_key_timeout",),
    "why_cancelled": ("cancelled",),
    "why_read_failed": (
        "secure_messaging_error",
        "unexpected_status",
        "file_not_found",
        "file_access_denied",
        "parse_error",
        "read_incomplete",
        "card_error",
    ),
    "why_service_problem": ("component_unavailable", "internal_error"),
    "why_issuer_unknown": (
        "csca_unknown",
        "dsc_missing",
        "csca_expired",
        "csca_not_yet_valid",
        "csca_key_unknown",
    ),
    "why_document_invalid": (
        "message_digest_mismatch",
        "dg_hash_mismatch",
        "sod_signature_invalid",
        "signature_invalid",
        "dsc_signature_invalid",
        "content_type_mismatch",
        "algorithm_mismatch",
        "sod_missing",
        "dsc_expired",
        "country_mismatch",
    ),
    "why_revoked": ("dsc_revoked",),
    "why_chip": ("chip_authentication_failed", "ca_failed", "aa_signature_invalid"),
    "why_face_no_match": ("face_no_match",),
    "why_face_undetermined": ("face_undetermined",),
    "why_liveness_failed": ("liveness_failed",),
    "why_liveness_not_performed": (
        "liveness_not_performed",
        "liveness_no_frames",
        "liveness_no_chip_photo",
    ),
    "why_liveness_steps_not_seen": ("liveness_steps_not_seen", "liveness_not_frontal_at_start"),
    "why_liveness_wrong_direction": ("liveness_wrong_direction",),
    "why_liveness_identity": ("liveness_identity_changed", "liveness_identity_not_matched"),
    "why_liveness_several_faces": ("liveness_several_faces",),
    "why_liveness_outside_window": ("liveness_no_frames_in_window",),
    "why_liveness_unclear": ("liveness_no_usable_frame",),
}
STATS_REASON_KEYS = {code: key for key, codes in _STATS_GROUPS.items() for code in codes}
STATS_PREFIX_KEYS = {
    "ca_": "why_chip_unchecked",
    "aa_": "why_chip_unchecked",
    "liveness_": "why_liveness_failed",
}
# Verdicts kept in the audit's codes that are not reasons for a failure.
STATS_NOT_REASONS = ("liveness_passed",)


def stats_reason_key(code: str) -> str:
    if code in STATS_REASON_KEYS:
        return STATS_REASON_KEYS[code]
    return next(
        (key for prefix, key in STATS_PREFIX_KEYS.items() if code.startswith(prefix)), "why_other"
    )
