"""File reading in the eMRTD application: SELECT by file id, READ BINARY in big chunks.

Chunk size (ICAO Doc 9303-11 §9.8; ISO/IEC 7816-4 §11.3.3):
- short APDUs: the largest plain read whose protected answer fits 256 bytes,
  231 under 3DES and 223 under AES (256 with no secure messaging);
- extended length only when the card says it supports it (ATR card
  capabilities, or EF.ATR/INFO), and dropped for good when the card answers
  6700 to an extended read;
- offsets above 32767 do not fit P1-P2: READ BINARY with odd INS 'B1' and the
  offset in DO'54' answers with the data in DO'53'.

A file's length comes from its first TLV header, so the first read asks for a
whole chunk and a small file costs one SELECT and one READ BINARY.
"""

from __future__ import annotations

from dataclasses import dataclass

from cardreader.apdu import (
    SW_END_OF_FILE,
    SW_FILE_NOT_FOUND,
    SW_OK,
    SW_SECURITY_NOT_SATISFIED,
    SW_WRONG_LENGTH,
    SW_WRONG_P1P2,
    CommandAPDU,
    ResponseAPDU,
)
from cardreader.errors import (
    CardError,
    FileAccessDenied,
    FileNotFoundOnCard,
    ParseError,
    SecureMessagingError,
    StatusWordError,
)
from cardreader.session import Session
from cardreader.tlv import decode_header

AID_EMRTD = bytes.fromhex("A0000002471001")
FID_CARD_ACCESS = 0x011C
FID_COM = 0x011E
FID_SOD = 0x011D
FID_ATR_INFO = 0x2F01

SHORT_RESPONSE = 256  # Le = 00
EXTENDED_RESPONSE = 65535  # what we ask at most; vpcd frames answers in 16 bits too
MAX_OFFSET_B0 = 0x7FFF  # P1 b8 must stay 0 (it would mean a short EF identifier)
SW_WRONG_OFFSET = SW_WRONG_P1P2  # 6B00: offset beyond the end of the file
MAX_FILE = 1 << 24  # no LDS file comes near 16 MB; longer headers are broken
_SM_TRAILER = 4 + 10  # DO'99' (status word) + DO'8E' (8-byte MAC)
_HEADER_PROBE = 8  # enough for any LDS TLV header (tag + 84 + 4 length bytes)


def fid_of_dg(number: int) -> int:
    """DG1 -> 0x0101 ... DG16 -> 0x0110 (ICAO Doc 9303-10 §4.6)."""
    if not 1 <= number <= 16:
        raise ValueError("data groups are numbered 1..16")
    return 0x0100 + number


def file_name(fid: int) -> str:
    names = {
        FID_CARD_ACCESS: "EF.CardAccess",
        FID_COM: "EF.COM",
        FID_SOD: "EF.SOD",
        FID_ATR_INFO: "EF.ATR/INFO",
    }
    if fid in names:
        return names[fid]
    if 0x0101 <= fid <= 0x0110:
        return f"DG{fid - 0x0100}"
    return f"EF.{fid:04X}"


def _do_length(n: int) -> int:
    return 1 if n < 0x80 else 2 if n < 0x100 else 3


def max_plain_chunk(max_response_data: int, block: int | None) -> int:
    """Largest plain read whose (protected) answer fits ``max_response_data`` bytes.

    Under secure messaging the answer is DO'87' (01 || data padded by at least one
    byte to whole blocks), DO'99' and DO'8E'. 256 gives 231 (3DES) and 223 (AES).
    """
    if block is None:
        return max_response_data
    n = max_response_data
    while n > 0:
        padded = (n // block + 1) * block
        body = 1 + padded
        if 1 + _do_length(body) + body + _SM_TRAILER <= max_response_data:
            return n
        n -= 1
    raise ValueError("no data fits in a response this small")


# -- what the card says about extended length ------------------------------------


def historical_bytes(atr: bytes) -> bytes:
    """The historical bytes of an ATR (ISO/IEC 7816-3 §8.2)."""
    if len(atr) < 2:
        return b""
    t0 = atr[1]
    k = t0 & 0x0F
    pos, y = 2, t0 >> 4
    while True:
        td = None
        for bit in range(4):  # TA, TB, TC, TD present when Y's bits 1..4 are set
            if y & (1 << bit):
                if pos >= len(atr):
                    return b""
                if bit == 3:
                    td = atr[pos]
                pos += 1
        if td is None:
            break
        y = td >> 4
    return atr[pos : pos + k]


def extended_length_from_atr(atr: bytes) -> bool | None:
    """Card capabilities in the compact-TLV historical bytes (ISO/IEC 7816-4 §12.1.1.9).

    Tag 7 (``73 xx xx yy``): the third software-function byte's bit 0x40 means
    "extended Lc and Le fields". None when the ATR says nothing about it.
    """
    hist = historical_bytes(atr)
    if not hist or hist[0] not in (0x00, 0x80):
        return None
    body = hist[1:-3] if hist[0] == 0x00 else hist[1:]  # 00: last 3 bytes are a status indicator
    i = 0
    while i < len(body):
        tag, n = body[i] >> 4, body[i] & 0x0F
        value = body[i + 1 : i + 1 + n]
        if tag == 0x7 and n >= 3 and len(value) >= 3:
            return bool(value[2] & 0x40)
        if tag == 0x7:
            return False  # capabilities given without the third byte: no extended length
        i += 1 + n
    return None


@dataclass(frozen=True)
class AtrInfo:
    """What EF.ATR/INFO (2F01) says: extended length, and the largest command/response."""

    extended_length: bool | None = None
    max_command: int | None = None
    max_response: int | None = None

    @classmethod
    def from_bytes(cls, raw: bytes) -> AtrInfo:
        """Parse the BER-TLV objects of EF.ATR/INFO; unknown objects are skipped."""
        ext = max_c = max_r = None
        i = 0
        try:
            while i < len(raw) and raw[i] not in (0x00, 0xFF):
                tag, _c, length, hlen = decode_header(raw, i, file="EF.ATR/INFO")
                value = raw[i + hlen : i + hlen + length]
                if tag == 0x47 and len(value) >= 3:  # card capabilities
                    ext = bool(value[2] & 0x40)
                elif tag == 0x7F66:  # extended length information
                    ints, j = [], 0
                    while j + 2 <= len(value) and value[j] == 0x02:
                        n = value[j + 1]
                        ints.append(int.from_bytes(value[j + 2 : j + 2 + n], "big"))
                        j += 2 + n
                    if len(ints) >= 2:
                        max_c, max_r = ints[0], ints[1]
                        ext = True if ext is None else ext
                i += hlen + length
        except ParseError:
            pass  # keep what was understood before the damage
        return cls(ext, max_c, max_r)


# -- the reader of files ---------------------------------------------------------


# N818 ignored: a public name (reader, tests) that reads as the event it reports.
class ExtendedLengthRejected(SecureMessagingError):
    """The card answered 6700 in plain to an extended READ BINARY: its secure channel is closed.

    Short reads are used from now on; the caller re-opens access control and goes on.
    """

    code = "extended_length_rejected"
    default_message = "The card refused an extended-length read; reading goes on with short reads."


def _status_error(sw: int, step: str, file: str | None) -> CardError:
    if sw == SW_FILE_NOT_FOUND:
        return FileNotFoundOnCard(step=step, file=file, sw=sw)
    if sw == SW_SECURITY_NOT_SATISFIED:
        return FileAccessDenied(step=step, file=file, sw=sw)
    return StatusWordError(step=step, file=file, sw=sw)


class FileReader:
    """SELECT and READ BINARY over a ``Session`` (which wraps under secure messaging)."""

    def __init__(
        self, session: Session, *, extended_length: bool = False, max_response: int | None = None
    ) -> None:
        self.session = session
        self.extended_length = extended_length
        # Answer size we ask for in extended mode (data field, before the status word).
        self.max_response = min(max_response or EXTENDED_RESPONSE, EXTENDED_RESPONSE) - 2
        self.fell_back = False  # set when the card answered 6700 to an extended read

    # -- sizes -----------------------------------------------------------------
    def _block(self) -> int | None:
        sm = self.session.secure_messaging
        return None if sm is None else sm.cipher.block_size

    def chunk_size(self) -> int:
        """Plain bytes one READ BINARY asks for now."""
        limit = self.max_response if self.extended_length else SHORT_RESPONSE
        return max_plain_chunk(limit, self._block())

    # -- commands --------------------------------------------------------------
    def _check(self, resp: ResponseAPDU, step: str, file: str | None) -> ResponseAPDU:
        if resp.sw != SW_OK:
            raise _status_error(resp.sw, step, file)
        return resp

    def _transmit(
        self, cmd: CommandAPDU, description: str, step: str, file: str | None
    ) -> ResponseAPDU:
        """``session.transmit``, with the step and file put on an error that lacks them."""
        try:
            return self.session.transmit(cmd, description)
        except CardError as exc:
            exc.step = exc.step or step
            exc.file = exc.file or file
            raise

    def select_application(self, aid: bytes = AID_EMRTD) -> None:
        cmd = CommandAPDU(0x00, 0xA4, 0x04, 0x0C, aid)
        self._check(
            self._transmit(cmd, "SELECT eMRTD application", "select_application", None),
            "select_application",
            None,
        )

    def select_file(self, fid: int, name: str | None = None) -> None:
        """SELECT EF by file id, no FCI (P1 02, P2 0C): also works where SELECT MF is refused.

        ``name`` overrides the LDS name (the MF's 011D is EF.CardSecurity, not EF.SOD)."""
        name = name or file_name(fid)
        cmd = CommandAPDU(0x00, 0xA4, 0x02, 0x0C, fid.to_bytes(2, "big"))
        self._check(self._transmit(cmd, f"SELECT {name}", "select_file", name), "select_file", name)

    def _read_command(self, offset: int, n: int) -> tuple[CommandAPDU, bool]:
        if offset <= MAX_OFFSET_B0:
            return CommandAPDU(0x00, 0xB0, offset >> 8, offset & 0xFF, ne=n), False
        # B1: DO'54' offset in, DO'53' data out; the answer's header takes room from the data.
        offset_bytes = offset.to_bytes(max(2, (offset.bit_length() + 7) // 8), "big")
        return CommandAPDU(
            0x00,
            0xB1,
            0x00,
            0x00,
            b"\x54" + bytes((len(offset_bytes),)) + offset_bytes,
            ne=n + 1 + _do_length(n),
        ), True

    def read_binary(self, offset: int, n: int, *, file: str | None = None) -> tuple[bytes, int]:
        """Up to ``n`` plain bytes at ``offset`` of the selected file -> (data, status word).

        6282 (end of file reached first) is a normal answer. A 6700 to an extended read
        switches to short reads: in place when the card answered under secure messaging,
        else ``ExtendedLengthRejected`` (the card has closed its channel).
        """
        retried_6c = False
        while True:
            if offset > MAX_OFFSET_B0:
                n = min(n, self.chunk_size() - 4)  # room for the DO'53' header in the answer
            cmd, odd = self._read_command(offset, n)
            extended = cmd.is_extended
            try:
                resp = self._transmit(
                    cmd, f"READ BINARY {file or ''} @{offset}".strip(), "read_binary", file
                )
            except SecureMessagingError as exc:
                if extended and exc.sw == SW_WRONG_LENGTH:
                    self.extended_length, self.fell_back = False, True
                    raise ExtendedLengthRejected(step="read_binary", file=file, sw=exc.sw) from exc
                raise
            if resp.sw == SW_WRONG_LENGTH and extended:
                # Protected 6700: both sides counted the exchange, so the SSC is still in step.
                self.extended_length, self.fell_back = False, True
                n = min(n, self.chunk_size())
                continue
            if resp.sw >> 8 == 0x6C and not odd and not retried_6c:
                # "Wrong Le, exactly xx available": asked once per chunk; a card that answers
                # 6Cxx again to its own length would otherwise keep us here for ever.
                retried_6c = True
                n = resp.sw & 0xFF or 256
                continue
            if resp.sw not in (SW_OK, SW_END_OF_FILE):
                raise _status_error(resp.sw, "read_binary", file)
            data = resp.data
            if odd:
                data = self._unwrap_do53(data, file)
            return data, resp.sw

    @staticmethod
    def _unwrap_do53(data: bytes, file: str | None) -> bytes:
        if not data:
            return b""
        tag, _c, length, hlen = decode_header(data, 0, file=file)
        if tag != 0x53 or hlen + length > len(data):
            raise ParseError(
                "The card's READ BINARY (B1) answer is not a DO'53'.", step="read_binary", file=file
            )
        return data[hlen : hlen + length]

    def read_selected(self, file: str | None = None) -> bytes:
        """The whole selected file; its length comes from the first TLV header."""
        chunk = self.chunk_size()
        data, _sw = self.read_binary(0, chunk, file=file)
        if not data:
            raise ParseError("The file is empty.", step="read_binary", file=file)
        try:
            _tag, _c, length, hlen = decode_header(data[:_HEADER_PROBE], 0, file=file)
        except ParseError:
            if len(data) >= _HEADER_PROBE:
                raise
            # Very short first answer: ask for the header alone.
            data, _sw = self.read_binary(0, _HEADER_PROBE, file=file)
            _tag, _c, length, hlen = decode_header(data, 0, file=file)
        total = hlen + length
        if total > MAX_FILE:
            raise ParseError(
                "The file's header announces an impossible length.", step="read_binary", file=file
            )
        out = bytearray(data[:total])
        while len(out) < total:
            want = min(self.chunk_size(), total - len(out))
            try:
                part, _sw = self.read_binary(len(out), want, file=file)
            except StatusWordError as exc:
                if exc.sw != SW_WRONG_OFFSET:
                    raise
                part = b""  # 6B00: the file is shorter than its header says
            if not part:
                raise ParseError(
                    f"The file ended after {len(out)} of {total} bytes.",
                    step="read_binary",
                    file=file,
                )
            out += part[: total - len(out)]
        return bytes(out)

    def read_to_end(self, file: str | None = None, limit: int = 4096) -> bytes:
        """A selected file that is not one TLV (EF.ATR/INFO): read until the card says it ended."""
        out = bytearray()
        while len(out) < limit:
            want = self.chunk_size()
            try:
                part, sw = self.read_binary(len(out), want, file=file)
            except StatusWordError as exc:
                if exc.sw != SW_WRONG_OFFSET or not out:
                    raise
                break  # 6B00 right at the end of the file
            out += part
            if sw == SW_END_OF_FILE or len(part) < want:
                break
        return bytes(out)

    def read_file(self, fid: int) -> bytes:
        """SELECT the file, then read all of it (EF.ATR/INFO to its end, others by their TLV
        length)."""
        self.select_file(fid)
        if fid == FID_ATR_INFO:
            return self.read_to_end(file_name(fid))
        return self.read_selected(file_name(fid))

    def read_optional(self, fid: int) -> bytes | None:
        """Like ``read_file``, but None when the card has no such file (6A82)."""
        try:
            return self.read_file(fid)
        except FileNotFoundOnCard:
            return None
