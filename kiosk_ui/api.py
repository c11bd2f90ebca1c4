"""Kiosk-screen-only endpoints under ``/kiosk/api`` (the ``cccd_kiosk`` token, never an API key).

What the screen needs beyond ``/v1``: start a walk-up verification for the
kiosk's own local relying party, see its outcome as a plain reason, cancel
it, show the chip photo (once, to this screen only) and get camera guidance
on a single frame. Nothing here is ever given to a relying party, and no
frame or photo is kept.
"""

from __future__ import annotations

import io

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import BadRequest as InvalidRequest
from werkzeug.exceptions import Conflict, NotFound, UnsupportedMediaType

from kiosk_ui.host import host, require_kiosk
from kiosk_ui.insurance_view import insurance_for_screen
from kiosk_ui.reasons import kiosk_view

bp = Blueprint("kiosk_api", __name__, url_prefix="/kiosk/api")

WALK_UP_PARTY = "kiosk-screen"  # the kiosk's own relying party: no API key can act as it
MAX_FRAME = 2 * 1024 * 1024


def _options() -> dict:
    return current_app.config["KIOSK_UI"]


def _session(session_id: str):
    require_kiosk()
    session = host().session(session_id)
    if session is None:
        raise NotFound()
    return session


def _view(session, now: float | None = None) -> dict:
    return kiosk_view(session, now=now, attributes=host().profile_attributes(session.profile))


@bp.post("/sessions")
def start_walk_up():
    """A person walked up and touched Start: a verification for the kiosk's own relying party."""
    require_kiosk()
    profile_name = _options().get("walk_up_profile") or ""
    if not profile_name:
        raise Conflict("This kiosk only serves verifications started at a service desk.")
    session = host().start_walk_up(
        WALK_UP_PARTY, profile_name, face_required=bool(_options().get("walk_up_face", True))
    )
    resp = jsonify(_view(session))
    resp.status_code = 202
    return resp


@bp.get("/sessions/<session_id>")
def get_session(session_id: str):
    session = _session(session_id)
    view = _view(session, now=host().clock())
    view["insurance"] = insurance_for_screen(session)  # the BHYT panel (insurance_panel.js)
    return jsonify(view)


@bp.post("/sessions/<session_id>/cancel")
def cancel(session_id: str):
    """The person pressed Cancel (or walked away): end the session so the reader is free again."""
    session = _session(session_id)
    session.fail(
        "cancelled", "The verification was cancelled at the kiosk."
    )  # also drops the chip photo
    return jsonify(_view(session))


@bp.get("/sessions/<session_id>/chip-photo")
def chip_photo(session_id: str):
    """The DG2 portrait, as JPEG, handed to the kiosk screen once and then dropped from memory."""
    session = _session(session_id)
    photo, session.kiosk_photo = getattr(session, "kiosk_photo", None), None
    if not photo:
        raise NotFound("The chip photo is not available (already shown, or not read).")
    try:
        from PIL import Image

        with Image.open(io.BytesIO(photo)) as im:  # the chip may hold JPEG 2000: browsers need JPEG
            out = io.BytesIO()
            im.convert("RGB").save(out, "JPEG", quality=90)
    except Exception:
        raise Conflict("The chip photo could not be decoded.") from None
    finally:
        del photo
    return Response(
        out.getvalue(),
        mimetype="image/jpeg",
        headers={"Cache-Control": "no-store", "Content-Disposition": "inline"},
    )


@bp.post("/sessions/<session_id>/face-check")
def face_check(session_id: str):
    """Guidance for one camera frame (move closer, hold still ...); the frame is not kept."""
    session = _session(session_id)
    if session.state.value != "face_capture":
        raise Conflict("This verification is not taking pictures of the face now.")
    if request.mimetype != "image/jpeg":
        raise UnsupportedMediaType("Send one frame as image/jpeg.")
    data = request.get_data(cache=False)
    if not data.startswith(b"\xff\xd8") or len(data) > MAX_FRAME:
        raise InvalidRequest("The frame must be one JPEG image of at most 2 MB.")
    # During the head-turn challenge a turned face is what is asked for: it is not a bad frame.
    turning = getattr(session, "liveness", None) is not None
    try:
        return jsonify(host().frame_hint(data, 960, turning=turning))
    finally:
        del data
