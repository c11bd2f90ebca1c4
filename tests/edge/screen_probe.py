"""A minimal screen for tests/edge/test_layers.py: it registers through the host object alone."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from werkzeug.exceptions import Conflict

bp = Blueprint("probe", __name__, url_prefix="/probe")


def register(app: Flask, host: Any, **options: Any) -> None:
    app.extensions["screen_probe.host"] = host
    app.extensions["screen_probe.options"] = options
    host.protect_operator_page("probe.operators")
    app.register_blueprint(bp)


def _host() -> Any:
    return current_app.extensions["screen_probe.host"]


@bp.post("/walk-up")
def walk_up():
    host = _host()
    host.require_kiosk()
    session = host.start_walk_up("probe-screen", "hospital", face_required=False)
    try:
        return jsonify(
            {
                "state": session.state.value,
                "attributes": list(host.profile_attributes(session.profile)),
            }
        )
    finally:
        session.fail("cancelled", "The probe does not read cards.")


@bp.get("/conflict")
def conflict():
    raise Conflict("Not now.")


@bp.get("/operators")
def operators():
    return jsonify({"ok": True})
