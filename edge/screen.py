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

from edge.api.auth import KIOSK_COOKIE, AddressSet, kiosk_token, require_kiosk, require_operator
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

    def frame_hint(
        self, jpeg: bytes, max_side: int = 960, *, turning: bool = False
    ) -> dict[str, Any]:
        """Camera guidance for one frame, not kept: ``{"ok", "hint": code or None, "yaw"}`` and
        the turn limits. ``turning``: during the head-turn challenge a turned face is what is
        asked for, not a bad frame. The yaw lets the screen move to the next prompt as soon as
        a turn is seen; the service still decides the challenge on the timed frames."""
        from edge.face.detect import analyse_frame
        from edge.face.errors import FaceError
        from edge.face.image import decode_image
        from edge.face.liveness import FRONTAL_DELTA, TURN_DELTA

        limits = {"turn_delta": TURN_DELTA, "frontal_delta": FRONTAL_DELTA}
        try:
            analysis = analyse_frame(
                self._service.face_models(),
                decode_image(jpeg, max_side).rgb,
                need_frontal=not turning,
            )
        except FaceError as exc:
            return {"ok": False, "hint": exc.code, "yaw": None, **limits}
        hint = analysis.reasons[0].code if analysis.reasons else None
        yaw = round(analysis.face.pose.yaw, 3) if analysis.face is not None else None
        return {"ok": analysis.passed, "hint": hint, "yaw": yaw, **limits}

    # --- what the screen says ----------------------------------------------------------------
    def display_name(self, rp_id: str) -> str:
        """The relying party's ``display_name`` from the configuration (its id when it has none)."""
        party = next((p for p in self._service.config.relying_parties if p.id == rp_id), None)
        return (getattr(party, "display_name", "") or rp_id) if party else rp_id

    # --- operators' statistics -----------------------------------------------------------------
    def require_operator(self) -> None:
        """Raise 401/403 unless the operator key (or, without one, a loopback client) is given."""
        require_operator()

    def audit_view(self) -> AuditView:
        return AuditView(self._service.audit)

    # --- demo mode (reader = "simulator") ----------------------------------------------------
    def demo_mode(self) -> bool:
        return bool(self._service.config.reader == "simulator")

    def demo_can(self) -> str | None:
        """The virtual card's CAN (the card is synthetic), shown on the demo keypad."""
        if not self.demo_mode():
            return None
        from edge.demo import demo_dataset  # demo mode only

        return str(demo_dataset(self._service.config.simulator_citizen).can)

    def take_demo_photo(self, jpeg: bytes) -> str | None:
        """The person's photo becomes the next demo card's chip photo, if the matcher finds a
        face in it as the chip will carry it. None when taken, else ``not_an_image`` or
        ``demo_no_face``. Held in memory only (``edge.demo.DemoPhoto``)."""
        from edge.demo import portrait_of  # demo mode only
        from edge.face.errors import FaceError
        from edge.face.matcher import reference_from_photo

        store = self._service.demo_photo()
        portrait = portrait_of(jpeg)
        if portrait is None:
            return "not_an_image"
        try:
            # The same check the verification will make on the chip photo it becomes.
            reference_from_photo(self._service.face_models(), portrait)
        except FaceError:
            store.clear()
            return "demo_no_face"
        store.set(jpeg)
        return None

    def forget_demo_photo(self) -> None:
        store = self._service.demo_photo()
        if store is not None:
            store.clear()


class AuditView:
    """Read-only access to the audit log for the statistics page (no personal data is in it)."""

    def __init__(self, audit: Any):
        self._audit = audit

    def columns(self) -> set[str]:
        return set(self._audit.columns())

    def select(self, columns: list[str], since_at: str) -> list[dict[str, Any]]:
        """Rows recorded at or after ``since_at`` (ISO UTC), only ``columns``, each with its
        ``first_cause`` (``edge.causes``: the same rule as the fleet's statistics)."""
        from edge.causes import first_cause

        rows = list(self._audit.select(columns, since_at))
        for row in rows:
            row["first_cause"] = first_cause(row)
        return rows


def register_screen(
    app: Flask,
    service: Any,
    target: str,
    kiosk_addresses: Iterable[str],
    *,
    walk_up_profile: str | None = None,
) -> bool:
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
        **({} if walk_up_profile is None else {"walk_up_profile": walk_up_profile}),
    )
    return True
