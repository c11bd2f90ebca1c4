"""A small card double for file-reading tests: SELECT / READ BINARY (B0, B1), nothing else.

It answers like ISO/IEC 7816-4 says (6282 at end of file, DO'53' for B1) and can
refuse extended length, optionally under secure messaging (card-side SM from
``simulators.card.sm``, independent of the reader's).
"""

from __future__ import annotations

from cardreader.apdu import CommandAPDU as ReaderCommand
from simulators.card.apdu import CommandAPDU
from simulators.card.primitives import CipherSuite
from simulators.card.sm import SecureMessaging as CardSM


class FileCard:
    def __init__(
        self,
        files: dict[int, bytes],
        *,
        extended: bool = True,
        refuse_extended: str | None = None,
        max_response: int = 65535,
        short_cap: int | None = None,
    ):
        self.files = files
        self.extended = extended
        self.refuse_extended = refuse_extended  # None, "protected" or "plain"
        self.max_response = max_response
        self.short_cap = short_cap  # answer fewer bytes than asked (cards with small buffers)
        self.current: int | None = None
        self.sm: CardSM | None = None
        self.commands: list[ReaderCommand] = []  # the plain commands seen

    def start_sm(self, cipher: str, k_enc: bytes, k_mac: bytes, ssc: int = 0) -> None:
        self.sm = CardSM(CipherSuite(cipher), k_enc, k_mac, ssc)

    def process_apdu(self, raw: bytes) -> bytes:
        cmd = CommandAPDU.from_bytes(raw)
        if self.sm is not None:
            if cmd.extended and self.refuse_extended == "plain":
                self.sm = None
                return b"\x67\x00"
            cmd = self.sm.unwrap_command(cmd)
        self.commands.append(
            ReaderCommand(cmd.cla, cmd.ins, cmd.p1, cmd.p2, cmd.data, cmd.ne, cmd.extended)
        )
        data, sw = self._handle(cmd)
        if self.sm is not None:
            return self.sm.wrap_response(data, sw, cmd.ins)
        return data + sw.to_bytes(2, "big")

    def _handle(self, cmd) -> tuple[bytes, int]:
        if cmd.extended and (not self.extended or self.refuse_extended):
            return b"", 0x6700
        if cmd.ins == 0xA4:
            fid = int.from_bytes(cmd.data, "big")
            if cmd.p1 == 0x04:
                return b"", 0x9000
            if fid not in self.files:
                return b"", 0x6A82
            self.current = fid
            return b"", 0x9000
        if cmd.ins in (0xB0, 0xB1):
            content = self.files[self.current]
            if cmd.ins == 0xB0:
                offset = (cmd.p1 << 8) | cmd.p2
            else:
                assert cmd.data[0] == 0x54 and cmd.data[1] == len(cmd.data) - 2
                offset = int.from_bytes(cmd.data[2:], "big")
            if offset >= len(content):
                return b"", 0x6B00
            ne = min(cmd.ne or 256, self.max_response - 2)
            if cmd.ins == 0xB1:  # the DO'53' header takes room from the data
                ne -= 2 if ne - 2 < 0x80 else 3 if ne - 3 < 0x100 else 4
            if self.short_cap:
                ne = min(ne, self.short_cap)
            part = content[offset : offset + ne]
            sw = 0x6282 if len(part) < ne and offset + len(part) == len(content) else 0x9000
            if cmd.ins == 0xB1:
                n = len(part)
                hdr = (
                    bytes((0x53, n))
                    if n < 0x80
                    else bytes((0x53, 0x81, n))
                    if n < 0x100
                    else b"\x53\x82" + n.to_bytes(2, "big")
                )
                part = hdr + part
            return part, sw
        return b"", 0x6D00
