"""Who is calling: a relying party (API key) or the kiosk screen (kiosk token).

API keys come in ``Authorization: Bearer <key>`` or ``X-API-Key``; the key
implies the relying party and so the profile. The kiosk screen, served by
this app, proves itself with a random per-start token, sent as the
``cccd_kiosk`` cookie (so ``EventSource`` works) or ``X-Kiosk-Token``.
"""
from __future__ import annotations

import hmac

from flask import current_app, request

from edge.api.errors import Unauthorized
from edge.config import RelyingParty

KIOSK_COOKIE = "cccd_kiosk"


def _service():
    return current_app.extensions["cccd_edge"]


def api_key_from_request() -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer " and auth[7:].strip():
        return auth[7:].strip()
    key = request.headers.get("X-API-Key", "").strip()
    return key or None


def relying_party(optional: bool = False) -> RelyingParty | None:
    key = api_key_from_request()
    rp = _service().config.relying_party_for_key(key) if key else None
    if rp is None and not optional:
        raise Unauthorized(headers={"WWW-Authenticate": 'Bearer realm="cccd-edge"'})
    return rp


def kiosk_token(app=None) -> str:
    """The token the kiosk screen must present; kiosk_ui sets it as the ``cccd_kiosk`` cookie."""
    app = app or current_app
    return app.extensions["cccd_edge"].kiosk_token


def is_kiosk() -> bool:
    given = request.headers.get("X-Kiosk-Token") or request.cookies.get(KIOSK_COOKIE) or ""
    return bool(given) and hmac.compare_digest(given, _service().kiosk_token)


def require_kiosk() -> None:
    if not is_kiosk():
        raise Unauthorized("This endpoint is for the kiosk screen only.")
