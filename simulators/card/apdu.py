"""ISO/IEC 7816-4 command APDU decoding (short and extended length).

Cases: 1 (header only), 2 (Le), 3 (Lc data), 4 (Lc data Le), each short or
extended. ``ne`` is the number of bytes the terminal expects: None when Le is
absent, 256 for a short Le of 00, 65536 for an extended Le of 0000.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulators.card.errors import SW_WRONG_LENGTH, SWError


@dataclass(frozen=True)
class CommandAPDU:
    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    ne: int | None = None
    extended: bool = False

    @property
    def header(self) -> bytes:
        return bytes((self.cla, self.ins, self.p1, self.p2))

    @property
    def chained(self) -> bool:
        """CLA bit 0x10: more commands of this chain follow (ISO 7816-4 5.1.1)."""
        return bool(self.cla & 0x10)

    @property
    def secure_messaging(self) -> bool:
        """CLA bits 0x0C: the command is protected by secure messaging."""
        return (self.cla & 0x0C) == 0x0C

    @classmethod
    def from_bytes(cls, raw: bytes) -> CommandAPDU:
        """Decode; a malformed length field raises SWError(6700)."""
        if len(raw) < 4:
            raise SWError(SW_WRONG_LENGTH, "APDU shorter than its header")
        cla, ins, p1, p2 = raw[:4]
        body = raw[4:]
        n = len(body)
        if n == 0:  # case 1
            return cls(cla, ins, p1, p2)
        if n == 1:  # case 2 short
            return cls(cla, ins, p1, p2, ne=body[0] or 256)
        if body[0] != 0:  # short Lc
            lc = body[0]
            if n == 1 + lc:  # case 3 short
                return cls(cla, ins, p1, p2, body[1:])
            if n == 2 + lc:  # case 4 short
                return cls(cla, ins, p1, p2, body[1 : 1 + lc], ne=body[-1] or 256)
            raise SWError(SW_WRONG_LENGTH, "Lc does not match the data length")
        # body[0] == 0 and n >= 2: extended length.
        if n == 3:  # case 2 extended
            le = int.from_bytes(body[1:3], "big")
            return cls(cla, ins, p1, p2, ne=le or 65536, extended=True)
        if n < 3:
            raise SWError(SW_WRONG_LENGTH, "truncated extended length")
        lc = int.from_bytes(body[1:3], "big")
        if lc == 0:
            raise SWError(SW_WRONG_LENGTH, "extended Lc of zero")
        if n == 3 + lc:  # case 3 extended
            return cls(cla, ins, p1, p2, body[3:], extended=True)
        if n == 5 + lc:  # case 4 extended
            le = int.from_bytes(body[-2:], "big")
            return cls(cla, ins, p1, p2, body[3 : 3 + lc], ne=le or 65536, extended=True)
        raise SWError(SW_WRONG_LENGTH, "extended Lc does not match the data length")
