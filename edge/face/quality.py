"""Quality gates for a live frame, each with its own typed reason.

Measures are taken on the face box only (the background does not count):
the grey crop is resized to ``CROP_SIDE`` pixels so that sharpness compares
the same way for a near and a far face. Limits were set on the shared
calibration images (all 55 pass) and on blurred, darkened and brightened
copies of them (see docs/face-calibration.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from edge.face.errors import (
    BlurredError,
    FaceError,
    FaceTooSmallError,
    NotFrontalError,
    TooBrightError,
    TooDarkError,
)
from edge.face.pose import Pose

CROP_SIDE = 96


@dataclass(frozen=True)
class QualityLimits:
    # HOG's window is 80x80: smaller faces are not found at upsample 0 anyway.
    min_face_px: int = 80
    max_roll_deg: float = 15.0
    # Nose offset in inter-eye distances; calibration faces reach 0.18.
    max_abs_yaw: float = 0.20
    # Variance of the Laplacian on the 96x96 grey crop: calibration faces
    # measure 32-731; a Gaussian blur of radius 2 on a 125 px face gives ~21.
    min_sharpness: float = 25.0
    min_brightness: float = 40.0
    max_brightness: float = 215.0
    # Share of crop pixels at the ends of the range (<= 5 or >= 250).
    max_clipped: float = 0.25


DEFAULT_LIMITS = QualityLimits()


@dataclass(frozen=True)
class FaceMeasures:
    face_px: int
    sharpness: float
    brightness: float
    dark_clipped: float
    bright_clipped: float

    @classmethod
    def from_crop(cls, gray_crop: np.ndarray, face_px: int) -> FaceMeasures:
        small = np.asarray(
            Image.fromarray(gray_crop).resize((CROP_SIDE, CROP_SIDE), Image.Resampling.BILINEAR),
            dtype=np.float32,
        )
        return cls(
            face_px=face_px,
            sharpness=laplacian_variance(small),
            brightness=float(small.mean()),
            dark_clipped=float((small <= 5).mean()),
            bright_clipped=float((small >= 250).mean()),
        )

    def to_dict(self) -> dict:
        return {
            "face_px": self.face_px,
            "sharpness": round(self.sharpness, 1),
            "brightness": round(self.brightness, 1),
            "dark_clipped": round(self.dark_clipped, 3),
            "bright_clipped": round(self.bright_clipped, 3),
        }


def laplacian_variance(gray: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian: low when edges are soft."""
    g = gray.astype(np.float32)
    lap = g[1:-1, :-2] + g[1:-1, 2:] + g[:-2, 1:-1] + g[2:, 1:-1] - 4.0 * g[1:-1, 1:-1]
    return float(lap.var())


def check_quality(
    measures: FaceMeasures,
    pose: Pose,
    limits: QualityLimits = DEFAULT_LIMITS,
    *,
    need_frontal: bool = True,
) -> list[FaceError]:
    """Every gate the face fails, in a fixed order (empty when it passes)."""
    reasons: list[FaceError] = []
    if measures.face_px < limits.min_face_px:
        reasons.append(FaceTooSmallError(face_px=measures.face_px, min_face_px=limits.min_face_px))
    if need_frontal and (
        abs(pose.roll_deg) > limits.max_roll_deg or abs(pose.yaw) > limits.max_abs_yaw
    ):
        reasons.append(NotFrontalError(roll_deg=round(pose.roll_deg, 1), yaw=round(pose.yaw, 3)))
    if measures.brightness < limits.min_brightness or measures.dark_clipped > limits.max_clipped:
        reasons.append(TooDarkError(brightness=round(measures.brightness, 1)))
    elif (
        measures.brightness > limits.max_brightness or measures.bright_clipped > limits.max_clipped
    ):
        reasons.append(TooBrightError(brightness=round(measures.brightness, 1)))
    # Sharpness scales with contrast, so it means little on a badly lit face:
    # the exposure reason is the one to act on first.
    elif measures.sharpness < limits.min_sharpness:
        reasons.append(
            BlurredError(sharpness=round(measures.sharpness, 1), min_sharpness=limits.min_sharpness)
        )
    return reasons
