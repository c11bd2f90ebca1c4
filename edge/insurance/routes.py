"""``GET /v1/verifications/{id}/insurance-correction`` (JSON) and ``…/insurance-correction.html``.

Reachable by whoever may read the result itself (its relying party, or the kiosk screen that
ran it) for as long as the result lives: the request is built from the held result on each
call and never stored.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from edge.api.errors import Conflict
from edge.api.verifications import _session
from edge.insurance.correction import correction_html, signed_correction

bp = Blueprint("insurance", __name__, url_prefix="/v1")


def _signed(session_id: str) -> dict:
    session = _session(session_id, kiosk_ok=True)
    claims = (session.result or {}).get("claims") or {}
    insurance = claims.get("insurance") or {}
    if insurance.get("status") != "record_mismatch":
        raise Conflict("This verification has no insurance record mismatch to correct.")
    service = current_app.extensions["cccd_edge"]
    return signed_correction(claims, service.key, now=service.clock())


def _html(signed: dict) -> Response:
    resp = Response(correction_html(signed), mimetype="text/html")
    # Its own inline styles and nothing else; framed only by this service (the kiosk prints it).
    resp.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
    )
    return resp


@bp.get("/verifications/<session_id>/insurance-correction")
def insurance_correction(session_id: str) -> Response:
    signed = _signed(session_id)
    # A browser (Accept: text/html first) gets the page; an API client, the signed JSON.
    if request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html":
        return _html(signed)
    return jsonify(signed)


@bp.get("/verifications/<session_id>/insurance-correction.html")
def insurance_correction_html(session_id: str) -> Response:
    return _html(_signed(session_id))
