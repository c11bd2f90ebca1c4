"""The card serving a full synthetic data set (simulators.dataset): a whole read."""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from simulators.card import VirtualCCCD
from simulators.card.primitives import CipherSuite
from simulators.card.tlv import tlv
from simulators.carddata import FID_CARD_ACCESS, FID_COM, FID_SOD, fid_of_dg

from .helpers import Terminal, run_pace

h = bytes.fromhex
ECDH_GM_AES128 = "04007F00070202040202"


def read_file(terminal, fid: int, chunk: int = 0xDF) -> tuple[bytes, int]:
    _data, sw = terminal.send(0x00, 0xA4, 0x02, 0x0C, fid.to_bytes(2, "big"))
    if sw != 0x9000:
        return b"", sw
    content = b""
    while True:
        offset = len(content)
        if offset > 0x7FFF:
            part, sw = terminal.send(
                0x00, 0xB1, 0x00, 0x00, tlv(0x54, offset.to_bytes(3, "big")), ne=chunk
            )
            part = part[3:] if sw in (0x9000, 0x6282) else b""
        else:
            part, sw = terminal.send(0x00, 0xB0, offset >> 8, offset & 0xFF, ne=chunk)
        if sw == 0x6B00:
            return content, 0x9000
        content += part
        if sw == 0x6282 or not part:
            return content, 0x9000


def test_whole_read_of_a_synthetic_cccd():
    from simulators.dataset import build_dataset

    dataset = build_dataset(0)
    card = VirtualCCCD(dataset)
    card.power_on()
    # EF.CardAccess in plain, by file id, before anything else.
    assert card.process_apdu(h("00A4020C02011C")) == h("9000")
    assert card.process_apdu(h("00B0000000")) == dataset.files[FID_CARD_ACCESS] + h("6282")
    # PACE with the CAN; the parameter id comes from EF.CardAccess (no tag 84).
    sw, terminal = run_pace(card, ECDH_GM_AES128, dataset.can.encode())
    assert sw == 0x9000
    assert terminal.send(0x00, 0xA4, 0x04, 0x0C, h("A0000002471001")) == (b"", 0x9000)
    for fid in (FID_COM, FID_SOD, *[fid_of_dg(n) for n in (1, 2, 13, 14, 15)]):
        content, sw = read_file(terminal, fid)
        assert (content, sw) == (dataset.files[fid], 0x9000), hex(fid)
    assert read_file(terminal, fid_of_dg(3))[1] == 0x6982
    assert read_file(terminal, fid_of_dg(11))[1] == 0x6A82
    # Chip Authentication with the DG14 key (key id 1), then AA (RSA, ISO 9796-2) in the new
    # session.
    eph = ec.generate_private_key(ec.BrainpoolP256R1())
    point = eph.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    oid = h("04007F00070202030202")
    assert terminal.send(0x00, 0x22, 0x41, 0xA4, tlv(0x80, oid) + tlv(0x84, b"\x01")) == (
        b"",
        0x9000,
    )
    assert terminal.send(0x00, 0x86, 0x00, 0x00, tlv(0x7C, tlv(0x80, point)), ne=256) == (
        b"\x7c\x00",
        0x9000,
    )
    secret = eph.exchange(ec.ECDH(), dataset.ca_private_key.public_key())
    suite = CipherSuite("AES")
    ca = Terminal(card, suite, suite.derive(secret, 1), suite.derive(secret, 2), 0)
    challenge = h("A1A2A3A4A5A6A7A8")
    signature, sw = ca.send(0x00, 0x88, 0x00, 0x00, challenge, ne=256)
    assert sw == 0x9000
    pub = dataset.aa_private_key.public_key().public_numbers()
    f = pow(int.from_bytes(signature, "big"), pub.e, pub.n).to_bytes(
        (pub.n.bit_length() + 7) // 8, "big"
    )
    assert f[0] == 0x6A and f[-1] == 0xBC
    assert f[-21:-1] == hashlib.sha1(f[1:-21] + challenge).digest()
