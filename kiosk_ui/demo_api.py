"""Demo mode's "take my photo first": the person's own photo becomes the demo card's chip photo.

Only when the service reads the virtual CCCD (``reader = "simulator"``). The
photo is checked for a face, then held in memory by the service (``edge.demo``) until the
kiosk screen resets (``DELETE``) or a few minutes pass; it is never written.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import BadRequest as InvalidRequest
from werkzeug.exceptions import NotFound, UnsupportedMediaType

from kiosk_ui.host import host, require_kiosk

bp = Blueprint("kiosk_demo_api", __name__, url_prefix="/kiosk/api/demo")

MAX_PHOTO = 2 * 1024 * 1024


@bp.post("/photo")
def take_photo() -> Response:
    require_kiosk()
    if not host().demo_mode():
        raise NotFound("This kiosk reads real cards: there is no demo card.")
    if request.mimetype != "image/jpeg":
        raise UnsupportedMediaType("Send the photo as image/jpeg.")
    data = request.get_data(cache=False)
    if not data.startswith(b"\xff\xd8") or len(data) > MAX_PHOTO:
        raise InvalidRequest("The photo must be one JPEG image of at most 2 MB.")
    try:
        problem = host().take_demo_photo(data)
    finally:
        del data
    if problem == "not_an_image":
        raise InvalidRequest("The photo could not be read as an image.")
    if problem is not None:
        resp = jsonify({"ok": False, "reason": problem})
        resp.status_code = 422
        return resp
    return jsonify({"ok": True})


@bp.delete("/photo")
def forget_photo() -> Response:
    require_kiosk()
    if host().demo_mode():
        host().forget_demo_photo()
    return Response(status=204)
