"""Secure messaging (ICAO Doc 9303-11 §9.8), 3DES and AES.

Command: CLA | 0C; DO'87' (01 || cryptogram, even INS) or DO'85' (cryptogram,
odd INS such as READ BINARY B1); DO'97' (Le); DO'8E' (MAC over SSC || padded
header || DOs). Response: DO'87'/'85', DO'99' (the status word, required),
DO'8E'. The SSC is incremented before each command and each response.

Any failure (no MAC, wrong MAC, no DO'99', a plain status word, bad padding)
raises ``SecureMessagingError`` and leaves the object inactive: the card has
dropped its session keys, so nothing more can be sent under them.
"""

from __future__ import annotations

import hmac

from cardreader.apdu import APDUError, CommandAPDU, ResponseAPDU
from cardreader.errors import SecureMessagingError
from crypto.mac import PaddingError, pad, unpad
from crypto.smcipher import SMCipher


def tlv(tag: int, value: bytes) -> bytes:
    """BER-TLV with a one- or two-byte tag and a definite length."""
    n = len(value)
    if n < 0x80:
        length = bytes((n,))
    elif n < 0x100:
        length = b"\x81" + bytes((n,))
    else:
        length = b"\x82" + n.to_bytes(2, "big")
    return (tag.to_bytes(2 if tag > 0xFF else 1, "big")) + length + value


def parse_do_list(data: bytes) -> list[tuple[int, bytes, bytes]]:
    """Split one-byte-tag data objects: (tag, value, whole encoding) in order."""
    out, i = [], 0
    while i < len(data):
        start, tag = i, data[i]
        if i + 1 >= len(data):
            raise ValueError("truncated data object")
        first = data[i + 1]
        i += 2
        if first < 0x80:
            n = first
        elif first in (0x81, 0x82):
            k = first & 0x7F
            if i + k > len(data):
                raise ValueError("truncated length")
            n = int.from_bytes(data[i : i + k], "big")
            i += k
        else:
            raise ValueError("unsupported length form")
        if i + n > len(data):
            raise ValueError("data object runs past the end")
        out.append((tag, data[i : i + n], data[start : i + n]))
        i += n
    return out


class SecureMessaging:
    """One secure-messaging session: keys, cipher suite and the send sequence counter."""

    def __init__(self, cipher: SMCipher, ssc: bytes | int = 0):
        self.cipher = cipher
        self._ssc = int.from_bytes(ssc, "big") if isinstance(ssc, bytes) else ssc
        self.active = True

    @classmethod
    def from_keys(
        cls, cipher: str, k_enc: bytes, k_mac: bytes, ssc: bytes | int = 0
    ) -> SecureMessaging:
        """``cipher`` is '3DES' or 'AES-128/192/256'; the SSC width follows the cipher."""
        return cls(SMCipher.for_cipher(cipher, k_enc, k_mac), ssc)

    @property
    def is_aes(self) -> bool:
        return self.cipher.is_aes

    @property
    def ssc(self) -> bytes:
        return (self._ssc % (1 << (8 * self.cipher.ssc_size))).to_bytes(self.cipher.ssc_size, "big")

    def _next_ssc(self) -> bytes:
        self._ssc += 1
        return self.ssc

    def _fail(self, message: str, sw: int | None = None) -> SecureMessagingError:
        self.active = False
        return SecureMessagingError(message, step="secure_messaging", sw=sw)

    def wrap(self, cmd: CommandAPDU) -> CommandAPDU:
        if not self.active:
            raise SecureMessagingError(
                "The secure channel was closed; the card must be opened again.",
                step="secure_messaging",
            )
        if cmd.cla & 0x0C:
            raise ValueError("command is already protected")
        block = self.cipher.block_size
        cla = cmd.cla | 0x0C
        ssc = self._next_ssc()
        dos = b""
        if cmd.data:
            cryptogram = self.cipher.encrypt(ssc, pad(cmd.data, block))
            # Odd INS (B1, ...) carry BER-TLV data: DO'85' without padding indicator.
            dos += tlv(0x85, cryptogram) if cmd.ins & 1 else tlv(0x87, b"\x01" + cryptogram)
        if cmd.ne is not None:
            le = cmd.ne % 65536
            dos += tlv(0x97, le.to_bytes(2, "big") if cmd.is_extended else bytes((le % 256,)))
        header = pad(bytes((cla, cmd.ins, cmd.p1, cmd.p2)), block)
        mac = self.cipher.mac(ssc + header + dos)
        body = dos + tlv(0x8E, mac)
        extended = cmd.is_extended or len(body) > 255
        # The protected command always asks for the whole protected response.
        return CommandAPDU(
            cla, cmd.ins, cmd.p1, cmd.p2, body, ne=65536 if extended else 256, extended=extended
        )

    def unwrap(self, resp: ResponseAPDU) -> ResponseAPDU:
        if not self.active:
            raise SecureMessagingError(
                "The secure channel was closed; the card must be opened again.",
                step="secure_messaging",
            )
        if not resp.data:
            raise self._fail(
                f"The card answered without secure messaging (status {resp.sw:04X}) "
                "and closed the secure channel.",
                resp.sw,
            )
        try:
            dos = parse_do_list(resp.data)
        except ValueError:
            raise self._fail("The card's protected answer is malformed.", resp.sw) from None
        tags = [t for t, _, _ in dos]
        if 0x8E not in tags:
            raise self._fail("The card's answer carries no MAC.", resp.sw)
        if 0x99 not in tags:
            raise self._fail("The card's protected answer lacks its status word (DO'99').", resp.sw)
        mac_at = tags.index(0x8E)
        if mac_at != len(dos) - 1:
            raise self._fail("The card's protected answer has data after its MAC.", resp.sw)
        ssc = self._next_ssc()
        mac_input = ssc + b"".join(raw for _, _, raw in dos[:mac_at])
        if not hmac.compare_digest(self.cipher.mac(mac_input), dos[mac_at][1]):
            raise self._fail("The card's answer failed its MAC check.", resp.sw)
        values = {t: v for t, v, _ in dos[:mac_at]}
        sw_value = values[0x99]
        if len(sw_value) != 2:
            raise self._fail("The card's protected status word is malformed.", resp.sw)
        data = b""
        try:
            if 0x87 in values:
                v = values[0x87]
                if not v or v[0] != 0x01:
                    raise ValueError("unknown padding indicator")
                data = unpad(self.cipher.decrypt(ssc, v[1:]))
            elif 0x85 in values:
                data = unpad(self.cipher.decrypt(ssc, values[0x85]))
            elif 0x81 in values:
                data = values[0x81]  # plain value DO (unencrypted but MAC-covered)
        except (ValueError, PaddingError, APDUError):
            raise self._fail("The card's protected answer did not decrypt.", resp.sw) from None
        return ResponseAPDU(data, int.from_bytes(sw_value, "big"))

    def close(self) -> None:
        self.active = False
