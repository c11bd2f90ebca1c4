"""The kiosk screen (``/`` and ``/kiosk``) and the operators' statistics page (``/stats``).

``init_app(app, host, **options)`` registers both blueprints; the factory
``edge.app.create_app`` calls it (it is the configured ``screen``) with a host
object, the service's narrow interface (``edge.screen.ScreenHost``): this
package imports nothing from ``edge``. Options (also read from
``app.config["KIOSK_UI"]`` at each request, so a test or operator can change
them after start):

- ``reset_seconds``: the result screen clears itself after this long (20);
- ``idle_seconds``: an unfinished entry is abandoned after this long (60);
- ``walk_up_profile``: profile for verifications a person starts with the
  Start button (``"airport"``: face match); ``""`` = only desk-started ones;
- ``walk_up_face``: walk-up verifications include the face match (True);
- ``frames_per_batch``: good camera frames sent to the face endpoint at once (3);
- ``allowed_addresses``: clients that receive the kiosk token cookie (loopback):
  the kiosk browser runs on the kiosk itself.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

DEFAULTS = {
    "reset_seconds": 20,
    "idle_seconds": 60,
    "walk_up_profile": "airport",
    "walk_up_face": True,
    "frames_per_batch": 3,
    "allowed_addresses": ("127.0.0.1", "::1"),
}


def init_app(app: Flask, host: Any, **options: Any) -> None:
    from kiosk_ui import api, demo_api, qr_check, views
    from kiosk_ui.host import HOST_KEY

    app.extensions[HOST_KEY] = host
    host.protect_operator_page("kiosk_ui.stats")  # the statistics page is the operators'
    app.config["KIOSK_UI"] = {**DEFAULTS, **app.config.get("KIOSK_UI", {}), **options}
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(demo_api.bp)
    app.register_blueprint(qr_check.bp)
