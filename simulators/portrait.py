"""ICAO-style portraits for DG2: drawn synthetic faces, or a given photo re-encoded.

A chip photo is small and lossy (ICAO Doc 9303-10: JPEG or JPEG 2000, ~10-20 KB).
The synthetic face is a cartoon drawn with Pillow from a seed: background,
shoulders, neck, head, hair, eyes, brows, nose and mouth, each with seeded
proportions and colours, plus seeded sensor noise so the file size resembles a
real chip photo. No real person is depicted.
"""

from __future__ import annotations

import hashlib
import io
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

WIDTH, HEIGHT = 240, 320  # 3:4, the ICAO portrait aspect
FORMATS = ("jpeg", "jp2")


class PortraitError(ValueError):
    """The photo could not be read or encoded."""


def _rng(seed: str) -> random.Random:
    return random.Random(int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big"))


def draw_face(
    seed: str, *, female: bool = False, size: tuple[int, int] = (WIDTH, HEIGHT)
) -> Image.Image:
    """A deterministic synthetic head-and-shoulders portrait for ``seed``."""
    r = _rng(seed)
    w, h = size
    bg = tuple(r.randint(200, 235) for _ in range(3))  # plain light background
    skin = r.choice([(236, 200, 170), (224, 180, 145), (205, 160, 125), (190, 145, 110)])
    hair = r.choice([(20, 15, 12), (40, 28, 20), (60, 45, 35), (30, 30, 30)])
    shirt = r.choice([(240, 240, 240), (35, 55, 110), (150, 30, 30), (60, 90, 60)])
    img = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(img)
    cx = w // 2 + r.randint(-4, 4)
    head_w = int(w * r.uniform(0.42, 0.50))
    head_h = int(head_w * r.uniform(1.25, 1.40))
    top = int(h * r.uniform(0.14, 0.20))
    # shoulders and neck first, the head is drawn over them
    d.ellipse([cx - int(w * 0.55), int(h * 0.80), cx + int(w * 0.55), int(h * 1.35)], fill=shirt)
    neck_w = head_w // 3
    d.rectangle([cx - neck_w // 2, top + head_h - 20, cx + neck_w // 2, int(h * 0.86)], fill=skin)
    if female:  # long hair behind the head
        d.rounded_rectangle(
            [cx - head_w // 2 - 14, top - 10, cx + head_w // 2 + 14, top + int(head_h * 1.15)],
            radius=40,
            fill=hair,
        )
    d.ellipse([cx - head_w // 2, top, cx + head_w // 2, top + head_h], fill=skin)
    d.chord(
        [cx - head_w // 2 - 4, top - 12, cx + head_w // 2 + 4, top + int(head_h * 0.55)],
        180,
        360,
        fill=hair,
    )
    # ears
    ear_y = top + int(head_h * 0.45)
    for side in (-1, 1):
        ex = cx + side * head_w // 2
        d.ellipse([ex - 7, ear_y, ex + 7, ear_y + 26], fill=skin)
    # eyes on the horizontal mid-line of the head, as ICAO asks
    eye_y = top + int(head_h * r.uniform(0.46, 0.52))
    eye_dx = int(head_w * r.uniform(0.20, 0.24))
    iris = r.choice([(45, 30, 20), (25, 20, 15), (70, 50, 30)])
    for side in (-1, 1):
        ex = cx + side * eye_dx
        d.ellipse([ex - 11, eye_y - 6, ex + 11, eye_y + 6], fill=(250, 250, 250))
        d.ellipse([ex - 5, eye_y - 5, ex + 5, eye_y + 5], fill=iris)
        d.line([ex - 13, eye_y - 14, ex + 13, eye_y - 16 + r.randint(-2, 2)], fill=hair, width=4)
    nose_y = eye_y + int(head_h * 0.20)
    shade = tuple(max(0, c - 40) for c in skin)
    d.line([cx, eye_y + 6, cx - 5, nose_y], fill=shade, width=2)
    d.line([cx - 7, nose_y, cx + 7, nose_y], fill=shade, width=2)
    mouth_y = nose_y + int(head_h * 0.12)
    mouth_w = int(head_w * r.uniform(0.16, 0.22))
    d.arc(
        [cx - mouth_w, mouth_y - 6, cx + mouth_w, mouth_y + 6], 10, 170, fill=(150, 60, 60), width=3
    )
    img = img.filter(ImageFilter.GaussianBlur(1.2))
    # seeded sensor noise: deterministic, and gives a realistic compressed size
    noise = np.random.default_rng(r.getrandbits(64)).normal(0, 6.0, (h, w, 3))
    arr = np.clip(np.asarray(img, dtype=np.float64) + noise, 0, 255).astype(np.uint8)
    return Image.fromarray(arr, "RGB")


def encode(
    img: Image.Image, fmt: str = "jpeg", *, quality: int = 85, jp2_rate: float = 14.0
) -> bytes:
    """JPEG (baseline, given quality) or JPEG 2000 (JP2 boxes, given compression ratio)."""
    buf = io.BytesIO()
    img = img.convert("RGB")
    if fmt == "jpeg":
        img.save(buf, "JPEG", quality=quality, optimize=True)
    elif fmt == "jp2":
        img.save(
            buf, "JPEG2000", quality_mode="rates", quality_layers=[jp2_rate], irreversible=True
        )
    else:
        raise PortraitError(f"unknown portrait format {fmt!r}; use one of {FORMATS}")
    return buf.getvalue()


def synthetic_portrait(seed: str, fmt: str = "jpeg", *, female: bool = False) -> bytes:
    """The encoded synthetic portrait for ``seed`` (same bytes every time)."""
    return encode(draw_face(seed, female=female), fmt)


def to_icao_frame(img: Image.Image, size: tuple[int, int] = (WIDTH, HEIGHT)) -> Image.Image:
    """Centre-crop to 3:4 and resize, keeping the face in the middle."""
    w, h = img.size
    target = size[0] / size[1]
    if w / h > target:  # too wide: trim the sides
        cw = round(h * target)
        box = ((w - cw) // 2, 0, (w - cw) // 2 + cw, h)
    else:  # too tall: trim top and bottom evenly
        ch = round(w / target)
        box = (0, (h - ch) // 2, w, (h - ch) // 2 + ch)
    return img.crop(box).resize(size, Image.Resampling.LANCZOS)


def portrait_from_photo(
    image_bytes: bytes, fmt: str = "jpeg", *, quality: int = 70, jp2_rate: float = 16.0
) -> bytes:
    """A given photo made into a chip portrait: cropped to 3:4, 240x320, lossy re-encoded."""
    try:
        img = Image.open(io.BytesIO(image_bytes))
        img.load()
    except Exception as exc:  # Pillow raises many types for bad input
        raise PortraitError("the photo could not be read as an image") from exc
    return encode(to_icao_frame(img.convert("RGB")), fmt, quality=quality, jp2_rate=jp2_rate)


def image_size(data: bytes) -> tuple[int, int]:
    """(width, height) of an encoded portrait."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            return img.size
    except Exception as exc:
        raise PortraitError("the portrait could not be read as an image") from exc
