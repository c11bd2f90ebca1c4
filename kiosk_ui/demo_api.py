"""Demo mode's "take my photo first": the person's own photo becomes the demo card's chip photo.

Only when the service reads the virtual CCCD (``reader = "simulator"``). The
photo is checked for a face, then held in memory by ``edge.demo_card`` until the
kiosk screen resets (``DELETE``) or a few minutes pass; it is never written.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from edge.api.auth import require_kiosk
from edge.api.errors import InvalidRequest, NotFound, UnsupportedMediaType

bp = Blueprint("kiosk_demo_api", __name__, url_prefix="/kiosk/api/demo")

MAX_PHOTO = 2 * 1024 * 1024


def demo_mode() -> bool:
    return current_app.extensions["cccd_edge"].config.reader == "simulator"


def _store():
    from edge.demo_card import demo_photo_store  # demo mode only: imports the card side

    if not demo_mode():
        raise NotFound("This kiosk reads real cards: there is no demo card.")
    return demo_photo_store(current_app.extensions["cccd_edge"])


@bp.post("/photo")
def take_photo() -> Response:
    require_kiosk()
    store = _store()
    if request.mimetype != "image/jpeg":
        raise UnsupportedMediaType("Send the photo as image/jpeg.")
    data = request.get_data(cache=False)
    if not data.startswith(b"\xff\xd8") or len(data) > MAX_PHOTO:
        raise InvalidRequest("The photo must be one JPEG image of at most 2 MB.")
    from edge.face.errors import FaceError
    from edge.face.matcher import reference_from_photo
    from simulators.portrait import PortraitError, portrait_from_photo

    try:
        portrait = portrait_from_photo(data)
    except PortraitError:
        del data
        raise InvalidRequest("The photo could not be read as an image.") from None
    try:
        # The same check the verification will make on the chip photo it becomes.
        reference_from_photo(current_app.extensions["cccd_edge"].face_models(), portrait)
    except FaceError:
        del data
        store.clear()
        resp = jsonify({"ok": False, "reason": "demo_no_face"})
        resp.status_code = 422
        return resp
    store.set(data)
    return jsonify({"ok": True})


@bp.delete("/photo")
def forget_photo() -> Response:
    require_kiosk()
    if demo_mode():
        _store().clear()
    return Response(status=204)
