"""The face and liveness parts of the document report, typed.

``edge.face`` returns its own result objects (a ``MatchResult``, a
``LivenessResult``), or, when the step could not run, the service says why
with a plain reason code. Both are turned into ``FaceReport`` and
``LivenessReport`` here, at the boundary, and everything after (the signed
result, the audit row, the kiosk, the CLI) reads those. The conversion
reads attributes or mapping keys alike and tolerates fields that are
missing or new, so the face matcher can add evidence without this module
changing in step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

MATCH_DECISIONS = ("match", "no_match", "undetermined")
LIVENESS_VERDICTS = ("passed", "failed", "not_performed")


def _get(obj: Any, name: str, default: Any = None) -> Any:
    """``obj.name`` or ``obj[name]``: the face module's objects and plain dicts alike."""
    if obj is None:
        return default
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _float(value: Any) -> float | None:
    try:
        return None if value is None else round(float(value), 4)
    except (TypeError, ValueError):
        return None


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _codes(values: Any) -> list[str]:
    """Reason codes from strings or reason objects (``.code``, ``{"code": ...}``), once each."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    codes: list[str] = []
    for v in values if isinstance(values, Iterable) else []:
        code = v if isinstance(v, str) else _get(v, "code")
        if code is not None and str(code) not in codes:
            codes.append(str(code))
    return codes


def _reason_codes(obj: Any) -> list[str]:
    for name in ("reason_codes", "reasons", "reason_code", "reason"):
        codes = _codes(_get(obj, name))
        if codes:
            return codes
    return []


def _model(obj: Any) -> tuple[str | None, str | None]:
    model = _get(obj, "model")
    name = _get(obj, "model_name") or (_get(model, "name") if not isinstance(model, str) else model)
    version = _get(obj, "model_version") or (
        None if isinstance(model, str) else _get(model, "version")
    )
    return _str(name), _str(version)


@dataclass
class FrameQuality:
    """One camera frame as the matcher judged it: no image, no embedding."""

    index: int
    passed: bool
    distance: float | None = None
    reason_codes: list[str] = field(default_factory=list)
    measures: dict[str, Any] | None = None  # the quality measures the matcher reports, as given

    @classmethod
    def from_result(cls, frame: Any, position: int) -> FrameQuality:
        face = _get(frame, "face")
        measures = _get(frame, "measures") or _get(frame, "quality") or _get(face, "measures")
        if measures is not None and not isinstance(measures, Mapping):
            to_dict = getattr(measures, "to_dict", None)
            measures = to_dict() if callable(to_dict) else None
        return cls(
            index=_int(_get(frame, "index"), position),
            passed=bool(_get(frame, "passed", False)),
            distance=_float(_get(frame, "distance")),
            reason_codes=_reason_codes(frame),
            measures=dict(measures) if measures else None,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "passed": self.passed,
            "distance": self.distance,
            "reason_codes": list(self.reason_codes),
            "measures": self.measures,
        }


@dataclass
class LivenessReport:
    """The head-turn challenge: passed, failed, or not performed, and why."""

    verdict: str = "not_performed"  # passed | failed | not_performed
    challenge: list[str] = field(default_factory=list)  # the steps asked for, in order
    reason_codes: list[str] = field(default_factory=list)
    reason: str | None = None  # the first reason as a sentence
    steps_seen: list[str] = field(default_factory=list)
    frames_in_window: int = 0
    frames_ignored: int = 0

    @property
    def passed(self) -> bool:
        return self.verdict == "passed"

    @classmethod
    def not_performed(cls, code: str | None, challenge: Iterable[str] = ()) -> LivenessReport:
        return cls(verdict="not_performed", challenge=list(challenge), reason_codes=_codes(code))

    @classmethod
    def from_result(cls, result: Any, challenge: Any = None) -> LivenessReport:
        """From ``edge.face.LivenessResult`` (or its dict); ``challenge`` gives the steps."""
        if result is None:
            return cls.not_performed(None, _steps(challenge))
        verdict = _get(result, "verdict")
        if verdict not in LIVENESS_VERDICTS:
            verdict = "passed" if _get(result, "passed") else "failed"
        reasons = _get(result, "reasons") or []
        first = next(iter(reasons), None) if not isinstance(reasons, str) else None
        return cls(
            verdict=verdict,
            challenge=_steps(challenge) or _steps(_get(result, "challenge")),
            reason_codes=_reason_codes(result),
            reason=_str(_get(first, "message")) or _str(_get(result, "message")),
            steps_seen=[str(s) for s in _get(result, "steps_seen", None) or []],
            frames_in_window=_int(_get(result, "frames_in_window")),
            frames_ignored=_int(_get(result, "frames_ignored")),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "passed": self.passed,
            "challenge": list(self.challenge),
            "reason_codes": list(self.reason_codes),
            "reason": self.reason,
            "steps_seen": list(self.steps_seen),
            "frames_in_window": self.frames_in_window,
            "frames_ignored": self.frames_ignored,
        }


def _steps(challenge: Any) -> list[str]:
    if challenge is None:
        return []
    steps = challenge if isinstance(challenge, list | tuple) else _get(challenge, "steps") or []
    return [str(s) for s in steps]


@dataclass
class FaceReport:
    """The face match of the person at the kiosk against the chip photo, with its evidence."""

    decision: str = "undetermined"  # match | no_match | undetermined
    reason_codes: list[str] = field(default_factory=list)
    message: str | None = None
    model_name: str | None = None
    model_version: str | None = None
    threshold: float | None = None
    distance: float | None = None
    frames_used: int = 0
    frames_total: int = 0
    frame_quality: list[FrameQuality] = field(default_factory=list)

    @classmethod
    def undetermined(cls, code: str, message: str | None = None) -> FaceReport:
        """The step could not decide (no chip photo, no frames ...): said by a reason code."""
        return cls(decision="undetermined", reason_codes=[code], message=message)

    @classmethod
    def from_result(cls, result: Any) -> FaceReport:
        """From ``edge.face.MatchResult`` (or its dict); unknown fields are ignored."""
        if isinstance(result, FaceReport):
            return result
        decision = _get(result, "decision")
        frames = [
            FrameQuality.from_result(f, i) for i, f in enumerate(_get(result, "frames") or [])
        ]
        codes = _reason_codes(result)
        if not codes and decision != "match":
            # The matcher said why per frame only: the reasons of the frames that failed.
            codes = list(dict.fromkeys(c for f in frames if not f.passed for c in f.reason_codes))
        name, version = _model(result)
        used = _get(result, "frames_used")
        return cls(
            decision=decision if decision in MATCH_DECISIONS else "undetermined",
            reason_codes=codes,
            message=_str(_get(result, "message")),
            model_name=name,
            model_version=version,
            threshold=_float(_get(result, "threshold")),
            distance=_float(_get(result, "distance")),
            frames_used=_int(used, sum(1 for f in frames if f.passed)),
            frames_total=_int(_get(result, "frames_total"), len(frames)),
            frame_quality=frames,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "reason_codes": list(self.reason_codes),
            "message": self.message,
            "model_name": self.model_name,
            "model_version": self.model_version,
            "threshold": self.threshold,
            "distance": self.distance,
            "frames_used": self.frames_used,
            "frames_total": self.frames_total,
            "frame_quality": [f.to_dict() for f in self.frame_quality],
        }
