"""Liveness v1: an active head-turn challenge.

The kiosk asks for a random sequence of head turns (drawn from an injectable
``rng``) and sends back timestamped frames. The person passes when, inside
the challenge window, each turn is seen in the order asked, the frontal
frames match the chip photo, and the turned frames show the same person as
the frontal ones.

A turn is measured as the change of the nose-offset yaw (see ``pose.py``)
from the person's own frontal baseline, so a slightly off-axis camera or an
asymmetric face does not count as a turn. A flat picture (a print, a still
on a phone) keeps its nose offset however it is tilted or turned, since an
affine change keeps ratios along parallel lines; so it cannot produce the
turns. What this does *not* stop is listed in docs/liveness.md.

Directions are the person's own: "left" is their left, which moves the nose
towards the image's right in an unmirrored camera frame (pass
``mirrored=True`` for frames already flipped for display).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from edge.face.detect import FaceObservation, analyse_frame
from edge.face.errors import FaceError
from edge.face.image import as_rgb
from edge.face.matcher import (
    FRAME_MAX_SIDE,
    FrameResult,
    MatchResult,
    Reference,
    distance,
)
from edge.face.models import FaceModels
from edge.face.quality import DEFAULT_LIMITS, QualityLimits

LEFT, RIGHT = "left", "right"
DIRECTIONS = (LEFT, RIGHT)
DEFAULT_STEPS = 3
DEFAULT_WINDOW_S = 15.0
# Yaw change from the baseline that counts as a turn, and the band that counts
# as frontal again. Uncalibrated on real captures (see docs/liveness.md): a
# ~30-40 degree turn moves dlib's nose point by roughly 0.15-0.25.
TURN_DELTA = 0.12
FRONTAL_DELTA = 0.06
# Frontal frames embedded for the identity checks, spread over the challenge
# (~14 frontal frames in a 15 s challenge at 2 frames/s): a median of 5 still
# outvotes two odd frames, at a third of the cost.
FRONTAL_SAMPLE = 5

PROMPTS = {LEFT: "Turn your head to your left.", RIGHT: "Turn your head to your right."}


@dataclass(frozen=True)
class LivenessChallenge:
    challenge_id: str
    steps: tuple[str, ...]
    issued_at: float
    deadline: float

    @classmethod
    def new(
        cls,
        rng: Callable[[int], bytes] = os.urandom,
        now: float | None = None,
        n_steps: int = DEFAULT_STEPS,
        window_s: float = DEFAULT_WINDOW_S,
    ) -> LivenessChallenge:
        if n_steps < 1:
            raise ValueError("a challenge needs at least one step")
        issued = time.time() if now is None else float(now)
        challenge_id = rng(8).hex()
        steps = tuple(DIRECTIONS[b & 1] for b in rng(n_steps))
        return cls(challenge_id, steps, issued, issued + window_s)

    def accepts(self, timestamp: float) -> bool:
        return self.issued_at <= timestamp <= self.deadline

    def prompts(self) -> list[str]:
        return ["Look straight at the camera."] + [
            PROMPTS[s] + " Then look straight at the camera again." for s in self.steps
        ]

    def to_dict(self) -> dict:
        return {
            "challenge_id": self.challenge_id,
            "steps": list(self.steps),
            "issued_at": self.issued_at,
            "deadline": self.deadline,
            "prompts": self.prompts(),
        }


@dataclass(frozen=True)
class LivenessReason:
    code: str
    message: str

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


@dataclass
class LivenessResult:
    passed: bool
    reasons: list[LivenessReason]
    steps_seen: list[str] = field(default_factory=list)
    frames_in_window: int = 0
    frames_ignored: int = 0  # outside the window
    identity_distance: float | None = None

    def to_dict(self) -> dict:
        return {
            "passed": self.passed,
            "reasons": [r.to_dict() for r in self.reasons],
            "steps_seen": self.steps_seen,
            "frames_in_window": self.frames_in_window,
            "frames_ignored": self.frames_ignored,
            "identity_distance": None
            if self.identity_distance is None
            else round(self.identity_distance, 4),
        }


def evaluate(
    challenge: LivenessChallenge,
    frames_with_timestamps: Sequence[tuple[float, object]],
    reference: Reference | np.ndarray,
    *,
    models: FaceModels | None = None,
    threshold: float | None = None,
    mirrored: bool = False,
    limits: QualityLimits = DEFAULT_LIMITS,
    known: Mapping[bytes, FrameResult] | None = None,
) -> LivenessResult:
    """Check ``(timestamp, frame)`` pairs (frame: encoded bytes or RGB array) against the challenge.

    Two passes, so the slow part runs on few frames: every frame in the window
    gets the cheap analysis (HOG, 5 landmarks, gates: ~25 ms at 640x480), which
    is all the turn sequence, the one-face rule and the wrong-direction rule
    need; then only the frames the identity checks read are embedded (~90 ms
    each): up to ``FRONTAL_SAMPLE`` frontal frames spread over the challenge and
    the frame that showed each step. ``known`` (see ``known_frames``) hands in
    the matcher's analysis of the same encoded frames, so those are not redone.
    """
    models = models or FaceModels.shared()
    if threshold is None:
        threshold = models.threshold
    if not isinstance(reference, Reference):
        reference = Reference.from_embedding(reference)
    known = known or {}
    ordered = sorted(frames_with_timestamps, key=lambda item: item[0])
    inside = [frame for ts, frame in ordered if challenge.accepts(ts)]
    result = LivenessResult(
        False, [], frames_in_window=len(inside), frames_ignored=len(ordered) - len(inside)
    )
    if not inside:
        return _fail(
            result, "no_frames_in_window", "No camera pictures arrived during the challenge."
        )

    observed = [_observe(models, frame, limits, known) for frame in inside]
    if any(o.several_faces for o in observed):
        return _fail(
            result, "several_faces", "More than one face was in view during the challenge."
        )
    usable = [o for o in observed if o.passed]
    if not usable:
        return _fail(
            result, "no_usable_frame", "The face was not seen clearly during the challenge."
        )

    sign = -1.0 if mirrored else 1.0
    # The challenge starts at the first straight-on frame; anything before it
    # (the person still settling in front of the camera) does not count.
    # "Straight-on" is stricter here than the match gate: a frame already
    # turned by TURN_DELTA must not become the baseline.
    start = next(
        (
            i
            for i, o in enumerate(usable)
            if abs(o.pose.yaw) < TURN_DELTA and abs(o.pose.roll_deg) <= limits.max_roll_deg
        ),
        None,
    )
    if start is None:
        return _fail(result, "not_frontal_at_start", "Look straight at the camera before turning.")
    usable = usable[start:]
    first = usable[0].pose.yaw
    # Baseline: the person's own frontal yaw, from the leading frontal frames.
    lead = []
    for o in usable:
        if abs(o.pose.yaw - first) > FRONTAL_DELTA:
            break
        lead.append(o.pose.yaw)
    baseline = statistics.median(lead)

    frontal: list[_Observed] = []
    evidence: list[_Observed] = []  # the frame that showed each step
    seen: list[str] = []
    ready, last = True, None
    for o in usable:
        delta = sign * (o.pose.yaw - baseline)
        if abs(delta) <= FRONTAL_DELTA:
            frontal.append(o)
            ready = True
            continue
        if abs(delta) < TURN_DELTA:
            continue  # on the way: neither frontal nor turned
        direction = LEFT if delta > 0 else RIGHT
        if len(seen) == len(challenge.steps) or not (ready or direction != last):
            continue  # all done, or still holding the previous turn
        expected = challenge.steps[len(seen)]
        if direction != expected:
            result.steps_seen = seen
            return _fail(
                result, "wrong_direction", f"The head turned {direction} when {expected} was asked."
            )
        seen.append(direction)
        evidence.append(o)
        ready, last = False, direction
    result.steps_seen = seen

    reasons = []
    if len(seen) < len(challenge.steps):
        missing = ", ".join(challenge.steps[len(seen) :])
        reasons.append(
            LivenessReason("steps_not_seen", f"The head turns asked for were not seen ({missing}).")
        )
    if not frontal:
        reasons.append(LivenessReason("no_frontal_frame", "The face was not seen straight on."))
    else:
        sample = _spread(frontal, FRONTAL_SAMPLE)
        for o in sample + evidence:
            _embed(models, o, reference)
        result.identity_distance = float(statistics.median(o.distance for o in sample))
        if result.identity_distance > threshold:
            reasons.append(
                LivenessReason(
                    "identity_not_matched",
                    "The face during the challenge does not match the chip photo.",
                )
            )

        # The frames that showed the turns must show the person of the frontal
        # ones (a straight-on photo shown, then someone else doing the turns);
        # so must every frontal frame sampled (a swap between turns).
        # Each frame against the centre of the *other* sampled frames: a swapped-in face
        # must not pull the centre towards itself (with unit-length ArcFace embeddings
        # it would otherwise stay within the threshold of a centre it is part of).
        def centre_without(o: _Observed) -> np.ndarray:
            others = [s.embedding for s in sample if s is not o] or [o.embedding]
            return np.mean(others, axis=0)

        if any(distance(centre_without(o), o.embedding) > threshold for o in evidence + sample):
            reasons.append(
                LivenessReason(
                    "identity_changed", "A different face appeared during the challenge."
                )
            )
    result.reasons = reasons
    result.passed = not reasons
    return result


def known_frames(frames: list, match: MatchResult) -> dict[bytes, FrameResult]:
    """The matcher's per-frame work on ``frames`` (as given to ``match_frames``), for ``known=``.

    Keyed by the encoded frame, so only byte frames are reused; arrays are analysed again.
    """
    return {
        frame: fr
        for frame, fr in zip(frames, match.frames, strict=False)
        if isinstance(frame, bytes)
    }


@dataclass
class _Observed:
    """One frame after the cheap pass; the embedding is filled in only when a check needs it."""

    frame: object
    passed: bool
    several_faces: bool
    face: FaceObservation | None = None
    embedding: np.ndarray | None = None
    distance: float | None = None

    @property
    def pose(self):
        assert self.face is not None  # only observations with a face are asked for a pose
        return self.face.pose


def _observe(
    models: FaceModels, frame, limits: QualityLimits, known: Mapping[bytes, FrameResult]
) -> _Observed:
    prior = known.get(frame) if isinstance(frame, bytes) else None
    if prior is not None:
        # The matcher gates on a frontal pose, liveness does not: drop only that reason.
        reasons = [r.code for r in prior.reasons if r.code != "not_frontal"]
        return _Observed(
            frame,
            prior.face is not None and not reasons,
            "several_faces" in reasons,
            prior.face,
            prior.embedding,
        )
    try:
        analysis = analyse_frame(models, as_rgb(frame, FRAME_MAX_SIDE), limits, need_frontal=False)
    except FaceError:
        return _Observed(frame, False, False)
    several = bool(analysis.reasons) and analysis.reasons[0].code == "several_faces"
    return _Observed(frame, analysis.passed, several, analysis.face)


def _embed(models: FaceModels, o: _Observed, reference: Reference) -> None:
    if o.embedding is None:
        # Decoded again rather than kept: 28 frames of 640x480 RGB would hold ~26 MB per session.
        assert o.face is not None  # only frames with a face are embedded
        o.embedding = models.embed(as_rgb(o.frame, FRAME_MAX_SIDE), o.face.shape)
    o.distance = distance(reference, o.embedding)


def _spread(items: list, n: int) -> list:
    """Up to ``n`` items evenly spread over the list, first and last included."""
    if len(items) <= n:
        return list(items)
    return [items[round(i * (len(items) - 1) / (n - 1))] for i in range(n)]


def _fail(result: LivenessResult, code: str, message: str) -> LivenessResult:
    result.reasons = [LivenessReason(code, message)]
    result.passed = False
    return result
