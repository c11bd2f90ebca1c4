"""Chip Authentication v1 against a small protected card written in the test.

The card checks each command's MAC and decrypts it with ``crypto`` primitives
(not ``cardreader.sm``) and derives its keys with ``cryptography``'s ECDH, so
the terminal's CA is checked by an independent path.
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from cardreader import chipauth
from cardreader.apdu import CommandAPDU
from cardreader.errors import ChipAuthenticationError, SecureMessagingError
from cardreader.session import Session
from cardreader.sm import SecureMessaging, parse_do_list
from crypto import curves, dh
from crypto.kdf import kdf
from crypto.mac import aes_cmac, pad, retail_mac, unpad
from crypto.smcipher import aes_cbc_decrypt, aes_ecb_encrypt, tdes_cbc_decrypt

from .cardside import protect_response
from .helpers import h

OID_ECDH_AES128 = "0.4.0.127.0.7.2.2.3.2.2"
OID_ECDH_3DES = "0.4.0.127.0.7.2.2.3.2.1"
CURVE = curves.by_name("brainpoolP256r1")
TERMINAL_SK = 0x5C6F6E2D41A0B3D7C0FFEE1234567890ABCDEF0123456789ABCDEF0123456789 % CURVE.order


class ProtectedCard:
    def __init__(
        self,
        k_enc,
        k_mac,
        ssc: int,
        aes: bool,
        chip_key: ec.EllipticCurvePrivateKey,
        cipher: str = "AES-128",
        answers: dict | None = None,
    ):
        self.k_enc, self.k_mac, self.ssc, self.aes = k_enc, k_mac, ssc, aes
        self.chip_key, self.cipher = chip_key, cipher
        self.answers = answers or {}
        self.commands: list[tuple[int, bytes]] = []
        self.wire: list[bytes] = []
        self.switched = False

    def _mac(self, data: bytes) -> bytes:
        return (
            aes_cmac(self.k_mac, pad(data, 16))[:8]
            if self.aes
            else retail_mac(self.k_mac, pad(data, 8))
        )

    def transmit(self, raw: bytes) -> bytes:
        self.wire.append(raw)
        cmd = CommandAPDU.from_bytes(raw)
        size = 16 if self.aes else 8
        self.ssc += 1
        ssc_b = self.ssc.to_bytes(size, "big")
        dos = parse_do_list(cmd.data)
        assert dos[-1][0] == 0x8E
        header = pad(raw[:4], size)
        assert self._mac(ssc_b + header + b"".join(r for _, _, r in dos[:-1])) == dos[-1][1], (
            "bad MAC"
        )
        values = {t: v for t, v, _ in dos}
        plain = b""
        if 0x87 in values:
            c = values[0x87][1:]
            plain = unpad(
                aes_cbc_decrypt(self.k_enc, aes_ecb_encrypt(self.k_enc, ssc_b), c)
                if self.aes
                else tdes_cbc_decrypt(self.k_enc, c)
            )
        self.commands.append((cmd.ins, plain))
        self.ssc += 1
        sw, data = self.answers.get(len(self.commands), (0x9000, b""))
        if cmd.ins == 0xB0:
            data = b"\x60\x03\x5f\x01\x00"
        if sw == "plain":
            return h("6988")
        resp = protect_response(self.k_enc, self.k_mac, self.ssc, data, sw, aes=self.aes)
        pk = self._terminal_key()
        if (
            pk is not None
            and not self.switched
            and sw == 0x9000
            and cmd.ins in (0x86, 0x22)
            and (cmd.ins == 0x86 or cmd.p2 == 0xA6)
        ):
            shared = self.chip_key.exchange(ec.ECDH(), pk)
            self.k_enc, self.k_mac = kdf(shared, 1, self.cipher), kdf(shared, 2, self.cipher)
            self.ssc, self.switched = 0, True
        return resp

    def _terminal_key(self):
        for _ins, plain in self.commands:
            if not plain:
                continue
            outer = {t: v for t, v, _ in parse_do_list(plain)}
            point = outer.get(0x91) or (
                {t: v for t, v, _ in parse_do_list(outer[0x7C])}.get(0x80)
                if 0x7C in outer
                else None
            )
            if point:
                return ec.EllipticCurvePublicKey.from_encoded_point(ec.BrainpoolP256R1(), point)
        return None

    def close(self) -> None:
        pass


def _chip_key():
    return ec.derive_private_key(
        0x0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF, ec.BrainpoolP256R1()
    )


def _chip_public(key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def test_aes_ca_first_command_matches_the_aes_sm_vector(icao_vectors):
    v = icao_vectors["sm_aes_encode"]
    chip = _chip_key()
    card = ProtectedCard(h(v["ks_enc"]), h(v["ks_mac"]), int(v["ssc_before"], 16), True, chip)
    s = Session(card)
    s.start_secure_messaging(
        SecureMessaging.from_keys("AES-128", h(v["ks_enc"]), h(v["ks_mac"]), h(v["ssc_before"]))
    )
    result = chipauth.run(
        s, OID_ECDH_AES128, _chip_public(chip), CURVE, key_id=0xC3, keygen=lambda d: TERMINAL_SK
    )
    assert card.wire[0] == h(v["protected_command"])  # MSE:Set AT 80 OID 84 C3
    assert card.commands[0] == (0x22, h(v["plain_command"])[5:])
    ins, ga = card.commands[1]
    assert ins == 0x86  # GA 7C { 80 ephemeral key }
    assert ga[:4] == h("7C438041") and ga[4:] == result.ephemeral_public_key
    assert result.ephemeral_public_key == CURVE.encode_point(CURVE.generator * TERMINAL_SK)
    sm = s.secure_messaging
    assert sm is result.sm and sm.ssc == bytes(16)
    assert (sm.cipher.k_enc, sm.cipher.k_mac) == (card.k_enc, card.k_mac)
    # The caller proves the new channel by a read: the card checks it under the new keys.
    resp = s.transmit(CommandAPDU(0x00, 0xB0, 0x00, 0x00, ne=5))
    assert resp.data == h("60035F0100")
    outcome = result.to_outcome(established=True)
    assert outcome.performed and outcome.established and outcome.key_id == 0xC3
    assert outcome.protocol_oid == OID_ECDH_AES128


def test_3des_ca_uses_mse_set_kat(icao_vectors):
    v = icao_vectors["sm_3des_D4"]
    chip = _chip_key()
    card = ProtectedCard(
        h(v["ks_enc"]), h(v["ks_mac"]), int(v["ssc_start"], 16), False, chip, cipher="3DES"
    )
    s = Session(card)
    s.start_secure_messaging(
        SecureMessaging.from_keys("3DES", h(v["ks_enc"]), h(v["ks_mac"]), h(v["ssc_start"]))
    )
    result = chipauth.run(
        s, OID_ECDH_3DES, _chip_public(chip), CURVE, key_id=1, keygen=lambda d: TERMINAL_SK
    )
    assert card.wire[0][:4] == h("0C2241A6") and len(card.commands) == 1
    kat = {t: val for t, val, _ in parse_do_list(card.commands[0][1])}
    assert kat == {0x91: result.ephemeral_public_key, 0x84: h("01")}
    assert result.sm.ssc == bytes(8) and not result.sm.is_aes
    assert s.transmit(CommandAPDU(0x00, 0xB0, 0x00, 0x00, ne=5)).data == h("60035F0100")


def test_refused_mse_is_a_ca_error_and_keeps_the_old_channel(icao_vectors):
    v = icao_vectors["sm_aes_encode"]
    chip = _chip_key()
    card = ProtectedCard(
        h(v["ks_enc"]),
        h(v["ks_mac"]),
        int(v["ssc_before"], 16),
        True,
        chip,
        answers={1: (0x6A80, b"")},
    )
    s = Session(card)
    old = SecureMessaging.from_keys("AES-128", h(v["ks_enc"]), h(v["ks_mac"]), h(v["ssc_before"]))
    s.start_secure_messaging(old)
    with pytest.raises(ChipAuthenticationError) as info:
        chipauth.run(s, OID_ECDH_AES128, _chip_public(chip), CURVE, key_id=0xC3)
    assert info.value.sw == 0x6A80 and info.value.step == "mse_set_at"
    assert s.secure_messaging is old
    err = chipauth.outcome_of_error(OID_ECDH_AES128, 0xC3, info.value)
    assert err.performed and not err.established and err.error is info.value


def test_plain_answer_ends_secure_messaging(icao_vectors):
    v = icao_vectors["sm_aes_encode"]
    chip = _chip_key()
    card = ProtectedCard(
        h(v["ks_enc"]),
        h(v["ks_mac"]),
        int(v["ssc_before"], 16),
        True,
        chip,
        answers={2: ("plain", b"")},
    )
    s = Session(card)
    s.start_secure_messaging(
        SecureMessaging.from_keys("AES-128", h(v["ks_enc"]), h(v["ks_mac"]), h(v["ssc_before"]))
    )
    with pytest.raises(SecureMessagingError):
        chipauth.run(s, OID_ECDH_AES128, _chip_public(chip), CURVE, key_id=0xC3)
    assert s.secure_messaging is None


def test_needs_secure_messaging_and_a_valid_key():
    chip = _chip_key()
    with pytest.raises(ChipAuthenticationError, match="secure channel"):
        chipauth.run(
            Session(ProtectedCard(b"", b"", 0, True, chip)),
            OID_ECDH_AES128,
            _chip_public(chip),
            CURVE,
        )
    s = Session(ProtectedCard(bytes(16), bytes(16), 0, True, chip))
    s.start_secure_messaging(SecureMessaging.from_keys("AES-128", bytes(16), bytes(16)))
    bad = bytearray(_chip_public(chip))
    bad[-1] ^= 1
    with pytest.raises(ChipAuthenticationError) as info:
        chipauth.run(s, OID_ECDH_AES128, bytes(bad), CURVE)
    assert info.value.step == "ca_key"
    with pytest.raises(ChipAuthenticationError, match="does not fit"):
        chipauth.run(s, OID_ECDH_AES128, _chip_public(chip), dh.MODP_1024_160)
    with pytest.raises(ChipAuthenticationError, match="Unknown"):
        chipauth.algorithm("0.4.0.127.0.7.2.2.4.2.2")


def test_dh_ca_commands_and_keys():
    grp = dh.MODP_2048_256
    chip_x = 0x1F2E3D4C5B6A79880123456789
    chip_pk = grp.encode(pow(grp.g, chip_x, grp.p))
    cmds = chipauth.build_commands(chipauth.algorithm("0.4.0.127.0.7.2.2.3.1.2"), bytes(256), 7)
    assert [name for name, _ in cmds] == ["mse_set_at", "general_authenticate"]
    assert cmds[1][1].is_extended  # a 2048-bit value needs extended length
    dom = chipauth.domain_for(grp)
    t_x = 0xABCDEF123456789
    shared = dom.shared_secret(t_x, dom.decode(chip_pk))
    assert shared == pow(pow(grp.g, t_x, grp.p), chip_x, grp.p).to_bytes(256, "big")
