"""The service, as the kiosk screen sees it: the host object the app factory registered us with.

``edge`` passes a host (``edge.screen.ScreenHost``) to ``init_app``; the
screen asks it for everything it needs (the kiosk check, sessions, the
walk-up start, camera guidance) and imports nothing from ``edge``.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

HOST_KEY = "kiosk_ui.host"


def host() -> Any:
    return current_app.extensions[HOST_KEY]


def require_kiosk() -> None:
    host().require_kiosk()


def kiosk_token() -> str:
    return host().kiosk_token()
