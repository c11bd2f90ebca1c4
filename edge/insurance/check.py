"""The ``insurance`` part of a result, built from the verified report and the gateway's answer.

Runs only on a chip whose passive authentication is ``valid``: a forged chip must not be able
to look up someone's insurance. Then it asks with the chip's ID number (``maThe``), full name
with diacritics (``hoTen``) and birth date as ``dd/MM/yyyy`` (``ngaySinh``). Whatever the
gateway answers, the outcome is one of the statuses of ``codes.STATUSES``; an answer that
cannot be trusted (not JSON, fields missing, odd dates, an unknown code) is ``unavailable``
with its reason, never ``eligible``.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any, Protocol

from edge.compare import compare_record
from edge.insurance.codes import Outcome, outcome_for_code, own
from edge.insurance.gateway import GatewayReply, result_code

# The chip's fields compared with the insurance record, and where the answer holds each.
COMPARED = {
    "full_name": "hoTen",
    "birth_date": "ngaySinh",
    "sex": "gioiTinh",
    "residence": "diaChi",
}
# Which field a mismatch code names (the gateway may not repeat the value on record).
CODE_FIELD = {"060": "full_name", "061": "full_name", "070": "birth_date", "080": "sex"}
# compare.py's "how" words that are only a convention of writing, not a wrong record.
_CONVENTIONS = {"format", "spacing", "punctuation", "coding"}
_NAME_ON_RECORD = re.compile(r"h[ọo]\s*t[êe]n\s*đ[úu]ng\s*:\s*(.+)$", re.IGNORECASE)


class Gateway(Protocol):
    def check(self, card_id: str, full_name: str, birth_date: str) -> GatewayReply: ...


def insurance_result(
    gateway: Gateway, person: dict[str, Any], passive_authentication: str, today: date
) -> dict[str, Any]:
    """The ``insurance`` object of the signed claims (see the OpenAPI ``Insurance`` schema)."""
    if passive_authentication != "valid":
        return _result(own("chip_not_verified"))
    card_id, name, birth = (
        person.get("id_number"),
        person.get("full_name"),
        person.get("birth_date"),
    )
    birth_text = _ddmmyyyy(birth) if isinstance(birth, str) else None
    if not card_id or not name or not birth_text:
        return _result(own("chip_data_missing"))
    reply = gateway.check(str(card_id), unicodedata.normalize("NFC", str(name)), birth_text)
    if reply.answer is None:
        out = _result(own(reply.failure or "gateway_unreachable"))
        if reply.retry_in is not None:
            out["retry_in"] = reply.retry_in
        return out
    return from_answer(reply.answer, person, today)


def from_answer(answer: dict[str, Any], person: dict[str, Any], today: date) -> dict[str, Any]:
    code = result_code(answer)
    if code is None:
        return _result(own("answer_incomplete"))
    outcome = outcome_for_code(code)
    if outcome.reason == "unknown_result_code":
        return _result(outcome, code)
    out = _result(outcome, code)
    if outcome.status == "unavailable":
        return out
    try:
        card = _card(answer, code)
    except _BadAnswerError as bad:
        return _result(own(bad.reason), code)
    if outcome.status == "eligible":
        # Never a wrong "eligible": the answer must say which card and for when, and mean it.
        if not card.get("card_number") or not card.get("valid_from") or not card.get("valid_to"):
            return _result(own("answer_incomplete"), code)
        if not card["valid_from"] <= today.isoformat() <= card["valid_to"]:
            return _result(own("answer_inconsistent"), code)
    out.update(card)
    out["mismatches"] = mismatches(person, answer, code)
    return out


def _result(outcome: Outcome, code: str | None = None) -> dict[str, Any]:
    return {
        "status": outcome.status,
        "code": code,
        "reason": outcome.reason,
        "message": outcome.message(),
        "card_number": None,
        "valid_from": None,
        "valid_to": None,
        "first_contact_facility": None,
        "five_years_since": None,
        "area_code": None,
        "new_card": None,
        "mismatches": [],
    }


class _BadAnswerError(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _card(answer: dict[str, Any], code: str) -> dict[str, Any]:
    """The card's part of the result; for 003 (old card expired) the new card is the one used."""
    new_number = _text(answer.get("maTheMoi"))
    new_card = None
    if new_number:
        new_card = {
            "card_number": new_number,
            "valid_from": _date(answer.get("gtTheTuMoi")),
            "valid_to": _date(answer.get("gtTheDenMoi")),
            "first_contact_facility": _facility(answer.get("maDKBDMoi"), answer.get("tenDKBDMoi")),
        }
    facility = _facility(answer.get("maDKBD"), answer.get("tenDKBDMoi"))
    card = {
        "card_number": _text(answer.get("maThe")),
        "valid_from": _date(answer.get("gtTheTu")),
        "valid_to": _date(answer.get("gtTheDen")),
        "first_contact_facility": facility,
        "five_years_since": _date(answer.get("ngayDu5Nam")),
        "area_code": _text(answer.get("maKV")),
        "new_card": new_card,
    }
    if code == "003":
        if new_card is None or not new_card["valid_from"] or not new_card["valid_to"]:
            raise _BadAnswerError("answer_incomplete")
        card.update(
            card_number=new_number,
            valid_from=new_card["valid_from"],
            valid_to=new_card["valid_to"],
            first_contact_facility=new_card["first_contact_facility"] or facility,
        )
    return card


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()[:200]
    return None


def _facility(code: Any, name: Any) -> dict[str, str | None] | None:
    code_text = _text(code)
    if code_text is None:
        return None
    return {"code": code_text, "name": _text(name)}


def _date(value: Any) -> str | None:
    """``dd/MM/yyyy`` -> ISO; absent -> None; anything else is an answer we cannot read."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    m = re.fullmatch(r"(\d{2})/(\d{2})/(\d{4})", value.strip()) if isinstance(value, str) else None
    if m is None:
        raise _BadAnswerError("answer_bad_date")
    try:
        return date(int(m[3]), int(m[2]), int(m[1])).isoformat()
    except ValueError:
        raise _BadAnswerError("answer_bad_date") from None


def _ddmmyyyy(iso: str) -> str | None:
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", iso.strip())
    return f"{m[3]}/{m[2]}/{m[1]}" if m else None


_HOW_ORDER = ("other", "day_month_swapped", "abbreviation", "diacritics", "case")


def _how(hows: list[str]) -> str:
    """One word for the difference: the most serious of compare.py's explanations."""
    words = {"day_month_swap": "day_month_swapped"}
    named = {words.get(h, h) for h in hows} - _CONVENTIONS
    return next((h for h in _HOW_ORDER if h in named), "other")


def mismatches(person: dict[str, Any], answer: dict[str, Any], code: str) -> list[dict[str, Any]]:
    """``{field, chip, insurance, how}`` for each compared field the insurance record has wrong."""
    record: dict[str, Any] = {}
    for field, key in COMPARED.items():
        value = _text(answer.get(key))
        if value is not None:
            record[field] = value
    if "full_name" not in record and code in ("060", "061"):
        m = _NAME_ON_RECORD.search(str(answer.get("ghiChu") or ""))
        if m:
            record["full_name"] = m[1].strip()[:200]
    compared = compare_record(person, record, tuple(COMPARED))
    out = []
    for field, result in compared.items():
        if result.get("status") != "differs" or person.get(field) is None:
            continue
        if set(result.get("how") or []) <= _CONVENTIONS:
            continue
        out.append(
            {
                "field": field,
                "chip": person.get(field),
                "insurance": record.get(field),
                "how": _how(result.get("how") or []),
            }
        )
    named = CODE_FIELD.get(code)
    if named and person.get(named) is not None and all(m["field"] != named for m in out):
        # The gateway says this field is wrong without repeating its value: still say which.
        out.append({"field": named, "chip": person[named], "insurance": None, "how": "other"})
    return out
