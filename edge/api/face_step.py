"""The face step of a card verification: the person at the kiosk against the chip photo.

Identity (``match_frames``) and, with ``liveness`` on, the head-turn
challenge (``evaluate``). What ``edge.face`` returns is turned into the
report's typed ``FaceReport`` and ``LivenessReport`` here; the verdict rule
(match AND liveness passed) is in ``edge.api.results``.
"""

from __future__ import annotations

import time
from typing import Any

from edge.face_report import FaceReport, LivenessReport
from edge.sessions import MAX_BUFFERED_FRAMES, SessionEnded, State, VerificationSession

FACE_ROUNDS = 5  # batches of frames tried before a face match is called undetermined
# Seconds after the challenge's deadline to wait for frames still on their way from the kiosk.
LIVENESS_GRACE = 3.0

FaceOutcome = tuple[FaceReport, LivenessReport | None]

# Face reasons a person is told about (kiosk_ui maps them to plain words).
CARD_NOT_VERIFIED = "card_not_verified"  # the card failed: no camera, no challenge
CHIP_PHOTO_UNUSABLE = "chip_photo_unusable"  # the chip's own photo holds no usable face
SKIPPED = (CARD_NOT_VERIFIED, CHIP_PHOTO_UNUSABLE)


def card_failed(report: Any) -> bool:
    """True when the card itself is not verified: its data or its chip failed a check."""
    from edge.api.results import status_of

    verification = report.verification
    pa = status_of(verification.passive_authentication).value
    chip = status_of(verification.chip_authenticity).value
    return pa != "valid" or chip == "invalid"


def run_face_stage(service: Any, session: VerificationSession, report: Any) -> FaceOutcome:
    """The face stage of a card verification, kept apart from the card's own verdict.

    The card's result is decided before the camera opens and is never changed here: a card
    that already failed skips the face step (``card_not_verified``); a chip photo without a
    usable face gives the face verdict ``chip_photo_unusable``; a camera without a face or a
    failed challenge gives the face verdict its own reason. Never raises for a face problem.
    """
    from edge.face.errors import FaceError

    liveness = bool(service.config.liveness)
    if card_failed(report):
        face, live = _skipped(liveness, CARD_NOT_VERIFIED)
        session.emit("step", step="face_skipped", reason=CARD_NOT_VERIFIED)
    else:
        try:
            face, live = run_face_step(service, session, report.photo_bytes())
        except FaceError as exc:
            if exc.code == "models_unavailable":
                raise
            # Raised before the camera opens: the chip photo has no face the matcher can use.
            face, live = _skipped(liveness, CHIP_PHOTO_UNUSABLE)
            session.emit("step", step="face_skipped", reason=CHIP_PHOTO_UNUSABLE)
    session.face_outcome = {
        "decision": face.decision,
        "reasons": list(face.reason_codes)[:4],
        "skipped": any(code in SKIPPED for code in face.reason_codes),
        "liveness": live.verdict if live is not None else None,
    }
    return face, live


def _skipped(liveness: bool, reason: str) -> FaceOutcome:
    return FaceReport.undetermined(reason), (
        LivenessReport.not_performed(reason) if liveness else None
    )


def run_face_step(service: Any, session: VerificationSession, photo: bytes | None) -> FaceOutcome:
    """The face decision for ``session``; ``photo`` is the chip's (DG2) image, if any."""
    from edge.face import reference_from_photo

    config = service.config
    if not photo:
        session.move(State.FACE_CAPTURE)
        live = LivenessReport.not_performed("no_chip_photo") if config.liveness else None
        return FaceReport.undetermined("no_chip_photo"), live
    models = service.face_models()
    reference = reference_from_photo(models, photo)
    if config.liveness:
        return _with_liveness(service, session, models, reference)
    return _match_only(service, session, models, reference), None


def _threshold(config: Any) -> float | None:
    """The configured threshold; None: the calibrated one of the model in use."""
    return float(config.face_threshold) if config.face_threshold else None


def _match_only(
    service: Any, session: VerificationSession, models: Any, reference: Any
) -> FaceReport:
    from edge.face import match_frames

    session.move(State.FACE_CAPTURE)
    deadline = time.monotonic() + service.config.face_timeout
    last = FaceReport.undetermined("no_frames")
    for _ in range(FACE_ROUNDS):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        session.emit("step", step="waiting_for_face")
        frames = session.take_frames(remaining)
        if not frames:
            break
        match = match_frames(models, reference, frames, threshold=_threshold(service.config))
        frames.clear()
        last = FaceReport.from_result(match)
        session.emit("step", step="face_match", decision=last.decision)
        if last.decision in ("match", "no_match"):
            break
    return last


def _with_liveness(
    service: Any, session: VerificationSession, models: Any, reference: Any
) -> FaceOutcome:
    """One challenge per verification: prompts out, timestamped frames in, then one decision."""
    from edge.face import match_frames
    from edge.face.liveness import LivenessChallenge, evaluate, known_frames

    config = service.config
    now = service.clock()
    challenge = LivenessChallenge.new(
        service.rng, now=now, n_steps=config.liveness_steps, window_s=config.liveness_window
    )
    # Issued before the state changes, so whoever sees face_capture also sees the prompts.
    session.start_liveness(challenge.to_dict())
    session.move(State.FACE_CAPTURE)
    session.emit(
        "step", step="liveness_challenge", steps=list(challenge.steps), deadline=challenge.deadline
    )
    session.emit("step", step="waiting_for_face")
    # Wait for the client's last frame, or the deadline (plus frames still in flight), never
    # longer than face_timeout. Time in the service clock, waited for on the monotonic one.
    wait = min(max(challenge.deadline - now, 0.0) + LIVENESS_GRACE, config.face_timeout)
    timed = session.take_challenge_frames(wait)
    if session.state.final:
        raise SessionEnded(session.id)
    if not timed:
        live = LivenessReport.not_performed("no_frames", challenge.steps)
        session.liveness_verdict = live.to_dict()
        session.emit("step", step="face_match", decision="undetermined", liveness="not_performed")
        return FaceReport.undetermined("no_frames"), live
    threshold = _threshold(config)
    # Identity on the frames of the challenge window only (at most MAX_BUFFERED_FRAMES, spread
    # over the window: each frame costs ~0.15 s, and evaluate analyses them all again).
    inside = spread(
        [frame for ts, frame in sorted(timed, key=lambda item: item[0]) if challenge.accepts(ts)],
        MAX_BUFFERED_FRAMES,
    )
    known = {}
    if inside:
        match = match_frames(models, reference, inside, threshold=threshold)
        known = known_frames(inside, match)  # liveness reuses the matcher's per-frame work
        face = FaceReport.from_result(match)
    else:
        face = FaceReport.undetermined("no_frames_in_window")
    frames: list[tuple[float, object]] = list(timed)
    result = evaluate(challenge, frames, reference, models=models, known=known, threshold=threshold)
    frames.clear()
    timed.clear()
    inside.clear()
    live = LivenessReport.from_result(result, challenge)
    session.liveness_verdict = live.to_dict()
    session.emit("step", step="face_match", decision=face.decision, liveness=live.verdict)
    return face, live


def spread(items: list, n: int) -> list:
    """At most ``n`` items, evenly spaced, first and last kept."""
    if len(items) <= n:
        return items
    return [items[round(i * (len(items) - 1) / (n - 1))] for i in range(n)]


def liveness_verdict(result: Any, not_performed: str | None = None) -> dict:
    """``passed | failed | not_performed`` and the stable reason codes (no frames, no distances)."""
    if result is None:
        return LivenessReport.not_performed(not_performed).to_dict()
    return LivenessReport.from_result(result).to_dict()
