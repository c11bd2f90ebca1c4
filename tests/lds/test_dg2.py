"""DG2: the BSI reference (19794-5, JPEG 2000), synthetic 19794-5 JPEG, 39794-5, and malformed
records."""

from __future__ import annotations

import hashlib
import io
import struct

import pytest
from PIL import Image

from cardreader import tlv
from cardreader.errors import ParseError
from cardreader.lds.dg2 import DG2, image_format, image_size


def _image(fmt: str, size=(48, 64)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (120, 90, 60)).save(buf, format="JPEG" if fmt == "jpeg" else "JPEG2000")
    return buf.getvalue()


def _record_19794(
    image: bytes, data_type: int, width: int, height: int, n_points: int = 0
) -> bytes:
    """FAC record, written field by field from ISO/IEC 19794-5:2005 (independent of the parser)."""
    image_info = struct.pack(">BBHHBBHH", 1, data_type, width, height, 1, 2, 0, 0)
    points = b"\x01\x00\x00\x10\x00\x20\x00\x00" * n_points
    facial = (
        struct.pack(
            ">IHBBB3sH3s3s",
            20 + len(points) + 12 + len(image),
            n_points,
            1,
            1,
            1,
            b"\x00\x00\x01",
            0,
            b"\x00\x00\x00",
            b"\x00\x00\x00",
        )
        + points
        + image_info
        + image
    )
    return b"FAC\x00" + b"010\x00" + struct.pack(">IH", 14 + len(facial), 1) + facial


def _dg2(bdb: bytes, bdb_tag: int = 0x5F2E) -> bytes:
    header = tlv.encode(
        0xA1,
        tlv.encode(0x81, b"\x02") + tlv.encode(0x87, b"\x01\x01") + tlv.encode(0x88, b"\x00\x08"),
    )
    bit = tlv.encode(0x7F60, header + tlv.encode(bdb_tag, bdb))
    return tlv.encode(0x75, tlv.encode(0x7F61, tlv.encode(0x02, b"\x01") + bit))


def test_bsi_reference_dg2(shared_dir):
    raw = (shared_dir / "pki/bsi-tr03105-5/Datagroup2.bin").read_bytes()
    dg2 = DG2.from_bytes(raw)
    assert dg2.raw == raw and dg2.declared_count == 1 and len(dg2.faces) == 1
    face = dg2.face
    assert (face.standard, face.image_format, face.declared_format) == ("19794-5", "jp2", "jp2")
    assert len(face.image) == 14999 and face.image[:12] == bytes.fromhex("0000000C6A5020200D0A870A")
    # Pillow agrees with the size read from the JP2 header; the record itself states 337x449.
    assert (face.width, face.height) == Image.open(io.BytesIO(face.image)).size == (413, 531)
    assert (face.declared_width, face.declared_height) == (337, 449)
    assert face.warnings == ["record declares 337x449, the image is 413x531"]
    assert face.sha256 == hashlib.sha256(face.image).hexdigest()
    assert face.biometric_header[0x87] == b"\x01\x01"


@pytest.mark.parametrize("fmt,data_type,points", [("jpeg", 0, 0), ("jp2", 1, 3)])
def test_synthetic_19794(fmt, data_type, points):
    image = _image(fmt)
    dg2 = DG2.from_bytes(_dg2(_record_19794(image, data_type, 48, 64, points)))
    face = dg2.face
    assert (face.image, face.image_format, face.width, face.height) == (image, fmt, 48, 64)
    assert face.feature_points == points and face.warnings == []


def test_declared_type_disagrees_with_magic():
    image = _image("jpeg")
    face = DG2.from_bytes(_dg2(_record_19794(image, 1, 48, 64))).face
    assert face.image_format == "jpeg" and face.declared_format == "jp2"
    assert "record declares jp2, image bytes are jpeg" in face.warnings


def _iso39794(image: bytes, code: int) -> bytes:
    """FaceImageDataBlock content: versionBlock [0], representationBlocks [1] -> SEQUENCE ->
    imageRepresentation [1] -> base [0] -> 2D block [0] -> representationData2D [0], info [1]."""
    version = tlv.encode(0xA0, tlv.encode(0x80, b"\x03") + tlv.encode(0x81, b"\x07\xe3"))
    info = tlv.encode(0xA1, tlv.encode(0xA0, tlv.encode(0x80, bytes([code]))))
    two_d = tlv.encode(0xA0, tlv.encode(0x80, image) + info)
    rep = tlv.encode(0x30, tlv.encode(0x80, b"\x01") + tlv.encode(0xA1, tlv.encode(0xA0, two_d)))
    return version + tlv.encode(0xA1, rep)


@pytest.mark.parametrize("fmt", ["jpeg", "jp2"])
def test_iso39794(fmt):
    image = _image(fmt, (40, 52))
    face = DG2.from_bytes(_dg2(_iso39794(image, 2), 0x7F2E)).face
    assert (face.standard, face.image, face.image_format, face.width, face.height) == (
        "39794-5",
        image,
        fmt,
        40,
        52,
    )
    assert face.declared_format_code == 2 and face.warnings == []


def test_iso39794_unexpected_layout_falls_back_to_magic():
    image = _image("jpeg")
    face = DG2.from_bytes(_dg2(tlv.encode(0xA5, tlv.encode(0x84, image)), 0x7F2E)).face
    assert face.image == image and "magic bytes" in face.warnings[0]


def test_magic_and_size_helpers():
    assert image_format(b"\xff\xd8\xff\xe0") == "jpeg"
    assert image_format(bytes.fromhex("FF4FFF51")) == "jp2"
    assert image_format(b"GIF89a") is None
    # A raw J2K codestream: SIZ gives Xsiz - XOsiz by Ysiz - YOsiz.
    siz = bytes.fromhex("FF4FFF51002F0000") + struct.pack(">IIII", 110, 140, 10, 20)
    assert image_size(siz) == (100, 120)
    assert image_size(b"\xff\xd8\xff") is None


@pytest.mark.parametrize(
    "bdb,message",
    [
        (b"FAX\x00010\x00" + bytes(40), "does not start with 'FAC"),
        (b"FAC\x00020\x00" + bytes(40), "version"),
        (b"FAC\x00010\x00" + bytes(4), "shorter than its fixed headers"),
        (
            b"FAC\x00010\x00"
            + struct.pack(">IH", 14 + 32, 1)
            + struct.pack(">I", 9999)
            + bytes(28),
            "block length 9999 does not fit",
        ),
    ],
)
def test_malformed_19794(bdb, message):
    with pytest.raises(ParseError, match=message) as err:
        DG2.from_bytes(_dg2(bdb))
    assert err.value.file == "DG2"


def test_dg2_structure_errors():
    with pytest.raises(ParseError, match="wrong outer tag 61, expected 75"):
        DG2.from_bytes(tlv.encode(0x61, b""))
    with pytest.raises(ParseError, match="no biometric information group template"):
        DG2.from_bytes(tlv.encode(0x75, tlv.encode(0x02, b"\x01")))
    with pytest.raises(ParseError, match="no biometric information template"):
        DG2.from_bytes(tlv.encode(0x75, tlv.encode(0x7F61, tlv.encode(0x02, b"\x01"))))
    with pytest.raises(ParseError, match="no biometric data block"):
        DG2.from_bytes(
            tlv.encode(0x75, tlv.encode(0x7F61, tlv.encode(0x7F60, tlv.encode(0xA1, b""))))
        )
    with pytest.raises(ParseError, match="holds no JPEG or JPEG 2000"):
        DG2.from_bytes(_dg2(tlv.encode(0x80, b"not an image"), 0x7F2E))
