"""The insurance panel's data for the kiosk screen: what to say, never a value read from the chip.

From the signed claims' ``insurance`` object: the status and reason, the card's end date and
first-contact facility (what the person needs at reception), the names of the wrong fields
(not their values) and whether a correction page can be printed.
"""

from __future__ import annotations

from typing import Any

SCREEN_KEYS = ("status", "code", "reason", "message", "valid_to", "first_contact_facility")


def insurance_for_screen(session: Any) -> dict | None:
    claims = (getattr(session, "result", None) or {}).get("claims") or {}
    insurance = claims.get("insurance")
    if not isinstance(insurance, dict):
        return None
    view = {key: insurance.get(key) for key in SCREEN_KEYS}
    view["wrong_fields"] = [
        {"field": m.get("field"), "how": m.get("how")} for m in insurance.get("mismatches") or []
    ]
    link = insurance.get("correction")
    view["correction"] = f"{link}.html" if link else None  # the printable page
    return view
