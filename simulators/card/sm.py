"""Card-side secure messaging (ICAO Doc 9303-11 section 9.8, ISO/IEC 7816-4).

The card unwraps each protected command (SSC + 1, MAC check, decryption) and
wraps each response (SSC + 1, encryption, DO'99', MAC). 3DES uses an 8-byte SSC
and a zero IV; AES a 16-byte SSC and IV = E(K_enc, SSC).
"""

from __future__ import annotations

import hmac

from simulators.card.apdu import CommandAPDU
from simulators.card.errors import SW_SM_DO_INCORRECT, SW_SM_DO_MISSING, SMError
from simulators.card.primitives import CipherSuite, aes_ecb_encrypt, pad, unpad
from simulators.card.tlv import parse_tlvs, tlv


class SecureMessaging:
    """One SM session: keys, the send sequence counter and the cipher suite."""

    def __init__(self, suite: CipherSuite, k_enc: bytes, k_mac: bytes, ssc: int = 0):
        self.suite = suite
        self.k_enc = k_enc
        self.k_mac = k_mac
        self.ssc = ssc

    @property
    def ssc_bytes(self) -> bytes:
        return self.ssc.to_bytes(self.suite.block, "big")

    def _iv(self) -> bytes:
        if self.suite.cipher == "3DES":
            return bytes(8)
        return aes_ecb_encrypt(self.k_enc, self.ssc_bytes)

    def unwrap_command(self, cmd: CommandAPDU) -> CommandAPDU:
        """The plain command inside ``cmd``; a missing or wrong MAC raises SMError."""
        if not cmd.secure_messaging:
            raise SMError(SW_SM_DO_INCORRECT, "plain command during secure messaging")
        self.ssc += 1
        try:
            objects = parse_tlvs(cmd.data)
        except Exception:
            raise SMError(SW_SM_DO_INCORRECT, "malformed secure-messaging data objects") from None
        mac_input = b""
        cryptogram: tuple[int, bytes] | None = None
        ne: int | None = None
        mac: bytes | None = None
        for tag, value in objects:
            if tag in (0x87, 0x85):
                cryptogram = (tag, value)
                mac_input += tlv(tag, value)
            elif tag == 0x97:
                if len(value) not in (1, 2):
                    raise SMError(SW_SM_DO_INCORRECT, "DO'97' has a wrong length")
                le = int.from_bytes(value, "big")
                ne = le or (256 if len(value) == 1 else 65536)
                mac_input += tlv(tag, value)
            elif tag == 0x8E:
                mac = value
            else:
                raise SMError(SW_SM_DO_INCORRECT, f"unexpected data object {tag:02X}")
        if mac is None:
            raise SMError(SW_SM_DO_MISSING, "DO'8E' (MAC) missing")
        header = pad(bytes((cmd.cla, cmd.ins, cmd.p1, cmd.p2)), self.suite.block)
        expected = self.suite.mac(self.k_mac, self.ssc_bytes + header + mac_input)
        if not hmac.compare_digest(expected, mac):
            raise SMError(SW_SM_DO_INCORRECT, "command MAC does not verify")
        data = b""
        if cryptogram is not None:
            tag, value = cryptogram
            if tag == 0x87:
                if not value or value[0] != 0x01:
                    raise SMError(SW_SM_DO_INCORRECT, "DO'87' lacks padding indicator 01")
                value = value[1:]
            if not value or len(value) % self.suite.block:
                raise SMError(SW_SM_DO_INCORRECT, "cryptogram is not whole blocks")
            try:
                data = unpad(self.suite.decrypt(self.k_enc, value, self._iv()))
            except ValueError:
                raise SMError(SW_SM_DO_INCORRECT, "cryptogram padding is wrong") from None
        plain_cla = cmd.cla & ~0x0C & 0xFF
        return CommandAPDU(
            plain_cla, cmd.ins, cmd.p1, cmd.p2, data, ne, extended=cmd.extended or (ne or 0) > 256
        )

    def wrap_response(self, data: bytes, sw: int, ins: int, *, corrupt_mac: bool = False) -> bytes:
        """Protected response: DO'87' (DO'85' for odd INS) || DO'99' || DO'8E' || SW."""
        self.ssc += 1
        body = b""
        if data:
            cryptogram = self.suite.encrypt(self.k_enc, pad(data, self.suite.block), self._iv())
            body = tlv(0x85, cryptogram) if ins & 1 else tlv(0x87, b"\x01" + cryptogram)
        sw_bytes = sw.to_bytes(2, "big")
        body += tlv(0x99, sw_bytes)
        mac = self.suite.mac(self.k_mac, self.ssc_bytes + body)
        if corrupt_mac:
            mac = bytes((mac[0] ^ 0xFF,)) + mac[1:]
        return body + tlv(0x8E, mac) + sw_bytes
