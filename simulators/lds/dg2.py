"""DG2, the encoded face (ICAO Doc 9303-10 §4.7.2).

``75`` -> ``7F61`` biometric information group template { ``02`` count,
``7F60`` biometric information template { ``A1`` biometric header template,
``5F2E`` biometric data block } }. The data block is an ISO/IEC 19794-5:2005
facial record. (The newer ISO/IEC 39794-5 layout, a ``7F2E`` block, is not
written: its ASN.1 module was not at hand to follow.)
"""
from __future__ import annotations

import struct
from datetime import datetime

from .tlv import LDSEncodeError, der_integer, tlv

TAG_DG2 = 0x75
IMAGE_DATA_TYPE = {"jpeg": 0, "jp2": 1}        # 19794-5 §5.7.2
FORMAT_OWNER_ISO = 0x0101                      # ISO/IEC JTC 1/SC 37
FORMAT_TYPE_19794_5 = 0x0008


def facial_record_19794_5(image: bytes, fmt: str, width: int, height: int, *, gender: int = 0,
                          face_image_type: int = 1) -> bytes:
    """ISO/IEC 19794-5 record: header, one facial information block, image information, image.

    gender: 0 unspecified, 1 male, 2 female; face_image_type 1 = full frontal.
    """
    if fmt not in IMAGE_DATA_TYPE:
        raise LDSEncodeError(f"unknown image format {fmt!r}")
    image_info = struct.pack(">BBHHBBHH", face_image_type, IMAGE_DATA_TYPE[fmt], width, height,
                             1,          # colour space: 24-bit RGB
                             2,          # source type: digital still camera
                             0, 0)       # device type, quality: unspecified
    face_info_len = 20
    record_data_len = face_info_len + len(image_info) + len(image)
    face_info = struct.pack(">IHBBB3sH3s3s", record_data_len, 0, gender, 0, 0,
                            b"\x00\x00\x00",      # property mask: none specified
                            0,                    # expression unspecified
                            b"\x00\x00\x00",      # pose angles yaw/pitch/roll unspecified
                            b"\x00\x00\x00")      # pose angle uncertainty
    header_len = 14
    header = b"FAC\x00" + b"010\x00" + struct.pack(">IH", header_len + record_data_len, 1)
    return header + face_info + image_info + image


def biometric_header_template(format_type: int, *, creation: datetime | None = None) -> bytes:
    """A1: 80 ICAO header version 0101, 81 biometric type 02 (face), 87 format owner,
    88 format type (+ 83 creation date as BCD YYYYMMDDhhmmss when given)."""
    body = tlv(0x80, b"\x01\x01") + tlv(0x81, b"\x02")
    if creation is not None:
        body += tlv(0x83, bytes.fromhex(creation.strftime("%Y%m%d%H%M%S")))
    body += tlv(0x87, FORMAT_OWNER_ISO.to_bytes(2, "big")) + tlv(0x88, format_type.to_bytes(2, "big"))
    return tlv(0xA1, body)


def encode_dg2(image: bytes, fmt: str, width: int, height: int, *, gender: int = 0,
               creation: datetime | None = None) -> bytes:
    bht = biometric_header_template(FORMAT_TYPE_19794_5, creation=creation)
    block = tlv(0x5F2E, facial_record_19794_5(image, fmt, width, height, gender=gender))
    bit = tlv(0x7F60, bht + block)
    return tlv(TAG_DG2, tlv(0x7F61, der_integer(1) + bit))
