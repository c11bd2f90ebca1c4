"""The CCCD front QR code against the chip: same card, same name, same birth date?

The kiosk screen sends the QR's ID, name and birth date once, after the
verification has ended; the answer is three booleans (None when the chip's
value is not in this verification's attributes). Nothing sent is kept or logged.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import BadRequest as InvalidRequest
from werkzeug.exceptions import Conflict, NotFound

from kiosk_ui.host import host, require_kiosk

bp = Blueprint("kiosk_qr", __name__, url_prefix="/kiosk/api")


def _name(value: str) -> str:
    return " ".join(unicodedata.normalize("NFC", value).casefold().split())


def _birth_iso(ddmmyyyy: str) -> str | None:
    """The QR's ddmmyyyy as the chip's YYYY-MM-DD."""
    if not re.fullmatch(r"\d{8}", ddmmyyyy):
        return None
    return f"{ddmmyyyy[4:]}-{ddmmyyyy[2:4]}-{ddmmyyyy[:2]}"


def compare(qr: dict[str, str], chip: dict[str, Any]) -> dict[str, bool | None]:
    """Each QR field against the chip's (None: the chip's value is not known here)."""
    out: dict[str, bool | None] = {}
    chip_id, chip_name, chip_birth = (
        chip.get("id_number"),
        chip.get("full_name"),
        chip.get("birth_date"),
    )
    out["id_matches"] = None if not chip_id else qr.get("id_number") == chip_id
    out["name_matches"] = (
        None if not chip_name else _name(qr.get("full_name", "")) == _name(chip_name)
    )
    out["birth_matches"] = (
        None if not chip_birth else _birth_iso(qr.get("birth_date", "")) == chip_birth
    )
    return out


@bp.post("/sessions/<session_id>/qr-check")
def qr_check(session_id: str) -> Response:
    require_kiosk()
    session = host().session(session_id)
    if session is None:
        raise NotFound()
    if not session.state.final:
        raise Conflict("The verification has not ended yet.")
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not all(
        isinstance(body.get(k), str) and len(body[k]) <= 200
        for k in ("id_number", "full_name", "birth_date")
    ):
        raise InvalidRequest("Send id_number, full_name and birth_date as short strings.")
    attributes = ((session.result or {}).get("claims") or {}).get("attributes") or {}
    return jsonify(compare(body, attributes))
