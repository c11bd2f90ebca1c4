"""Match the person at the kiosk against the chip photo.

``reference_from_photo`` turns the DG2 image into an embedding (512-d ArcFace
or 128-d dlib) once per transaction; ``match_frames`` analyses several live frames, keeps those that
pass the quality gates and decides on the *median* distance over them, so
one odd frame neither makes nor breaks a match.

The embedding is biometric data: it stays in memory, is never logged, and is
left out of every ``to_dict``.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

import numpy as np

from edge.face.detect import FaceObservation, analyse_frame, detect_reference_face
from edge.face.errors import FaceError, NoFramesError
from edge.face.image import as_rgb, decode_image
from edge.face.models import DEFAULT_MODEL, THRESHOLDS, FaceModels
from edge.face.quality import DEFAULT_LIMITS, QualityLimits

# The default embedder's calibrated threshold (per model: ``models.THRESHOLDS``;
# a FaceModels instance gives its own as ``models.threshold``).
DEFAULT_THRESHOLD = THRESHOLDS[DEFAULT_MODEL]

# Chip photos are small; anything larger is decoded at reduced scale.
REFERENCE_MAX_SIDE = 640
# Live frames: a 640x480 camera frame is analysed at full size.
FRAME_MAX_SIDE = 960

MATCH, NO_MATCH, UNDETERMINED = "match", "no_match", "undetermined"
# Frames that both match and clearly miss (by more than this margin above the
# threshold) show two people, or a swap mid-capture: the median must not outvote that.
DISAGREEMENT_MARGIN = 0.10


@dataclass(frozen=True)
class Reference:
    """The chip photo's embedding plus non-personal facts about how it was found."""

    embedding: np.ndarray = field(repr=False)
    format: str = "embedding"
    original_size: tuple[int, int] | None = None
    detector: str | None = None
    confidence: float | None = None

    @classmethod
    def from_embedding(cls, vector) -> Reference:
        vec = np.asarray(vector, dtype=np.float64).reshape(-1)
        if vec.shape not in ((128,), (512,)) or not np.all(np.isfinite(vec)):
            raise ValueError("a face embedding has 128 (dlib) or 512 (ArcFace) finite values")
        return cls(embedding=vec)

    def to_dict(self) -> dict:
        conf = self.confidence
        return {
            "format": self.format,
            "original_size": list(self.original_size) if self.original_size else None,
            "detector": self.detector,
            "confidence": None if conf is None or conf != conf else round(conf, 3),
        }


def reference_from_photo(models: FaceModels, image_bytes: bytes) -> Reference:
    """Embed the chip portrait (JPEG, JPEG 2000 or PNG). Raises a ``FaceError``."""
    image = decode_image(image_bytes, REFERENCE_MAX_SIDE)
    face, detector, confidence = detect_reference_face(models, image.rgb)
    return Reference(
        embedding=models.embed(image.rgb, face.shape),
        format=image.format,
        original_size=image.original_size,
        detector=detector,
        confidence=confidence,
    )


def distance(a: np.ndarray | Reference, b: np.ndarray | Reference) -> float:
    va = a.embedding if isinstance(a, Reference) else np.asarray(a)
    vb = b.embedding if isinstance(b, Reference) else np.asarray(b)
    return float(np.linalg.norm(va - vb))


@dataclass
class FrameResult:
    index: int
    passed: bool
    reasons: list[FaceError]
    distance: float | None = None
    face: FaceObservation | None = field(default=None, repr=False)
    embedding: np.ndarray | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        return {
            "index": self.index,
            "passed": self.passed,
            "distance": None if self.distance is None else round(self.distance, 4),
            "reasons": [r.to_dict() for r in self.reasons],
            "face": None if self.face is None else self.face.to_dict(),
        }


@dataclass
class MatchResult:
    decision: str
    distance: float | None
    threshold: float
    frames: list[FrameResult]
    message: str
    # The evidence a decision carries: which embedder (and which weights) measured the distance.
    model: str = ""
    model_version: str = ""

    @property
    def frames_used(self) -> int:
        return sum(1 for f in self.frames if f.passed)

    def to_dict(self) -> dict:
        return {
            "decision": self.decision,
            "model": self.model,
            "model_version": self.model_version,
            "distance": None if self.distance is None else round(self.distance, 4),
            "threshold": self.threshold,
            "frames_used": self.frames_used,
            "frames_total": len(self.frames),
            "message": self.message,
            "frames": [f.to_dict() for f in self.frames],
        }


def analyse_frames(
    models: FaceModels,
    reference: Reference | None,
    frames: list,
    limits: QualityLimits = DEFAULT_LIMITS,
    *,
    need_frontal: bool = True,
    embed_all: bool = False,
) -> list[FrameResult]:
    """Gate each frame; embed those that pass (or every single-face frame when ``embed_all``).

    A frame is encoded bytes or an RGB array; a bad frame becomes a reason, never an exception.
    """
    results = []
    for index, frame in enumerate(frames):
        try:
            rgb = as_rgb(frame, FRAME_MAX_SIDE)
            analysis = analyse_frame(models, rgb, limits, need_frontal=need_frontal)
        except FaceError as exc:
            results.append(FrameResult(index, False, [exc]))
            continue
        result = FrameResult(index, analysis.passed, analysis.reasons, face=analysis.face)
        if analysis.face is not None and (analysis.passed or embed_all):
            result.embedding = models.embed(rgb, analysis.face.shape)
            if reference is not None:
                result.distance = distance(reference, result.embedding)
        results.append(result)
    return results


def match_frames(
    models: FaceModels,
    reference: Reference,
    frames: list,
    threshold: float | None = None,
    *,
    min_frames: int = 1,
    limits: QualityLimits = DEFAULT_LIMITS,
) -> MatchResult:
    """Decide match / no_match / undetermined from the frames that pass the gates.

    ``threshold``: default, the calibrated value of the models' embedder.
    """
    if not frames:
        raise NoFramesError()
    result = _decide(
        models,
        reference,
        frames,
        models.threshold if threshold is None else threshold,
        min_frames,
        limits,
    )
    result.model, result.model_version = models.model, models.model_version
    return result


def _decide(
    models: FaceModels,
    reference: Reference,
    frames: list,
    threshold: float,
    min_frames: int,
    limits: QualityLimits,
) -> MatchResult:
    results = analyse_frames(models, reference, frames, limits)
    used = [r.distance for r in results if r.passed and r.distance is not None]
    if len(used) < max(1, min_frames):
        return MatchResult(UNDETERMINED, None, threshold, results, _undetermined_message(results))
    median = float(statistics.median(used))
    if min(used) <= threshold and max(used) > threshold + DISAGREEMENT_MARGIN:
        return MatchResult(
            UNDETERMINED,
            median,
            threshold,
            results,
            "The pictures taken do not agree: only the card holder should face the camera.",
        )
    if median <= threshold:
        return MatchResult(MATCH, median, threshold, results, "The face matches the chip photo.")
    return MatchResult(
        NO_MATCH, median, threshold, results, "The face does not match the chip photo."
    )


def _undetermined_message(results: list[FrameResult]) -> str:
    # The most frequent reason tells the person what to change.
    counts: dict[str, tuple[int, str]] = {}
    for r in results:
        for reason in r.reasons:
            n, _ = counts.get(reason.code, (0, reason.message))
            counts[reason.code] = (n + 1, reason.message)
    if not counts:
        return "No usable picture of the face was taken."
    _, message = max(counts.values(), key=lambda item: item[0])
    return f"No usable picture of the face was taken. {message}"
