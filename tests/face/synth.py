"""Synthetic camera frames made from the shared face crops (in memory only)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageFilter


def load_rgb(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def jpeg(rgb: np.ndarray, quality: int = 92) -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb)).save(out, "JPEG", quality=quality)
    return out.getvalue()


def kiosk_frame(
    face: np.ndarray, size=(640, 480), scale: float = 1.6, grey: int = 120
) -> np.ndarray:
    """The face crop enlarged and pasted into a camera-sized frame on a plain wall."""
    w, h = size
    big = np.asarray(
        Image.fromarray(face).resize(
            (round(face.shape[1] * scale), round(face.shape[0] * scale)), Image.Resampling.BICUBIC
        )
    )
    frame = np.full((h, w, 3), grey, np.uint8)
    y, x = (h - big.shape[0]) // 2, (w - big.shape[1]) // 2
    frame[y : y + big.shape[0], x : x + big.shape[1]] = big
    return frame


def padded(face: np.ndarray, pad_y: int = 40, pad_x: int = 80) -> np.ndarray:
    """Room around a tight crop, by repeating its edges, so warps stay inside the picture."""
    return np.pad(face, ((pad_y, pad_y), (pad_x, pad_x), (0, 0)), mode="edge")


def hinge_turn(rgb: np.ndarray, hinge_x: float, s_left: float, s_right: float) -> np.ndarray:
    """Squeeze one side of the face and stretch the other about a vertical line.

    With the hinge at the nose, the eye midpoint moves sideways while the nose
    stays: the 2-D signature of a head turn (the nose sticks out of the face).
    s_left < 1 < s_right looks like a turn towards the image's left.
    """
    _h, w = rgb.shape[:2]
    xo = np.arange(w, dtype=np.float64)
    xs = np.where(
        xo < hinge_x, hinge_x + (xo - hinge_x) / s_left, hinge_x + (xo - hinge_x) / s_right
    )
    xs = np.clip(xs, 0, w - 1)
    x0 = np.floor(xs).astype(int)
    x1 = np.minimum(x0 + 1, w - 1)
    t = (xs - x0)[None, :, None]
    out = rgb[:, x0].astype(np.float64) * (1 - t) + rgb[:, x1].astype(np.float64) * t
    return np.ascontiguousarray(out.round().astype(np.uint8))


def squeeze(rgb: np.ndarray, factor: float) -> np.ndarray:
    """A flat picture turned about a vertical axis: uniform horizontal scale (affine)."""
    h, w = rgb.shape[:2]
    small = np.asarray(
        Image.fromarray(rgb).resize((max(1, round(w * factor)), h), Image.Resampling.BILINEAR)
    )
    out = np.full_like(rgb, 120)
    x = (w - small.shape[1]) // 2
    out[:, x : x + small.shape[1]] = small
    return out


def blurred(rgb: np.ndarray, radius: float) -> np.ndarray:
    return np.asarray(Image.fromarray(rgb).filter(ImageFilter.GaussianBlur(radius)))
