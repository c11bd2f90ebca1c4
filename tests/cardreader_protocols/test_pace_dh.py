"""PACE DH generic mapping with 3DES and AES, against a small card written in the test.

The card side uses only Python integers, ``crypto.kdf`` and ``crypto.mac``: the
same facts from 9303-11, reached by a separate path from ``cardreader.pace``.
"""

from __future__ import annotations

import pytest

from cardreader import pace
from cardreader.accesskey import CanKey
from cardreader.apdu import CommandAPDU
from cardreader.errors import AccessDeniedError
from cardreader.session import Session
from cardreader.sm import parse_do_list
from crypto import dh
from crypto.kdf import kdf
from crypto.mac import aes_cmac, pad, retail_mac
from crypto.smcipher import aes_cbc_encrypt, tdes_cbc_encrypt

from .cardside import _do


def _7c(tag: int, value: bytes) -> bytes:
    return _do(0x7C, _do(tag, value)) + b"\x90\x00"


class DhPaceCard:
    def __init__(self, oid: str, group: dh.DHGroup, can: str, cipher: str):
        self.oid, self.g, self.cipher = oid, group, cipher
        self.k_pi = kdf(can.encode(), 3, cipher)
        self.nonce = bytes(range(1, 17))
        self.x, self.y = 0x1234567 * 7919, 0x7654321 * 104729
        self.step = 0
        self.k_mac: bytes | None = None
        self.extended_seen = False

    def _mac(self, data: bytes) -> bytes:
        if self.cipher == "3DES":
            return retail_mac(self.k_mac, pad(data, 8))
        return aes_cmac(self.k_mac, data)[:8]

    def _pk_object(self, pk: bytes) -> bytes:
        """7F49 {06 OID, 84 public value}: what the tokens are computed over."""
        return _do(0x7F49, _do(0x06, pace.encode_oid(self.oid)) + _do(0x84, pk))

    def transmit(self, raw: bytes) -> bytes:
        cmd = CommandAPDU.from_bytes(raw)
        p, size = self.g.p, self.g.size
        if cmd.ins == 0x22:
            return b"\x90\x00"
        self.extended_seen |= cmd.is_extended
        inner = {t: v for t, v, _ in parse_do_list(parse_do_list(cmd.data)[0][1])}
        self.step += 1
        if self.step == 1:
            z = (
                tdes_cbc_encrypt(self.k_pi, self.nonce)
                if self.cipher == "3DES"
                else aes_cbc_encrypt(self.k_pi, bytes(16), self.nonce)
            )
            return _7c(0x80, z)
        if self.step == 2:
            h_val = pow(int.from_bytes(inner[0x81], "big"), self.x, p)
            self.g2 = pow(self.g.g, int.from_bytes(self.nonce, "big"), p) * h_val % p
            return _7c(0x82, pow(self.g.g, self.x, p).to_bytes(size, "big"))
        if self.step == 3:
            self.pk_ifd = inner[0x83]
            self.pk_ic = pow(self.g2, self.y, p).to_bytes(size, "big")
            k = pow(int.from_bytes(self.pk_ifd, "big"), self.y, p).to_bytes(size, "big")
            self.k_enc, self.k_mac = kdf(k, 1, self.cipher), kdf(k, 2, self.cipher)
            return _7c(0x84, self.pk_ic)
        if inner[0x85] != self._mac(self._pk_object(self.pk_ic)):
            return b"\x63\x00"
        return _7c(0x86, self._mac(self._pk_object(self.pk_ifd)))

    def close(self) -> None:
        pass


@pytest.mark.parametrize(
    "oid,pid,cipher",
    [
        ("0.4.0.127.0.7.2.2.4.1.1", 0, "3DES"),
        ("0.4.0.127.0.7.2.2.4.1.2", 0, "AES-128"),
        ("0.4.0.127.0.7.2.2.4.1.4", 2, "AES-256"),
    ],
)
def test_dh_generic_mapping_against_a_test_card(oid, pid, cipher):
    card = DhPaceCard(oid, dh.by_pace_id(pid), "654321", cipher)
    s = Session(card)
    result = pace.run(
        s,
        CanKey("654321"),
        oid,
        pid,
        use_tag84=True,
        keygen=lambda d: 0xABCDEF0123456789 + d.order % 1000,
    )
    assert (result.k_enc, result.k_mac) == (card.k_enc, card.k_mac)
    assert result.sm.is_aes == (cipher != "3DES")
    assert len(result.sm.ssc) == (8 if cipher == "3DES" else 16) and not any(result.sm.ssc)
    # 2048-bit public values do not fit short APDUs.
    assert card.extended_seen == (pid == 2)
    assert result.access_protocol == "PACE-CAN"


def test_dh_wrong_can_is_access_denied():
    card = DhPaceCard("0.4.0.127.0.7.2.2.4.1.2", dh.MODP_1024_160, "654321", "AES-128")
    with pytest.raises(AccessDeniedError) as info:
        pace.run(Session(card), CanKey("111111"), card.oid, 0)
    assert info.value.sw == 0x6300
