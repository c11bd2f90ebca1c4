"""DG2, the encoded face (ICAO Doc 9303-10 §4.7.2; ISO/IEC 19794-5:2005 and ISO/IEC 39794-5).

``75`` -> ``7F61`` biometric information group template (``02`` count) ->
one ``7F60`` per face: ``A1`` biometric header template, then the biometric
data block, either ``5F2E`` (an ISO/IEC 19794-5 facial record: "FAC\\0",
version "010\\0", record header, facial information, image information,
image bytes) or ``7F2E`` (ISO/IEC 39794-5, ASN.1-encoded).

The image format is taken from the image's own magic bytes (JPEG ``FFD8``,
JP2 signature box, J2K codestream ``FF4F FF51``); the record's declared type
is kept and a disagreement noted in ``warnings``. Width and height come from
the image header (JPEG SOF, JP2 ``ihdr``, J2K ``SIZ``) when it can be read,
else from the record; a record that declares another size keeps it in
``declared_width``/``declared_height`` with a warning.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field

from cardreader import tlv
from cardreader.errors import ParseError

TAG_DG2 = 0x75
TAG_BIT_GROUP = 0x7F61
TAG_BIT = 0x7F60
TAG_BHT = 0xA1
TAG_BDB = 0x5F2E
TAG_BDB_CONSTRUCTED = 0x7F2E

JP2_SIGNATURE = bytes.fromhex("0000000C6A5020200D0A870A")
J2K_SIGNATURE = bytes.fromhex("FF4FFF51")
_FAC_HEADER = 14  # "FAC\0" + "010\0" + record length (4) + number of faces (2)
_FACIAL_INFO = 20  # block length (4), feature points (2), gender ... pose uncertainty
_IMAGE_INFO = 12  # image type, data type, width, height, colour space, source, device, quality
_DATA_TYPES = {0: "jpeg", 1: "jp2"}


def image_format(data: bytes) -> str | None:
    """'jpeg' or 'jp2' (JP2 file or raw J2K codestream) by magic bytes, else None."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:12] == JP2_SIGNATURE or data[:4] == J2K_SIGNATURE:
        return "jp2"
    return None


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) read from a JPEG, JP2 or J2K header; None when not found."""
    try:
        if data[:2] == b"\xff\xd8":
            return _jpeg_size(data)
        if data[:12] == JP2_SIGNATURE:
            return _jp2_size(data)
        if data[:4] == J2K_SIGNATURE:
            return _siz(data, 2)
    except (struct.error, IndexError):
        return None
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        (seg_len,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        # SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry height then width.
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return width, height
        if marker == 0xDA:  # start of scan before any SOF
            return None
        pos += 2 + seg_len
    return None


def _jp2_size(data: bytes) -> tuple[int, int] | None:
    pos = 0
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        header = 8
        if length == 1:
            (length,) = struct.unpack(">Q", data[pos + 8 : pos + 16])
            header = 16
        elif length == 0:
            length = len(data) - pos
        if length < header:
            return None
        if kind == b"jp2h":  # superbox: look inside for ihdr
            inner = pos + header
            while inner + 8 <= pos + length:
                (ilen,) = struct.unpack(">I", data[inner : inner + 4])
                if data[inner + 4 : inner + 8] == b"ihdr":
                    height, width = struct.unpack(">II", data[inner + 8 : inner + 16])
                    return width, height
                if ilen < 8:
                    return None
                inner += ilen
        if kind == b"jp2c":
            return _siz(data, pos + header + 2)
        pos += length
    return None


def _siz(data: bytes, pos: int) -> tuple[int, int] | None:
    """J2K SIZ marker segment at ``pos`` (FF51): Xsiz - XOsiz, Ysiz - YOsiz."""
    if data[pos : pos + 2] != b"\xff\x51":
        return None
    xsiz, ysiz, xo, yo = struct.unpack(">IIII", data[pos + 6 : pos + 22])
    return xsiz - xo, ysiz - yo


@dataclass(repr=False)
class Face:
    image: bytes
    image_format: str | None  # 'jpeg' | 'jp2' (by magic bytes), None if unrecognised
    width: int | None
    height: int | None
    standard: str  # '19794-5' | '39794-5'
    declared_format: str | None = None  # 19794-5: the record's image data type
    declared_format_code: int | None = None  # 39794-5: imageDataFormat code, uninterpreted
    declared_width: int | None = None  # 19794-5: as the record states (the image may differ)
    declared_height: int | None = None
    gender: int | None = None
    eye_colour: int | None = None
    hair_colour: int | None = None
    feature_points: int | None = None
    face_image_type: int | None = None
    biometric_header: dict[int, bytes] = field(default_factory=dict)  # A1 content: tag -> value
    warnings: list[str] = field(default_factory=list)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.image).hexdigest()

    def __repr__(self) -> str:
        return (
            f"Face({self.standard}, {self.image_format}, {self.width}x{self.height}, "
            f"{len(self.image)} bytes)"
        )


@dataclass(repr=False)
class DG2:
    raw: bytes
    faces: list[Face]
    declared_count: int | None = None

    @property
    def face(self) -> Face:
        """The first face (the most recent, by 9303-10)."""
        return self.faces[0]

    def __repr__(self) -> str:
        return f"DG2(faces={self.faces!r})"

    @classmethod
    def from_bytes(cls, raw: bytes, *, file: str = "DG2") -> DG2:
        raw = bytes(raw)
        root = tlv.decode_file(raw, TAG_DG2, file=file)
        group = root.find(TAG_BIT_GROUP)
        if not group:
            raise ParseError(
                "DG2 has no biometric information group template (7F61)", step="parse", file=file
            )
        count = group.find(0x02)
        declared = int.from_bytes(count.value, "big") if count else None
        faces = [f for bit in group.find_all(TAG_BIT) for f in _faces(bit, file)]
        if not faces:
            raise ParseError(
                "DG2 holds no biometric information template (7F60)", step="parse", file=file
            )
        return cls(raw=raw, faces=faces, declared_count=declared)


def _faces(bit: tlv.TLV, file: str) -> list[Face]:
    header = {c.tag: c.value for c in bit.find(TAG_BHT).children}
    bdb = bit.find(TAG_BDB)
    if bdb:
        faces = [_iso19794(bdb.value, file)]
    else:
        block = bit.find(TAG_BDB_CONSTRUCTED)
        if not block:
            raise ParseError(
                "DG2 face has no biometric data block (5F2E or 7F2E)", step="parse", file=file
            )
        faces = _iso39794(block, file)
    for face in faces:
        face.biometric_header = header
    return faces


def _iso19794(data: bytes, file: str) -> Face:
    def fail(msg: str) -> ParseError:
        return ParseError(f"DG2 ISO/IEC 19794-5 record: {msg}", step="parse", file=file)

    if data[:4] != b"FAC\x00":
        raise fail("does not start with 'FAC\\0'")
    if data[4:8] != b"010\x00":
        raise fail(f"version {data[4:8]!r} is not '010\\0'")
    if len(data) < _FAC_HEADER + _FACIAL_INFO + _IMAGE_INFO:
        raise fail("shorter than its fixed headers")
    record_length, faces = struct.unpack(">IH", data[8:14])
    if record_length > len(data):
        raise fail(f"record length {record_length} exceeds the {len(data)} bytes present")
    if faces < 1:
        raise fail("declares no face")
    pos = _FAC_HEADER
    (block_len, n_points, gender, eye, hair) = struct.unpack(">IHBBB", data[pos : pos + 9])
    info = pos + _FACIAL_INFO + 8 * n_points  # feature points are 8 bytes each
    end = pos + block_len
    if block_len < _FACIAL_INFO + 8 * n_points + _IMAGE_INFO or end > len(data):
        raise fail(f"facial record block length {block_len} does not fit the data")
    face_type, data_type, width, height = struct.unpack(">BBHH", data[info : info + 6])
    image = data[info + _IMAGE_INFO : end]
    fmt = image_format(image)
    declared = _DATA_TYPES.get(data_type)
    actual = image_size(image)
    face = Face(
        image=image,
        image_format=fmt,
        width=actual[0] if actual else width,
        height=actual[1] if actual else height,
        standard="19794-5",
        declared_format=declared,
        declared_width=width,
        declared_height=height,
        gender=gender,
        eye_colour=eye,
        hair_colour=hair,
        feature_points=n_points,
        face_image_type=face_type,
    )
    if actual and actual != (width, height):
        face.warnings.append(
            f"record declares {width}x{height}, the image is {actual[0]}x{actual[1]}"
        )
    if fmt is None:
        face.warnings.append("image bytes are neither JPEG nor JPEG 2000")
    elif declared and declared != fmt:
        face.warnings.append(f"record declares {declared}, image bytes are {fmt}")
    if faces > 1:
        face.warnings.append(f"record declares {faces} faces; only the first is read")
    return face


def _iso39794(block: tlv.TLV, file: str) -> list[Face]:
    """ISO/IEC 39794-5 FaceImageDataBlock (implicitly tagged, inside 7F2E).

    Path of each image: representationBlocks [1] -> each RepresentationBlock ->
    imageRepresentation [1] -> base [0] -> imageRepresentation2DBlock [0] ->
    representationData2D [0]. When that path is absent (other profiles or
    versions), the first primitive value holding JPEG / JPEG 2000 magic bytes is
    taken instead, with a warning. Width and height come from the image header.
    """
    faces: list[Face] = []
    blocks = block.find(0xA1)
    if not blocks:
        blocks = next(
            (c.find(0xA1) for c in block.children if c.constructed and c.find(0xA1)), tlv.NULL
        )
    for rep in blocks.children:
        two_d = rep.find(0xA1, 0xA0, 0xA0)
        data = two_d.find(0x80)
        if data:
            face = _face_from_image(data.value, "39794-5", file)
            code = two_d.find(0xA1, 0xA0, 0x80)
            if code:
                face.declared_format_code = int.from_bytes(code.value, "big")
            faces.append(face)
    if faces:
        return faces
    stack = [block]
    while stack:
        node = stack.pop(0)
        for child in node.children:
            if child.constructed:
                stack.append(child)
            elif image_format(child.value[:12]):
                face = _face_from_image(child.value, "39794-5", file)
                face.warnings.append(
                    "image found by its magic bytes outside the expected 39794-5 path"
                )
                return [face]
    raise ParseError(
        "DG2 ISO/IEC 39794-5 block holds no JPEG or JPEG 2000 image", step="parse", file=file
    )


def _face_from_image(image: bytes, standard: str, file: str) -> Face:
    size = image_size(image) or (None, None)
    face = Face(
        image=image,
        image_format=image_format(image),
        width=size[0],
        height=size[1],
        standard=standard,
    )
    if face.image_format is None:
        face.warnings.append("image bytes are neither JPEG nor JPEG 2000")
    elif size == (None, None):
        face.warnings.append("image size not found in the image header")
    return face
