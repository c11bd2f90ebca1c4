"""The statistics a manager reads: one outcome per verification, failures by their first real cause.

From the audit log (no personal data). Each verification counts once:
``verified``, ``failed`` or ``abandoned`` (the person left: cancelled, no key
typed, no card laid down). A failed one is counted under its *first real
cause*, ranked by ``edge.causes`` (the read, then the card's data, then the
chip, then the face; the same rule as the fleet's dashboard), which the
service gives with each row. Codes that are not failures (``crl_absent``: no
revocation list to consult; ``liveness_passed``) are never counted as causes.
Periods: today, 7 or 30 days, in the kiosk's local time (the browser sends its
UTC offset).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from kiosk_ui.reasons import STATS_PREFIX_KEYS, STATS_REASON_KEYS

PERIODS = {"today": 1, "7": 7, "30": 30}
ABANDONED_CODES = frozenset({"cancelled", "access_key_timeout", "card_timeout", "no_card"})
INSURANCE_KINDS = ("eligible", "not_eligible", "record_mismatch", "unavailable")
OUTCOMES = ("verified", "failed", "abandoned")
COLUMNS = [
    "at",
    "kind",
    "kiosk_id",
    "outcome",
    "overall",
    "passive_authentication",
    "chip_authenticity",
    "face",
    "reason_codes",
    "liveness",
    "face_decision",
    "insurance_status",
    "insurance_code",
]


def cause_key(code: str) -> str:
    if code in STATS_REASON_KEYS:
        return STATS_REASON_KEYS[code]
    return next((k for p, k in STATS_PREFIX_KEYS.items() if code.startswith(p)), "why_other")


def outcome_of(row: dict[str, Any], codes: list[str]) -> str:
    if row.get("outcome") == "done" and row.get("overall") == "valid":
        return "verified"
    if row.get("outcome") != "done" and ABANDONED_CODES & set(codes):
        return "abandoned"
    return "failed"


# The service's names for a failure no code explains (edge.causes: the first verdict not valid).
VERDICT_KEYS = {
    "passive_authentication_invalid": "why_document_invalid",
    "passive_authentication_unknown": "why_issuer_unknown",
    "passive_authentication_not_performed": "why_issuer_unknown",
    "chip_authenticity_invalid": "why_chip",
    "chip_authenticity_unknown": "why_chip_unchecked",
    "chip_authenticity_not_performed": "why_chip_unchecked",
    "face_invalid": "why_face_undetermined",
    "face_unknown": "why_face_undetermined",
    "liveness_failed": "why_liveness_failed",
    "document_expired": "why_card_expired",
    "chip_photo_unusable": "why_face_chip_photo",
}


def first_cause(row: dict[str, Any]) -> str:
    """The statistics key of the verification's first real cause. The service ranks the causes
    (``edge.causes``, one rule for this page and the fleet) and gives it with each row."""
    code = row.get("first_cause") or "unspecified"
    return VERDICT_KEYS.get(code) or cause_key(code)


def insurance_kind(status: str | None) -> str | None:
    if not status:
        return None
    kind = status.strip().lower().replace("-", "_").replace(" ", "_")
    return kind if kind in INSURANCE_KINDS else "unavailable"


def summarise(audit: Any, period: str, *, tz_minutes: int = 0, now: float | None = None) -> dict:
    """The statistics page's tables for ``period`` (``today``, ``7`` or ``30`` days)."""
    days = PERIODS.get(period, 30)
    offset = timedelta(minutes=tz_minutes)
    local_now = (
        datetime.fromtimestamp(now if now is not None else datetime.now(UTC).timestamp(), UTC)
        + offset
    )
    local_start = local_now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(
        days=days - 1
    )
    since = (local_start - offset).isoformat(timespec="seconds")
    rows = audit.select(COLUMNS, since)
    outcomes = dict.fromkeys(OUTCOMES, 0)
    causes: dict[str, int] = {}
    per_hour = [dict.fromkeys(OUTCOMES, 0) for _ in range(24)]
    per_day: dict[str, dict[str, int]] = {}
    per_kiosk: dict[str, dict[str, int]] = {}
    insurance: dict[str, int] = {}
    for row in rows:
        codes = json.loads(row.get("reason_codes") or "[]")
        outcome = outcome_of(row, codes)
        outcomes[outcome] += 1
        if outcome == "failed":
            key = first_cause(row)
            causes[key] = causes.get(key, 0) + 1
        local = datetime.fromisoformat(row["at"]) + offset
        per_hour[local.hour][outcome] += 1
        day = per_day.setdefault(local.date().isoformat(), dict.fromkeys(OUTCOMES, 0))
        day[outcome] += 1
        kiosk = per_kiosk.setdefault(row.get("kiosk_id") or "", dict.fromkeys(OUTCOMES, 0))
        kiosk[outcome] += 1
        kind = insurance_kind(row.get("insurance_status"))
        if kind:
            insurance[kind] = insurance.get(kind, 0) + 1
    counted = outcomes["verified"] + outcomes["failed"]
    return {
        "period": period if period in PERIODS else "30",
        "since": local_start.date().isoformat(),
        "verifications": sum(outcomes.values()),
        "outcomes": outcomes,
        # Abandoned sessions are apart: the rate is over verifications that reached a verdict.
        "success_rate": round(outcomes["verified"] / counted, 4) if counted else None,
        "first_causes": dict(sorted(causes.items(), key=lambda kv: (-kv[1], kv[0]))),
        "per_hour": [{"hour": h, **c} for h, c in enumerate(per_hour)],
        "per_day": [{"day": d, **per_day[d]} for d in sorted(per_day)],
        "per_kiosk": [{"kiosk": k, **per_kiosk[k]} for k in sorted(per_kiosk)],
        "insurance": {k: insurance.get(k, 0) for k in INSURANCE_KINDS},
        "insurance_recorded": "insurance_status" in audit.columns(),
    }
