"""DG2, the encoded face (ICAO Doc 9303-10 §4.7.2).

``75`` -> ``7F61`` biometric information group template { ``02`` count,
``7F60`` biometric information template { ``A1`` biometric header template,
``5F2E`` biometric data block } }. The data block is an ISO/IEC 19794-5:2005
facial record, or with ``iso39794=True`` a ``7F2E`` block holding an ISO/IEC
39794-5:2019 FaceImageDataBlock (DER, AUTOMATIC TAGS: SEQUENCEs implicitly
tagged, CHOICEs explicitly), with only the mandatory blocks plus the image size.
"""

from __future__ import annotations

import struct
from datetime import datetime

from .tlv import LDSEncodeError, der_integer, tlv

TAG_DG2 = 0x75
IMAGE_DATA_TYPE = {"jpeg": 0, "jp2": 1}  # 19794-5 §5.7.2
FORMAT_OWNER_ISO = 0x0101  # ISO/IEC JTC 1/SC 37
FORMAT_TYPE_19794_5 = 0x0008
FORMAT_TYPE_39794_5 = 0x002A  # IBIA CBEFF registry: g3-binary-face-image
IMAGE_DATA_FORMAT_39794 = {"jpeg": 2, "jp2": 3}  # 3 = JPEG 2000 lossy (4 would be lossless)


def facial_record_19794_5(
    image: bytes, fmt: str, width: int, height: int, *, gender: int = 0, face_image_type: int = 1
) -> bytes:
    """ISO/IEC 19794-5 record: header, one facial information block, image information, image.

    gender: 0 unspecified, 1 male, 2 female; face_image_type 1 = full frontal.
    """
    if fmt not in IMAGE_DATA_TYPE:
        raise LDSEncodeError(f"unknown image format {fmt!r}")
    image_info = struct.pack(
        ">BBHHBBHH",
        face_image_type,
        IMAGE_DATA_TYPE[fmt],
        width,
        height,
        1,  # colour space: 24-bit RGB
        2,  # source type: digital still camera
        0,
        0,
    )  # device type, quality: unspecified
    face_info_len = 20
    record_data_len = face_info_len + len(image_info) + len(image)
    face_info = struct.pack(
        ">IHBBB3sH3s3s",
        record_data_len,
        0,
        gender,
        0,
        0,
        b"\x00\x00\x00",  # property mask: none specified
        0,  # expression unspecified
        b"\x00\x00\x00",  # pose angles yaw/pitch/roll unspecified
        b"\x00\x00\x00",
    )  # pose angle uncertainty
    header_len = 14
    header = b"FAC\x00" + b"010\x00" + struct.pack(">IH", header_len + record_data_len, 1)
    return header + face_info + image_info + image


def face_image_data_block_39794_5(
    image: bytes, fmt: str, width: int, height: int, *, generation: int = 3, year: int = 2019
) -> bytes:
    """FaceImageDataBlock ::= [APPLICATION 5] SEQUENCE { versionBlock [0],
    representationBlocks [1] } with one RepresentationBlock { representationId [0],
    imageRepresentation [1] CHOICE { base [0] CHOICE { imageRepresentation2DBlock [0] {
    representationData2D [0], imageInformation2DBlock [1] { imageDataFormat [0] CHOICE {
    code [0] }, imageSizeBlock [7] } } } } }."""
    if fmt not in IMAGE_DATA_FORMAT_39794:
        raise LDSEncodeError(f"unknown image format {fmt!r}")

    def ctx(n: int, value: bytes, constructed: bool = True) -> bytes:
        return tlv((0xA0 if constructed else 0x80) | n, value)

    def ctx_int(n: int, value: int) -> bytes:
        return ctx(n, der_integer(value)[2:], constructed=False)

    version = ctx(0, ctx_int(0, generation) + ctx_int(1, year))
    image_info = ctx(
        1,
        ctx(0, ctx_int(0, IMAGE_DATA_FORMAT_39794[fmt]))
        + ctx(7, ctx_int(0, width) + ctx_int(1, height)),
    )
    rep_2d = ctx(0, ctx(0, image, constructed=False) + image_info)
    representation = tlv(0x30, ctx_int(0, 0) + ctx(1, ctx(0, rep_2d)))
    return tlv(0x65, version + ctx(1, representation))


def biometric_header_template(format_type: int, *, creation: datetime | None = None) -> bytes:
    """A1: 80 ICAO header version 0101, 81 biometric type 02 (face), 87 format owner,
    88 format type (+ 83 creation date as BCD YYYYMMDDhhmmss when given)."""
    body = tlv(0x80, b"\x01\x01") + tlv(0x81, b"\x02")
    if creation is not None:
        body += tlv(0x83, bytes.fromhex(creation.strftime("%Y%m%d%H%M%S")))
    body += tlv(0x87, FORMAT_OWNER_ISO.to_bytes(2, "big")) + tlv(
        0x88, format_type.to_bytes(2, "big")
    )
    return tlv(0xA1, body)


def encode_dg2(
    image: bytes,
    fmt: str,
    width: int,
    height: int,
    *,
    gender: int = 0,
    creation: datetime | None = None,
    iso39794: bool = False,
) -> bytes:
    if iso39794:
        bht = biometric_header_template(FORMAT_TYPE_39794_5, creation=creation)
        block = tlv(0x7F2E, face_image_data_block_39794_5(image, fmt, width, height))
    else:
        bht = biometric_header_template(FORMAT_TYPE_19794_5, creation=creation)
        block = tlv(0x5F2E, facial_record_19794_5(image, fmt, width, height, gender=gender))
    bit = tlv(0x7F60, bht + block)
    return tlv(TAG_DG2, tlv(0x7F61, der_integer(1) + bit))
