"""Command and response APDUs (ISO/IEC 7816-4 §5.1) and named status words.

``ne`` is the maximum number of response bytes expected: ``None`` means no
Le field; 256 is short Le ``00``; 65536 is extended Le ``00 00``. A command is
encoded in extended form when its data exceed 255 bytes, when ``ne`` exceeds
256, or when ``extended=True`` is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

# Status words (ISO/IEC 7816-4 §5.6 and ICAO Doc 9303-11)
SW_OK = 0x9000
SW_END_OF_FILE = 0x6282  # fewer bytes than Le before the end of the file
SW_WRONG_KEY = 0x6300  # authentication failed (PACE/BAC mutual authentication)
SW_WRONG_LENGTH = 0x6700
SW_LOGICAL_CHANNEL = 0x6881
SW_SECURE_MESSAGING_UNSUPPORTED = 0x6882
SW_COMMAND_INCOMPATIBLE = 0x6981
SW_SECURITY_NOT_SATISFIED = 0x6982
SW_AUTH_METHOD_BLOCKED = 0x6983
SW_REFERENCE_DATA_NOT_USABLE = 0x6984
SW_CONDITIONS_NOT_SATISFIED = 0x6985
SW_COMMAND_NOT_ALLOWED = 0x6986
SW_SM_DATA_OBJECTS_MISSING = 0x6987
SW_SM_DATA_OBJECTS_INCORRECT = 0x6988
SW_WRONG_DATA = 0x6A80
SW_FUNCTION_NOT_SUPPORTED = 0x6A81
SW_FILE_NOT_FOUND = 0x6A82
SW_INCORRECT_P1P2 = 0x6A86
SW_LC_INCONSISTENT = 0x6A87
SW_REFERENCE_NOT_FOUND = 0x6A88
SW_WRONG_P1P2 = 0x6B00
SW_INS_NOT_SUPPORTED = 0x6D00
SW_CLA_NOT_SUPPORTED = 0x6E00
SW_UNKNOWN = 0x6F00


class APDUError(ValueError):
    """Bytes that are not a well-formed APDU, or a field out of range."""


def is_success(sw: int) -> bool:
    return sw == SW_OK


def is_warning(sw: int) -> bool:
    return sw >> 8 in (0x62, 0x63)


def is_more_data(sw: int) -> bool:
    """61xx: xx more bytes wait for GET RESPONSE."""
    return sw >> 8 == 0x61


def is_counter(sw: int) -> bool:
    """63Cx: verification failed or counter warning, x tries left."""
    return sw & 0xFFF0 == 0x63C0


def is_sm_error(sw: int) -> bool:
    """The card's own verdict that secure messaging failed (6987 / 6988)."""
    return sw in (SW_SM_DATA_OBJECTS_MISSING, SW_SM_DATA_OBJECTS_INCORRECT)


def is_access_denied(sw: int) -> bool:
    """Status words a wrong access key produces in BAC or PACE."""
    return sw in (
        SW_WRONG_KEY,
        SW_SECURITY_NOT_SATISFIED,
        SW_AUTH_METHOD_BLOCKED,
        SW_REFERENCE_DATA_NOT_USABLE,
        SW_CONDITIONS_NOT_SATISFIED,
    ) or is_counter(sw)


@dataclass(frozen=True)
class CommandAPDU:
    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    ne: int | None = None
    extended: bool = False

    def __post_init__(self) -> None:
        for name in ("cla", "ins", "p1", "p2"):
            if not 0 <= getattr(self, name) <= 0xFF:
                raise APDUError(f"{name} must be one byte")
        if len(self.data) > 65535:
            raise APDUError("command data longer than 65535 bytes")
        if self.ne is not None and not 1 <= self.ne <= 65536:
            raise APDUError("Ne must be 1..65536")

    @property
    def is_extended(self) -> bool:
        return self.extended or len(self.data) > 255 or (self.ne or 0) > 256

    def with_cla(self, cla: int) -> CommandAPDU:
        return CommandAPDU(cla, self.ins, self.p1, self.p2, self.data, self.ne, self.extended)

    def to_bytes(self) -> bytes:
        out = bytes((self.cla, self.ins, self.p1, self.p2))
        ext = self.is_extended
        if self.data:
            out += (
                (b"\x00" + len(self.data).to_bytes(2, "big")) if ext else bytes((len(self.data),))
            )
            out += self.data
        if self.ne is not None:
            if ext:
                le = (self.ne % 65536).to_bytes(2, "big")
                out += le if self.data else b"\x00" + le
            else:
                out += bytes((self.ne % 256,))
        return out

    def __bytes__(self) -> bytes:
        return self.to_bytes()

    @classmethod
    def from_bytes(cls, raw: bytes) -> CommandAPDU:
        """Decode any of the ISO 7816-4 cases 1, 2S/E, 3S/E, 4S/E."""
        if len(raw) < 4:
            raise APDUError("command APDU shorter than its header")
        cla, ins, p1, p2 = raw[:4]
        body = raw[4:]
        n = len(body)
        if n == 0:
            return cls(cla, ins, p1, p2)
        if n == 1:
            return cls(cla, ins, p1, p2, ne=body[0] or 256)
        if body[0] != 0:  # short Lc
            lc = body[0]
            if n == 1 + lc:
                return cls(cla, ins, p1, p2, body[1:])
            if n == 2 + lc:
                return cls(cla, ins, p1, p2, body[1 : 1 + lc], ne=body[-1] or 256)
            raise APDUError("short command length does not match Lc")
        if n == 3:
            return cls(cla, ins, p1, p2, ne=int.from_bytes(body[1:], "big") or 65536, extended=True)
        lc = int.from_bytes(body[1:3], "big")
        if lc and n == 3 + lc:
            return cls(cla, ins, p1, p2, body[3:], extended=True)
        if lc and n == 5 + lc:
            return cls(
                cla,
                ins,
                p1,
                p2,
                body[3 : 3 + lc],
                ne=int.from_bytes(body[-2:], "big") or 65536,
                extended=True,
            )
        raise APDUError("extended command length does not match Lc")


@dataclass(frozen=True)
class ResponseAPDU:
    data: bytes
    sw: int

    @property
    def sw1(self) -> int:
        return self.sw >> 8

    @property
    def sw2(self) -> int:
        return self.sw & 0xFF

    @property
    def is_success(self) -> bool:
        return self.sw == SW_OK

    def to_bytes(self) -> bytes:
        return self.data + self.sw.to_bytes(2, "big")

    def __bytes__(self) -> bytes:
        return self.to_bytes()

    @classmethod
    def from_bytes(cls, raw: bytes) -> ResponseAPDU:
        if len(raw) < 2:
            raise APDUError("response APDU shorter than its status word")
        return cls(bytes(raw[:-2]), int.from_bytes(raw[-2:], "big"))
