"""The card's answer-to-reset (ISO/IEC 7816-3 8.2, 7816-4 8.1.1).

Contactless ATR as a PC/SC reader builds it for an ISO 14443-4 card:
TS=3B, T0=8n (TD1 follows, n historical bytes), TD1=80 (TD2 follows, T=0),
TD2=01 (T=1), historical bytes, TCK. The historical bytes start with category
indicator 80 (compact-TLV objects follow) and hold the card capabilities
'73' b1 b2 b3; b3 bit 0x80 = command chaining, bit 0x40 = extended Lc/Le.
"""

from __future__ import annotations

# Card capabilities, first byte: DF selection by full DF name (0x80), by file
# identifier (0x10), short EF identifiers supported (0x04). Second: data coding byte.
_SELECTION = 0x94
_DATA_CODING = 0x21
CAP_CHAINING = 0x80
CAP_EXTENDED = 0x40


def historical_bytes(extended_length: bool) -> bytes:
    third = CAP_CHAINING | (CAP_EXTENDED if extended_length else 0)
    return bytes((0x80, 0x73, _SELECTION, _DATA_CODING, third))


def build_atr(extended_length: bool = True) -> bytes:
    hist = historical_bytes(extended_length)
    body = bytes((0x80 | len(hist), 0x80, 0x01)) + hist
    tck = 0
    for b in body:  # TCK: XOR of T0 .. last historical byte
        tck ^= b
    return b"\x3b" + body + bytes((tck,))


def supports_extended_length(atr: bytes) -> bool:
    """Read back the capability bit from an ATR of this shape (used by tests and the CLI)."""
    hist_len = atr[1] & 0x0F
    hist = atr[-1 - hist_len : -1]
    i = 1 if hist[:1] == b"\x80" else 0
    while i < len(hist):
        tag, length = hist[i] >> 4, hist[i] & 0x0F
        if tag == 0x7 and length == 3:
            return bool(hist[i + 3] & CAP_EXTENDED)
        i += 1 + length
    return False
