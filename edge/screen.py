"""The narrow interface through which a screen package (``kiosk_ui``) plugs into the service.

The app factory imports the screen named in the configuration (``screen``,
``"module:function"``; default ``"kiosk_ui:init_app"``, ``""`` for none) and
calls that function with the app and a ``ScreenHost``. The screen reaches the
service only through the host: it never imports ``edge``, and ``edge``
never imports it. Errors the screen raises are werkzeug's HTTP exceptions,
which the API's handler answers in its own JSON shape.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable
from typing import Any

from flask import Flask

from edge.api.auth import KIOSK_COOKIE, AddressSet, kiosk_token, require_kiosk
from edge.config import RelyingParty
from edge.profiles import get_profile

log = logging.getLogger("cccd_edge.app")

LOOPBACK = ("127.0.0.1", "::1")
OPERATOR_PAGES = "cccd_edge.operator_pages"  # app.extensions key: endpoints behind the operator key


class ScreenHost:
    """What a screen may ask of the service; nothing else is offered."""

    kiosk_cookie = KIOSK_COOKIE

    def __init__(self, app: Flask, service: Any):
        self._app = app
        self._service = service

    # --- who is asking -------------------------------------------------------------------------
    def require_kiosk(self) -> None:
        """Raise a 401 unless the request carries the kiosk token."""
        require_kiosk()

    def kiosk_token(self) -> str:
        return kiosk_token(self._app)

    def protect_operator_page(self, endpoint: str) -> None:
        """With an operator key configured, ``endpoint`` asks for it (HTTP Basic, any user)."""
        self._app.extensions.setdefault(OPERATOR_PAGES, set()).add(endpoint)

    # --- verifications -------------------------------------------------------------------------
    def start_walk_up(self, party_id: str, profile_name: str, *, face_required: bool) -> Any:
        """A verification for the kiosk's own relying party (no API key can act as it); the
        person types the access key on the screen."""
        profile = get_profile(profile_name)
        party = RelyingParty(party_id, profile.name, ())  # no key digests: accepts no API key
        return self._service.start(
            party,
            access_key=None,
            ask_on_kiosk=True,
            face_required=face_required,
            nonce=None,
            record=None,
        )

    def session(self, session_id: str) -> Any | None:
        return self._service.sessions.get(session_id)

    def profile_attributes(self, profile_name: str) -> tuple[str, ...]:
        return tuple(get_profile(profile_name).attributes)

    def clock(self) -> float:
        return float(self._service.clock())

    def liveness_settings(self) -> dict[str, Any]:
        config = self._service.config
        return {
            "liveness": bool(config.liveness),
            "steps": int(config.liveness_steps),
            "window": float(config.liveness_window),
        }

    def frame_hint(self, jpeg: bytes, max_side: int = 960) -> dict[str, Any]:
        """Camera guidance for one frame: ``{"ok": bool, "hint": code or None}``; not kept."""
        from edge.face.detect import analyse_frame
        from edge.face.errors import FaceError
        from edge.face.image import decode_image

        try:
            analysis = analyse_frame(self._service.face_models(), decode_image(jpeg, max_side).rgb)
        except FaceError as exc:
            return {"ok": False, "hint": exc.code}
        hint = analysis.reasons[0].code if analysis.reasons else None
        return {"ok": analysis.passed, "hint": hint}


def register_screen(app: Flask, service: Any, target: str, kiosk_addresses: Iterable[str]) -> bool:
    """Import and register the configured screen; False when none is configured or installed."""
    if not target:
        return False
    module_name, _, function_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        log.warning("screen not installed", extra={"code": module_name})
        return False
    init = getattr(module, function_name or "init_app", None)
    if not callable(init):
        log.warning("screen has no registration function", extra={"code": target})
        return False
    # Who may receive the kiosk token: loopback, plus the configured kiosk clients (behind
    # Docker the kiosk's browser arrives from the bridge's gateway, not 127.0.0.1).
    init(
        app,
        ScreenHost(app, service),
        allowed_addresses=AddressSet(LOOPBACK + tuple(kiosk_addresses)),
    )
    return True
