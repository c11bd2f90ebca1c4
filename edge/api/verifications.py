"""``/v1/verifications``: start a card verification, follow it, feed it live frames."""

from __future__ import annotations

import json
import math
import threading
import time

from flask import Blueprint, Response, current_app, jsonify, request, stream_with_context, url_for

from edge.api.auth import is_kiosk, relying_party, require_kiosk
from edge.api.errors import (
    Busy,
    Conflict,
    InvalidRequest,
    MalformedJson,
    NotFound,
    UnsupportedMediaType,
)
from edge.api.service import decode_access_key
from edge.api.validation import check_one_access_key, validate_body
from edge.profiles import get_profile
from edge.sessions import State, VerificationSession

bp = Blueprint("verifications", __name__, url_prefix="/v1")

SSE_HEARTBEAT = 15.0
MAX_LONG_POLL = 30.0
WAITER_RETRY_AFTER = 5


def _hold_waiter():
    """Take one of the service's long-wait slots or answer 429; returns the release function."""
    waiters = _service().waiters
    if not waiters.acquire(blocking=False):
        raise Busy(
            "Too many event streams and long polls are open; retry shortly or poll without wait.",
            headers={"Retry-After": str(WAITER_RETRY_AFTER)},
        )
    released = threading.Event()

    def release() -> None:
        if not released.is_set():  # once, whichever of close/finally comes first
            released.set()
            waiters.release()

    return release


def _service():
    return current_app.extensions["cccd_edge"]


def json_body() -> dict:
    if not request.is_json:
        raise UnsupportedMediaType("Send the request body as application/json.")
    try:
        return json.loads(request.get_data(cache=True))
    except (ValueError, RecursionError):  # bad UTF-8, bad JSON, absurd nesting
        raise MalformedJson() from None


def _links(session_id: str) -> dict:
    return {
        "self": url_for("verifications.get_verification", session_id=session_id),
        "events": url_for("verifications.events", session_id=session_id),
        "face": url_for("verifications.post_face", session_id=session_id),
    }


def _session(session_id: str, *, kiosk_ok: bool = False) -> VerificationSession:
    """The caller's own session; another relying party's looks like a missing one (no oracle)."""
    session = _service().sessions.get(session_id)
    if kiosk_ok and is_kiosk():
        if session is None:
            raise NotFound()
        return session
    rp = relying_party()
    if session is None or session.relying_party != rp.id:
        raise NotFound()
    return session


@bp.post("/verifications")
def create_verification():
    rp = relying_party()
    body = check_one_access_key(validate_body("VerificationRequest", json_body()))
    profile = get_profile(rp.profile)
    key = decode_access_key(body)
    face_required = body.get("face_match_required", profile.face_match_default)
    if body.get("record") and not profile.record_comparison:
        raise InvalidRequest(f"The {profile.name} profile does not compare records.")
    session = _service().start(
        rp,
        access_key=key,
        ask_on_kiosk=bool(body.get("ask_on_kiosk")),
        face_required=bool(face_required),
        nonce=body.get("nonce"),
        record=body.get("record"),
    )
    resp = jsonify({"id": session.id, "state": session.state.value, "links": _links(session.id)})
    resp.status_code = 202
    resp.headers["Location"] = _links(session.id)["self"]
    return resp


@bp.get("/verifications/<session_id>")
def get_verification(session_id: str):
    session = _session(session_id)
    wait = request.args.get("wait", "0")
    try:
        wait_s = float(wait)
    except ValueError:
        wait_s = math.nan
    if not math.isfinite(wait_s):
        raise InvalidRequest("wait must be a number of seconds.")
    wait_s = min(max(wait_s, 0.0), MAX_LONG_POLL)
    if wait_s and not session.state.final:
        # Long poll: return as soon as the session ends, or after ``wait`` seconds.
        release = _hold_waiter()
        try:
            deadline = time.monotonic() + wait_s
            seq = len(session.events)
            while not session.state.final and (left := deadline - time.monotonic()) > 0:
                seq = len(session.events_after(seq, left)) + seq
        finally:
            release()
    return jsonify(session.summary())


@bp.get("/verifications/<session_id>/events")
def events(session_id: str):
    session = _session(session_id, kiosk_ok=True)
    cfg = _service().config
    limit = (
        cfg.access_key_timeout + cfg.card_timeout + cfg.face_timeout + 60
    )  # a stream never outlives its session's bounds
    try:
        start = int(request.headers.get("Last-Event-ID", "0"))
    except ValueError:
        start = 0

    release = _hold_waiter()

    def stream():
        seq, deadline = start, time.monotonic() + limit
        yield "retry: 2000\n\n"
        while time.monotonic() < deadline:
            new = session.events_after(seq, SSE_HEARTBEAT)
            for event in new:
                seq = event.seq
                kind = event.data.get("step") if event.name == "step" else event.name
                yield f"id: {event.seq}\nevent: {kind}\ndata: {json.dumps(event.to_dict())}\n\n"
            if session.state.final and seq >= len(session.events):
                yield "event: end\ndata: {}\n\n"
                return
            if not new:
                yield ": keep-alive\n\n"

    resp = Response(
        stream_with_context(stream()),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
    resp.call_on_close(release)  # the slot is free when the stream ends or the client leaves
    return resp


CAPTURE_HEADER = "X-Capture-Time"


def _capture_time(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise InvalidRequest("A capture time must be a number of seconds since the epoch.")
    return value


def _frames_from_request() -> tuple[list[bytes], list[float | None]]:
    """The frames and their capture times (None where the client gave none).

    ``image/jpeg``: one frame, its time in the ``X-Capture-Time`` header. ``multipart/form-data``:
    ``frame`` files and, in the same order, one ``captured_at`` field per frame.
    """
    ctype = request.mimetype
    if ctype == "image/jpeg":
        frames = [request.get_data(cache=False)]
        header = request.headers.get(CAPTURE_HEADER)
        times: list[float | None] = [_capture_time(header) if header else None]
    elif ctype == "multipart/form-data":
        frames = [f.read() for f in request.files.getlist("frame")] or [
            f.read() for f in request.files.values()
        ]
        given = [_capture_time(v) for v in request.form.getlist("captured_at")]
        if len(given) > len(frames):
            raise InvalidRequest("More capture times than frames were sent.")
        times = given + [None] * (len(frames) - len(given))
    else:
        raise UnsupportedMediaType(
            "Send frames as image/jpeg or multipart/form-data (field 'frame')."
        )
    if not frames:
        raise InvalidRequest("No frame was sent.")
    for frame in frames:
        if not frame.startswith(b"\xff\xd8"):
            raise InvalidRequest("Every frame must be a JPEG image.")
    return frames, times


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes")


@bp.post("/verifications/<session_id>/face")
def post_face(session_id: str):
    session = _session(session_id, kiosk_ok=True)
    received = _service().clock()  # the time of frames sent without their capture time
    frames, times = _frames_from_request()
    final = _flag(request.args.get("final")) or _flag(
        request.form.get("final") if request.form else None
    )
    if not session.options.get("face_match_required"):
        raise Conflict("This verification does not include a face match.")
    if session.state.final:
        raise Conflict("This verification has already ended.")
    accepted = session.add_frames(
        frames, [received if t is None else t for t in times], final=final
    )
    if not accepted:
        raise Conflict("Enough frames are waiting; send more once these are used.")
    resp = jsonify({"id": session.id, "state": session.state.value, "accepted_frames": accepted})
    resp.status_code = 202
    return resp


# --- the kiosk screen ------------------------------------------------------------------------


@bp.get("/kiosk/current")
def kiosk_current():
    """What the kiosk screen shows: the session at the reader, which attributes it reads, what it
    needs."""
    require_kiosk()
    svc = _service()
    session = svc.sessions.get(svc.current_session_id) if svc.current_session_id else None
    if session is None:
        return jsonify({"session": None})
    profile = get_profile(session.profile)
    return jsonify(
        {
            "session": {
                "id": session.id,
                "state": session.state.value,
                "relying_party": session.relying_party,
                "profile": profile.name,
                "attributes_read": list(profile.attributes),
                "needs_access_key": bool(session.options.get("ask_on_kiosk"))
                and session.access_key is None
                and session.state is State.WAITING_FOR_CARD,
                "face_capture": session.state is State.FACE_CAPTURE,
                **({"liveness": dict(session.liveness)} if session.liveness is not None else {}),
                "links": _links(session.id),
            }
        }
    )


@bp.post("/kiosk/verifications/<session_id>/access-key")
def kiosk_access_key(session_id: str):
    require_kiosk()
    session = _service().sessions.get(session_id)
    if session is None:
        raise NotFound()
    body = validate_body("AccessKey", json_body())
    if not session.options.get("ask_on_kiosk") or session.state is not State.WAITING_FOR_CARD:
        raise Conflict("This verification is not waiting for an access key.")
    key = decode_access_key(body)
    if key is None:
        raise InvalidRequest("Give the CAN or the MRZ data.")
    session.set_access_key(key)
    resp = jsonify({"id": session.id, "state": session.state.value})
    resp.status_code = 202
    return resp
