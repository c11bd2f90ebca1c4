"""Bounded image decoding: look at the header, refuse bombs, decode small.

Pillow reads only the header on ``open``, so the declared size is checked
before any pixel is decoded. JPEG is then decoded at 1/2, 1/4 or 1/8 scale in
the DCT domain (``draft``) and JPEG 2000 at a lower resolution level
(``reduce``), so a large photo costs a fraction of its full decode; PNG has no
reduced decode and gets a lower pixel limit. Only the formats a chip or a
kiosk camera produces are accepted, which keeps Pillow's rarer parsers out of
reach of untrusted bytes.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from edge.face.errors import CorruptImageError, ImageTooLargeError, UnsupportedFormatError

# Formats that decode at reduced scale may declare more pixels than PNG. JPEG's
# 1/8 DCT-domain decode keeps even a 120-megapixel photo under 2 megapixels decoded.
MAX_PIXELS_JPEG = 120_000_000
MAX_PIXELS_REDUCIBLE = 40_000_000
MAX_PIXELS_FULL = 16_000_000
MAX_BYTES = 20_000_000
# JPEG 2000 images carry 5 resolution levels by default (6 with the full one).
MAX_J2K_REDUCE = 5

_MAGIC = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG2000"),  # JP2 file (ISO/IEC 15444-1 Annex I)
    (b"\xff\x4f\xff\x51", "JPEG2000"),  # raw J2K codestream: SOC then SIZ
    (b"\x89PNG\r\n\x1a\n", "PNG"),
)


@dataclass(frozen=True)
class DecodedImage:
    """RGB pixels (H x W x 3, uint8) plus non-personal facts about the source."""

    rgb: np.ndarray
    format: str
    original_size: tuple[int, int]  # (width, height) declared by the file

    @property
    def scale(self) -> float:
        """Decoded width divided by the original width."""
        return self.rgb.shape[1] / self.original_size[0]


def sniff_format(data: bytes) -> str:
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return name
    raise UnsupportedFormatError("The image format is not supported; use JPEG, JPEG 2000 or PNG.")


def decode_image(data: bytes, max_side: int) -> DecodedImage:
    """Decode ``data`` to RGB with the longer side at most ``max_side`` pixels."""
    if not isinstance(data, (bytes, bytearray, memoryview)) or len(data) == 0:
        raise CorruptImageError("The image is empty.")
    data = bytes(data)
    if len(data) > MAX_BYTES:
        raise ImageTooLargeError("The image file is too large to process.", bytes=len(data))
    fmt = sniff_format(data)
    try:
        with warnings.catch_warnings():
            # Our own limit below is stricter than Pillow's bomb warning.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data), formats=[fmt])
    except Image.DecompressionBombError as exc:
        raise ImageTooLargeError("The image has too many pixels to process.") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise CorruptImageError() from exc

    width, height = im.size
    if width <= 0 or height <= 0:
        raise CorruptImageError("The image has no pixels.")
    limit = {"PNG": MAX_PIXELS_FULL, "JPEG": MAX_PIXELS_JPEG}.get(fmt, MAX_PIXELS_REDUCIBLE)
    if width * height > limit:
        raise ImageTooLargeError(
            f"The image is too large to process ({width}x{height} pixels; "
            f"at most {limit // 1_000_000} megapixels).",
            width=width,
            height=height,
        )

    reduce_by = max(1, max(width, height) // max_side)
    try:
        if fmt == "JPEG" and reduce_by > 1:
            # draft keeps at least the requested size, so ask for max_side.
            im.draft("RGB", (max(1, width // reduce_by), max(1, height // reduce_by)))
        elif fmt == "JPEG2000" and reduce_by > 1:
            im.reduce = min(MAX_J2K_REDUCE, reduce_by.bit_length() - 1)
        im = _load(im, data, fmt, width * height)
        if fmt == "JPEG":
            im = ImageOps.exif_transpose(im)
        im = im.convert("RGB")
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as exc:
        raise CorruptImageError() from exc
    if max(im.size) > max_side:
        im.thumbnail((max_side, max_side), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return DecodedImage(
        rgb=np.asarray(im, dtype=np.uint8), format=fmt, original_size=(width, height)
    )


def _load(im: Image.Image, data: bytes, fmt: str, pixels: int) -> Image.Image:
    try:
        im.load()
        return im
    except OSError:
        # A JPEG 2000 file with fewer resolution levels than asked for: decode
        # at full size, but only if that is within the full-decode bound.
        if fmt != "JPEG2000" or not getattr(im, "_reduce", 0):
            raise
        if pixels > MAX_PIXELS_FULL:
            raise ImageTooLargeError("The image has too many pixels to process.") from None
        again = Image.open(io.BytesIO(data), formats=[fmt])
        again.load()
        return again


def as_rgb(frame, max_side: int) -> np.ndarray:
    """A frame given as encoded bytes or as pixels (H x W x 3 or H x W, uint8) -> RGB pixels."""
    if not isinstance(frame, np.ndarray):
        return decode_image(frame, max_side).rgb
    if (
        frame.dtype != np.uint8
        or frame.ndim not in (2, 3)
        or (frame.ndim == 3 and frame.shape[2] != 3)
        or min(frame.shape[:2]) < 1
    ):
        raise UnsupportedFormatError(
            "A camera frame must be 8-bit RGB or grey pixels.",
            shape=list(frame.shape),
            dtype=str(frame.dtype),
        )
    if frame.ndim == 2:
        frame = np.stack([frame] * 3, axis=-1)
    if frame.shape[0] * frame.shape[1] > MAX_PIXELS_FULL:
        raise ImageTooLargeError(width=frame.shape[1], height=frame.shape[0])
    if max(frame.shape[:2]) > max_side:
        im = Image.fromarray(np.ascontiguousarray(frame))
        im.thumbnail((max_side, max_side), Image.Resampling.BILINEAR, reducing_gap=2.0)
        frame = np.asarray(im)
    return frame


def encode_jpeg(rgb: np.ndarray, quality: int = 90) -> bytes:
    """Encode pixels as JPEG (used by tests, the CLI and the calibration)."""
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, "JPEG", quality=quality)
    return out.getvalue()
