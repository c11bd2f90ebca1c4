"""Minimal BER-TLV for the card's own data objects (tags up to two bytes)."""

from __future__ import annotations

from simulators.card.errors import SW_WRONG_DATA, SWError


def encode_length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    size = (n.bit_length() + 7) // 8
    return bytes((0x80 | size,)) + n.to_bytes(size, "big")


def tlv(tag: int, value: bytes) -> bytes:
    tag_bytes = tag.to_bytes((tag.bit_length() + 7) // 8 or 1, "big")
    return tag_bytes + encode_length(len(value)) + value


def read_tlv(data: bytes, pos: int = 0) -> tuple[int, bytes, int]:
    """Return (tag, value, next position); malformed input raises SWError(6A80)."""
    try:
        tag = data[pos]
        pos += 1
        if tag & 0x1F == 0x1F:  # multi-byte tag
            while True:
                tag = (tag << 8) | data[pos]
                pos += 1
                if not data[pos - 1] & 0x80:
                    break
        first = data[pos]
        pos += 1
        if first < 0x80:
            length = first
        else:
            count = first & 0x7F
            if count == 0 or count > 3:
                raise SWError(SW_WRONG_DATA, "unsupported length encoding")
            length = int.from_bytes(data[pos : pos + count], "big")
            if len(data[pos : pos + count]) != count:
                raise IndexError
            pos += count
        value = data[pos : pos + length]
        if len(value) != length:
            raise IndexError
        return tag, value, pos + length
    except IndexError:
        raise SWError(SW_WRONG_DATA, "truncated data object") from None


def parse_tlvs(data: bytes) -> list[tuple[int, bytes]]:
    """All TLVs at one level, in order."""
    out = []
    pos = 0
    while pos < len(data):
        tag, value, pos = read_tlv(data, pos)
        out.append((tag, value))
    return out


def tlv_dict(data: bytes) -> dict[int, bytes]:
    """One level of TLVs by tag (first occurrence wins)."""
    out: dict[int, bytes] = {}
    for tag, value in parse_tlvs(data):
        out.setdefault(tag, value)
    return out


def is_complete_tlv(data: bytes) -> bool:
    """True when ``data`` is exactly one whole TLV (used to join chained commands)."""
    try:
        _, _, end = read_tlv(data, 0)
    except SWError:
        return False
    return end == len(data)
