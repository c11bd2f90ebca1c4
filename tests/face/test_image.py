"""Bounded decoding: formats, damage and size limits each give their own error."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageFile

from edge.face import image as image_mod
from edge.face.errors import CorruptImageError, ImageTooLargeError, UnsupportedFormatError
from edge.face.image import decode_image


def encoded(im: Image.Image, fmt: str, **kw) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **kw)
    return out.getvalue()


def gradient(w: int, h: int) -> Image.Image:
    x = np.linspace(0, 255, w, dtype=np.float32)[None, :, None]
    y = np.linspace(0, 255, h, dtype=np.float32)[:, None, None]
    return Image.fromarray(np.broadcast_to((x + y) / 2, (h, w, 3)).astype(np.uint8))


@pytest.mark.parametrize(
    "fmt,kw,name",
    [
        ("JPEG", {}, "JPEG"),
        ("PNG", {}, "PNG"),
        ("JPEG2000", {}, "JPEG2000"),
        ("JPEG2000", {"no_jp2": True}, "JPEG2000"),
    ],
)
def test_supported_formats_decode_to_rgb(fmt, kw, name):
    img = decode_image(encoded(gradient(120, 160), fmt, **kw), max_side=640)
    assert img.format == name
    assert img.rgb.shape == (160, 120, 3) and img.rgb.dtype == np.uint8
    assert img.original_size == (120, 160)


def test_large_jpeg_is_decoded_at_reduced_scale():
    big = Image.new("L", (6000, 4000), 128)  # 24 MP: under the limit, decoded via draft
    img = decode_image(encoded(big, "JPEG", quality=50), max_side=640)
    assert max(img.rgb.shape[:2]) == 640
    assert img.original_size == (6000, 4000)


def test_jpeg2000_is_decoded_at_a_lower_resolution_level():
    data = encoded(gradient(2400, 1800), "JPEG2000", quality_mode="rates", quality_layers=[40])
    img = decode_image(data, max_side=300)
    assert max(img.rgb.shape[:2]) == 300
    # The gradient survives the reduced decode.
    assert img.rgb[0, 0, 0] < 20 and img.rgb[-1, -1, 0] > 230


def test_fifty_megapixel_jpeg_is_downscaled_first_in_bounded_memory():
    import tracemalloc

    data = encoded(Image.new("L", (8660, 5780), 200), "JPEG", quality=30)  # 50.05 MP, solid
    tracemalloc.start()
    try:
        img = decode_image(data, max_side=640)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert max(img.rgb.shape[:2]) == 640 and img.original_size == (8660, 5780)
    assert peak < 16_000_000  # a full decode alone would take 50 MB


def _with_declared_size(jpeg: bytes, width: int, height: int) -> bytes:
    """Rewrite a baseline JPEG's SOF0 dimensions: a tiny file that declares a huge image."""
    sof = jpeg.index(b"\xff\xc0")
    return jpeg[: sof + 5] + height.to_bytes(2, "big") + width.to_bytes(2, "big") + jpeg[sof + 9 :]


def test_a_jpeg_declaring_too_many_pixels_is_refused_from_its_header(monkeypatch):
    data = _with_declared_size(encoded(gradient(64, 64), "JPEG"), 15000, 10000)  # 150 MP declared
    small = encoded(gradient(64, 64), "JPEG")
    loads = []

    def spy(self, *args):
        loads.append(self.size)
        return original(self, *args)

    original = ImageFile.ImageFile.load
    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    with pytest.raises(ImageTooLargeError, match="15000x10000"):
        decode_image(data, max_side=640)
    assert loads == []  # refused before a single pixel was decoded
    decode_image(small, max_side=640)
    assert loads and set(loads) == {(64, 64)}  # the spy does see a normal decode


def test_png_has_a_lower_pixel_limit(monkeypatch):
    monkeypatch.setattr(image_mod, "MAX_PIXELS_FULL", 10_000)
    with pytest.raises(ImageTooLargeError) as info:
        decode_image(encoded(gradient(200, 100), "PNG"), max_side=640)
    assert info.value.code == "image_too_large" and info.value.details["width"] == 200


def test_truncated_jpeg_is_corrupt():
    data = encoded(gradient(300, 300), "JPEG")
    with pytest.raises(CorruptImageError) as info:
        decode_image(data[: len(data) // 2], max_side=640)
    assert info.value.code == "corrupt_image"


def test_jpeg_with_garbage_after_the_marker_is_corrupt():
    with pytest.raises(CorruptImageError):
        decode_image(b"\xff\xd8\xff" + b"\x00" * 64, max_side=640)


@pytest.mark.parametrize(
    "data", [b"GIF89a" + b"\x00" * 32, b"%PDF-1.7 hello", b"BM" + b"\x00" * 60, bytes(range(256))]
)
def test_other_formats_are_unsupported(data):
    with pytest.raises(UnsupportedFormatError) as info:
        decode_image(data, max_side=640)
    assert info.value.code == "unsupported_format" and "JPEG" in info.value.message


@pytest.mark.parametrize("data", [b"", None, "not bytes"])
def test_empty_or_non_bytes_input_is_refused(data):
    with pytest.raises(CorruptImageError, match="empty"):
        decode_image(data, max_side=640)


def test_too_many_bytes_is_refused_before_parsing(monkeypatch):
    monkeypatch.setattr(image_mod, "MAX_BYTES", 100)
    with pytest.raises(ImageTooLargeError, match="file is too large"):
        decode_image(encoded(gradient(64, 64), "PNG"), max_side=640)


def test_pixel_frames_are_checked_and_bounded():
    from edge.face.image import as_rgb

    grey = np.full((30, 40), 7, np.uint8)
    assert as_rgb(grey, 640).shape == (30, 40, 3)
    assert as_rgb(np.zeros((1200, 1600, 3), np.uint8), 800).shape == (600, 800, 3)
    for bad in (
        np.zeros((30, 40, 3), np.float32),
        np.zeros((30, 40, 4), np.uint8),
        np.zeros((0, 4, 3), np.uint8),
    ):
        with pytest.raises(UnsupportedFormatError, match="8-bit"):
            as_rgb(bad, 640)
    assert as_rgb(encoded(gradient(50, 20), "PNG"), 640).shape == (20, 50, 3)
