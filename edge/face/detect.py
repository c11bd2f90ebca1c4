"""Finding the face: HOG on live frames, the CNN on the chip photo.

Live frames: dlib's HOG detector on the grey frame (about 20 ms at 640x480),
then the 5 landmarks, pose and quality measures on the face box. The chip
photo: the MMOD CNN detector, slower but better on small, compressed
portraits. Its cost grows with the pixel count, so it runs on a copy
resized so the longer side is ``CNN_DETECT_SIDE``: an ICAO portrait's face
then spans about 80 px (all 55 simulated chip photos of the calibration set
are still found at 176 px; 192 keeps a margin). The box is mapped back to
the larger alignment image so landmarks and the aligned chip keep detail.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from edge.face.errors import FaceError, MultipleFacesError, NoFaceError
from edge.face.models import FaceModels
from edge.face.pose import Landmarks5, Pose
from edge.face.quality import DEFAULT_LIMITS, FaceMeasures, QualityLimits, check_quality

CNN_DETECT_SIDE = 192


@dataclass
class FaceObservation:
    """One face found in one image, with what the gates and the matcher need."""

    box: tuple[int, int, int, int]  # left, top, right, bottom in the analysed image
    shape: object = field(repr=False)  # dlib.full_object_detection (5 points)
    landmarks: Landmarks5
    pose: Pose
    measures: FaceMeasures | None = None

    def to_dict(self) -> dict:
        out = {"box": list(self.box), "pose": self.pose.to_dict()}
        if self.measures is not None:
            out["measures"] = self.measures.to_dict()
        return out


@dataclass
class FrameAnalysis:
    """A frame's face (if exactly one) and every gate it failed."""

    face: FaceObservation | None
    reasons: list[FaceError]

    @property
    def passed(self) -> bool:
        return self.face is not None and not self.reasons


def to_gray(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(Image.fromarray(rgb).convert("L"))


def analyse_frame(
    models: FaceModels,
    rgb: np.ndarray,
    limits: QualityLimits = DEFAULT_LIMITS,
    *,
    need_frontal: bool = True,
) -> FrameAnalysis:
    """HOG detection, exactly-one-face check, landmarks, pose and quality gates."""
    gray = to_gray(rgb)
    rects = models.detect_hog(gray, 0)
    if not rects:
        return FrameAnalysis(None, [NoFaceError()])
    if len(rects) > 1:
        return FrameAnalysis(None, [MultipleFacesError(faces=len(rects))])
    rect = rects[0]
    shape = models.landmarks(gray, rect)
    landmarks = Landmarks5.from_shape(shape)
    pose = landmarks.pose()
    box = _clip_box(rect, gray.shape)
    crop = gray[box[1] : box[3], box[0] : box[2]]
    if crop.size == 0:
        return FrameAnalysis(None, [NoFaceError()])
    measures = FaceMeasures.from_crop(crop, face_px=min(rect.width(), rect.height()))
    face = FaceObservation(box=box, shape=shape, landmarks=landmarks, pose=pose, measures=measures)
    return FrameAnalysis(face, check_quality(measures, pose, limits, need_frontal=need_frontal))


def detect_reference_face(
    models: FaceModels, rgb: np.ndarray
) -> tuple[FaceObservation, str, float]:
    """The one face of a portrait: (observation, detector name, confidence)."""
    import dlib

    height, width = rgb.shape[:2]
    factor = CNN_DETECT_SIDE / max(height, width)
    small = np.asarray(
        Image.fromarray(rgb).resize(
            (max(1, round(width * factor)), max(1, round(height * factor))),
            Image.Resampling.BILINEAR,
        )
    )
    found = models.detect_cnn(small, 0)
    detector = "cnn"
    if found:
        if len(found) > 1:
            raise MultipleFacesError("The photo shows more than one face.", faces=len(found))
        r, confidence = found[0]
        rect = dlib.rectangle(
            round(r.left() / factor),
            round(r.top() / factor),
            round(r.right() / factor),
            round(r.bottom() / factor),
        )
    else:
        # The cheap HOG detector sometimes finds what the CNN missed at its
        # reduced size (a face filling the whole frame, for instance).
        rects = models.detect_hog(to_gray(rgb), 1 if max(height, width) < 400 else 0)
        if not rects:
            raise NoFaceError("No face was found in the photo.")
        if len(rects) > 1:
            raise MultipleFacesError("The photo shows more than one face.", faces=len(rects))
        rect, confidence, detector = rects[0], float("nan"), "hog"
    shape = models.landmarks(rgb, rect)
    landmarks = Landmarks5.from_shape(shape)
    face = FaceObservation(
        box=_clip_box(rect, rgb.shape), shape=shape, landmarks=landmarks, pose=landmarks.pose()
    )
    return face, detector, confidence


def _clip_box(rect, shape) -> tuple[int, int, int, int]:
    height, width = shape[:2]
    return (
        max(0, rect.left()),
        max(0, rect.top()),
        min(width, rect.right() + 1),
        min(height, rect.bottom() + 1),
    )
