"""The access key from a request body, checked before the reader is touched."""

from __future__ import annotations

from typing import Any

from cardreader.mrz import yymmdd_problem
from edge.api.errors import InvalidRequest

KEY_FIELDS = ("can", "mrz", "document_number", "birth_date", "expiry_date")
ONE_KEY = (
    "Give exactly one access key: can, mrz, document_number with birth_date and "
    "expiry_date, or ask_on_kiosk: true."
)


def decode_access_key(body: dict) -> Any:
    """The access key from a request body (already schema-checked), or None for ask_on_kiosk.

    A CAN of six digits, MRZ lines whose check digits hold, dates that exist in the calendar
    (the expiry may be ``<<<<<<``). A 400 with a sentence costs nothing; a wrong key costs a
    card attempt (and PACE may slow the chip down).
    """
    from cardreader.accesskey import AccessKeyError, CanKey, MrzKey

    given = [k for k in KEY_FIELDS if k in body]
    if body.get("ask_on_kiosk") and given:
        raise InvalidRequest(ONE_KEY)
    if "document_number" in body and not ("birth_date" in body and "expiry_date" in body):
        raise InvalidRequest(ONE_KEY)
    try:
        if "can" in body:
            return CanKey(body["can"])
        if "mrz" in body:
            key = MrzKey.from_mrz_lines(body["mrz"])
            from_mrz = True
        elif "document_number" in body:
            key = MrzKey(body["document_number"], body["birth_date"], body["expiry_date"])
            from_mrz = False
        else:
            return None
    except AccessKeyError as exc:
        raise InvalidRequest(exc.message) from None
    # An MRZ may write an unknown month or day of birth as '<<' (ICAO 9303-3); typed dates may not.
    problem = yymmdd_problem(
        key.birth_date, "date of birth", allow_unknown=from_mrz
    ) or yymmdd_problem(key.expiry_date, "date of expiry", allow_none=True)
    if problem:
        raise InvalidRequest(problem)
    return key
