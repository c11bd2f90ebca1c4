"""LDS encoders for the virtual CCCD (ICAO Doc 9303-10/-11, ISO/IEC 19794-5, RFC 5652).

Card side only: written from the specifications, independently of ``cardreader.lds``.
"""

from .cms import encode_sod, lds_security_object, signed_data
from .dg2 import encode_dg2, facial_record_19794_5
from .files import DG_TAGS, encode_com, encode_dg1, encode_dg13, encode_dg15
from .mrz import check_digit, mrz_information, td1_lines
from .security_infos import CCCD_CARD_ACCESS, encode_card_access, encode_dg14, pace_oid
from .tlv import encode_length, tlv

__all__ = [
    "CCCD_CARD_ACCESS",
    "DG_TAGS",
    "check_digit",
    "encode_card_access",
    "encode_com",
    "encode_dg1",
    "encode_dg2",
    "encode_dg13",
    "encode_dg14",
    "encode_dg15",
    "encode_length",
    "encode_sod",
    "facial_record_19794_5",
    "lds_security_object",
    "mrz_information",
    "pace_oid",
    "signed_data",
    "td1_lines",
    "tlv",
]
