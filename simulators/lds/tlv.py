"""BER-TLV encoding for the LDS (ICAO Doc 9303-10 §4.4, ISO/IEC 7816-4 §5.2).

Encoding only, always in the definite form with the shortest length: the card
side builds files; it never has to parse tolerant input.
"""

from __future__ import annotations


class LDSEncodeError(ValueError):
    """An LDS element that cannot be encoded as asked (bad option, value out of range)."""


def encode_length(n: int) -> bytes:
    """Short form below 128, else 81 xx / 82 xxxx / 83 xxxxxx (long form)."""
    if n < 0:
        raise LDSEncodeError("a length cannot be negative")
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    if len(body) > 4:
        raise LDSEncodeError("length too large for a card file")
    return bytes([0x80 | len(body)]) + body


def encode_tag(tag: int) -> bytes:
    """A tag given as an int holding its bytes, e.g. 0x5F1F or 0x7F61."""
    if tag < 0:
        raise LDSEncodeError("a tag cannot be negative")
    return tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")


def tlv(tag: int, value: bytes) -> bytes:
    return encode_tag(tag) + encode_length(len(value)) + value


def der_integer(value: int) -> bytes:
    """DER INTEGER (two's complement, minimal)."""
    length = max(1, (value.bit_length() + 8) // 8) if value >= 0 else (value.bit_length() + 8) // 8
    return tlv(0x02, value.to_bytes(length, "big", signed=True))


def der_oid(dotted: str) -> bytes:
    """DER OBJECT IDENTIFIER from its dotted form."""
    arcs = [int(a) for a in dotted.split(".")]
    if len(arcs) < 2 or arcs[0] > 2 or (arcs[0] < 2 and arcs[1] > 39):
        raise LDSEncodeError(f"not an object identifier: {dotted!r}")
    body = bytearray()
    for arc in [40 * arcs[0] + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body += bytes(reversed(chunk))
    return tlv(0x06, bytes(body))


def der_sequence(*items: bytes) -> bytes:
    return tlv(0x30, b"".join(items))


def der_set(*items: bytes, sort: bool = False) -> bytes:
    """SET (OF); DER sorts the encodings of a SET OF, real chips often do not."""
    parts = sorted(items) if sort else list(items)
    return tlv(0x31, b"".join(parts))


def der_utf8(text: str) -> bytes:
    return tlv(0x0C, text.encode("utf-8"))


def der_printable(text: str) -> bytes:
    return tlv(0x13, text.encode("ascii"))


def der_octet_string(data: bytes) -> bytes:
    return tlv(0x04, data)
