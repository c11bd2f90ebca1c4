"""The two pages: the kiosk screen and the statistics page, from one base template."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from werkzeug.exceptions import BadRequest as InvalidRequest

from kiosk_ui.host import host, kiosk_token
from kiosk_ui.reasons import STATS_NOT_REASONS, STATS_PREFIX_KEYS, STATS_REASON_KEYS
from kiosk_ui.strings import DEFAULT_LANGUAGE, LANGUAGES, STRINGS, text

bp = Blueprint(
    "kiosk_ui",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/kiosk/static",
)

# The progress bar's named steps, in order, and the service events that advance each.
STEPS = (
    ("connect", ("connect",)),
    ("access_control", ("access_control",)),
    ("read_files", ("read_files",)),
    ("chip_authentication", ("chip_authentication", "active_authentication")),
    ("verifying", ("verifying", "passive_authentication")),
    ("face", ("face_capture", "liveness_challenge", "waiting_for_face", "face_match")),
)


def liveness_pictures(steps: int, window_s: float) -> int:
    """At most how many pictures the camera takes during a challenge (camera.js: one picture
    every 0.3 s until every turn was seen, at most for the whole window; ``steps`` does not
    change the bound since the prompts move on as soon as each turn is seen)."""
    return round(max(window_s, 1.0) / 0.3)


def _lang() -> str:
    lang = request.args.get("lang", DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


@bp.app_context_processor
def _i18n():
    lang = _lang() if request else DEFAULT_LANGUAGE
    return {"t": lambda key, **values: text(key, lang, **values), "lang": lang}


@bp.get("/")
@bp.get("/kiosk")
def kiosk():
    options = current_app.config["KIOSK_UI"]
    if request.remote_addr not in options["allowed_addresses"]:
        # The page carries the kiosk token: only the kiosk's own browser may have it.
        abort(403)
    live = host().liveness_settings()
    demo = host().demo_mode()
    settings = {
        "reset_seconds": options["reset_seconds"],
        "idle_seconds": options["idle_seconds"],
        "walk_up": bool(options["walk_up_profile"]),
        "frames_per_batch": options["frames_per_batch"],
        "liveness": live["liveness"],
        "demo": demo,  # offers "take my photo first" (kiosk_ui.demo_api)
        # Demo mode only: the virtual card's CAN, shown on the keypad (the card is synthetic).
        "demo_can": host().demo_can() if demo else None,
        "liveness_pictures": liveness_pictures(live["steps"], live["window"]),
        "steps": [{"name": name, "events": list(events)} for name, events in STEPS],
    }
    resp = current_app.make_response(
        render_template(
            "kiosk_ui/kiosk.html", strings=STRINGS, settings=settings, steps=[s for s, _ in STEPS]
        )
    )
    resp.set_cookie(host().kiosk_cookie, kiosk_token(), httponly=True, samesite="Strict", path="/")
    resp.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' blob:; media-src 'self' blob:; style-src 'self'; "
        "script-src 'self'; connect-src 'self'; frame-ancestors 'none'"
    )
    return resp


@bp.get("/stats")
def stats():
    reasons = {
        "codes": STATS_REASON_KEYS,
        "prefixes": STATS_PREFIX_KEYS,
        "hidden": list(STATS_NOT_REASONS),
    }
    resp = current_app.make_response(
        render_template("kiosk_ui/stats.html", strings=STRINGS, reasons=reasons)
    )
    resp.headers["Content-Security-Policy"] = (
        "default-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'; "
        "frame-ancestors 'none'"
    )
    return resp


@bp.get("/stats/data")
def stats_data():
    """The statistics page's tables (kiosk_ui.stats_summary): one outcome per verification."""
    from kiosk_ui.stats_summary import PERIODS, summarise

    host().require_operator()
    period = request.args.get("period", "30")
    if period not in PERIODS:
        raise InvalidRequest("period must be today, 7 or 30.")
    try:
        tz = int(request.args.get("tz", "0"))
    except ValueError:
        raise InvalidRequest("tz must be whole minutes east of UTC.") from None
    if not -840 <= tz <= 840:
        raise InvalidRequest("tz must be between -840 and 840 minutes.")
    return jsonify(summarise(host().audit_view(), period, tz_minutes=tz, now=host().clock()))
