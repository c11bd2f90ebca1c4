"""Head pose from dlib's 5 landmarks: eye-line roll and a nose-offset yaw.

The 5-point model gives the two corners of each eye and the base of the nose.
With eye centres L (image left) and R (image right), mid = (L + R) / 2 and
u the unit vector from L to R:

- roll  = angle of the eye line against the horizontal, in degrees;
- yaw   = ((nose - mid) . u) / |R - L|: how far the nose sits off the eye
  midpoint along the eye line, in inter-eye distances. Zero when frontal;
  positive when the nose is towards the image's right, i.e. the person turned
  to *their* left in an unmirrored camera picture.
- pitch = the perpendicular part, in the same unit (about 0.6-0.9 frontal).

The nose tip sticks out of the face plane, which is why a real head turn moves
it against the eyes while turning a flat photo (an affine change of the
picture) does not: ratios along parallel lines survive an affine map.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Landmarks5:
    left_eye: tuple[float, float]  # centre of the eye on the image's left
    right_eye: tuple[float, float]  # centre of the eye on the image's right
    nose: tuple[float, float]

    @classmethod
    def from_shape(cls, shape) -> Landmarks5:
        pts = [(float(shape.part(i).x), float(shape.part(i).y)) for i in range(5)]
        a = _mean(pts[0], pts[1])
        b = _mean(pts[2], pts[3])
        left, right = (a, b) if a[0] <= b[0] else (b, a)
        return cls(left_eye=left, right_eye=right, nose=pts[4])

    def scaled(self, factor: float) -> Landmarks5:
        def s(p):
            return (p[0] * factor, p[1] * factor)

        return Landmarks5(s(self.left_eye), s(self.right_eye), s(self.nose))

    @property
    def eye_distance(self) -> float:
        return math.dist(self.left_eye, self.right_eye)

    def pose(self) -> Pose:
        lx, ly = self.left_eye
        rx, ry = self.right_eye
        d = self.eye_distance or 1e-9
        ux, uy = (rx - lx) / d, (ry - ly) / d
        mx, my = (lx + rx) / 2, (ly + ry) / 2
        nx, ny = self.nose[0] - mx, self.nose[1] - my
        return Pose(
            roll_deg=math.degrees(math.atan2(ry - ly, rx - lx)),
            yaw=(nx * ux + ny * uy) / d,
            pitch=(-nx * uy + ny * ux) / d,
            eye_distance=d,
        )


@dataclass(frozen=True)
class Pose:
    roll_deg: float
    yaw: float
    pitch: float
    eye_distance: float

    def to_dict(self) -> dict:
        return {
            "roll_deg": round(self.roll_deg, 1),
            "yaw": round(self.yaw, 3),
            "pitch": round(self.pitch, 3),
            "eye_distance_px": round(self.eye_distance, 1),
        }


def _mean(p, q):
    return ((p[0] + q[0]) / 2, (p[1] + q[1]) / 2)
