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

from edge.api.auth import require_kiosk
from edge.api.errors import Conflict, InvalidRequest, NotFound, UnsupportedMediaType
from edge.config import RelyingParty
from edge.profiles import get_profile
from kiosk_ui.reasons import kiosk_view

bp = Blueprint("kiosk_api", __name__, url_prefix="/kiosk/api")

WALK_UP_PARTY = "kiosk-screen"  # the kiosk's own relying party: no API key can act as it
MAX_FRAME = 2 * 1024 * 1024


def _service():
    return current_app.extensions["cccd_edge"]


def _options() -> dict:
    return current_app.config["KIOSK_UI"]


def _session(session_id: str):
    require_kiosk()
    session = _service().sessions.get(session_id)
    if session is None:
        raise NotFound()
    return session


@bp.post("/sessions")
def start_walk_up():
    """A person walked up and touched Start: a verification for the kiosk's own relying party."""
    require_kiosk()
    profile_name = _options().get("walk_up_profile") or ""
    if not profile_name:
        raise Conflict("This kiosk only serves verifications started at a service desk.")
    profile = get_profile(profile_name)
    party = RelyingParty(WALK_UP_PARTY, profile.name, ())  # no key digests: accepts no API key
    session = _service().start(
        party,
        access_key=None,
        ask_on_kiosk=True,
        face_required=bool(_options().get("walk_up_face", True)),
        nonce=None,
        record=None,
    )
    resp = jsonify(kiosk_view(session))
    resp.status_code = 202
    return resp


@bp.get("/sessions/<session_id>")
def get_session(session_id: str):
    return jsonify(kiosk_view(_session(session_id), now=_service().clock()))


@bp.post("/sessions/<session_id>/cancel")
def cancel(session_id: str):
    """The person pressed Cancel (or walked away): end the session so the reader is free again."""
    session = _session(session_id)
    session.fail(
        "cancelled", "The verification was cancelled at the kiosk."
    )  # also drops the chip photo
    return jsonify(kiosk_view(session))


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
    from edge.face.detect import analyse_frame
    from edge.face.errors import FaceError
    from edge.face.image import decode_image

    # During the head-turn challenge a turned face is what is asked for: it is not a bad frame.
    turning = getattr(session, "liveness", None) is not None
    try:
        analysis = analyse_frame(
            _service().face_models(), decode_image(data, 960).rgb, need_frontal=not turning
        )
    except FaceError as exc:
        return jsonify({"ok": False, "hint": exc.code, "yaw": None})
    finally:
        del data
    hint = analysis.reasons[0].code if analysis.reasons else None
    # The head's yaw lets the screen move to the next prompt as soon as a turn is seen; the
    # service still decides the challenge on the timestamped frames themselves.
    yaw = round(analysis.face.pose.yaw, 3) if analysis.face is not None else None
    return jsonify({"ok": analysis.passed, "hint": hint, "yaw": yaw, **_turn_limits()})


def _turn_limits() -> dict:
    from edge.face.liveness import FRONTAL_DELTA, TURN_DELTA

    return {"turn_delta": TURN_DELTA, "frontal_delta": FRONTAL_DELTA}
