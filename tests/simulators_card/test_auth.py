"""Chip Authentication v1 and Active Authentication on the card side."""

from __future__ import annotations

import hashlib
import os

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dh, ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from simulators.card.groups import RFC5114_2048_256
from simulators.card.primitives import CipherSuite
from simulators.card.tlv import tlv
from simulators.carddata import FID_COM

from .conftest import pace_card
from .helpers import Terminal

SELECT_APP = (0x00, 0xA4, 0x04, 0x0C, bytes.fromhex("A0000002471001"))
CA_ECDH_AES128 = bytes.fromhex("04007F00070202030202")
CA_DH_AES256 = bytes.fromhex("04007F00070202030104")
_EC_KEY = ec.derive_private_key(0x1234567890ABCDEF, ec.BrainpoolP256R1())


def _ec_point(key) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def _read_com(terminal) -> tuple[bytes, int]:
    terminal.send(*SELECT_APP)
    terminal.send(0x00, 0xA4, 0x02, 0x0C, b"\x01\x1e")
    return terminal.send(0x00, 0xB0, 0x00, 0x00, ne=0x20)


def _ca_ecdh(card, terminal, oid=CA_ECDH_AES128, key_id: bytes | None = None):
    eph = ec.generate_private_key(ec.BrainpoolP256R1())
    mse = tlv(0x80, oid) + (tlv(0x84, key_id) if key_id else b"")
    assert terminal.send(0x00, 0x22, 0x41, 0xA4, mse) == (b"", 0x9000)
    data, sw = terminal.send(0x00, 0x86, 0x00, 0x00, tlv(0x7C, tlv(0x80, _ec_point(eph))), ne=256)
    assert (data, sw) == (b"\x7c\x00", 0x9000)
    secret = eph.exchange(ec.ECDH(), card.dataset.ca_private_key.public_key())
    suite = CipherSuite("AES", 128)
    return Terminal(card, suite, suite.derive(secret, 1), suite.derive(secret, 2), 0)


def test_ca_ecdh_aes_switches_keys_and_restarts_ssc(icao_vectors):
    card, terminal = pace_card(icao_vectors, ca_private_key=_EC_KEY, ca_key_id=1)
    new = _ca_ecdh(card, terminal, key_id=b"\x01")
    assert card.sm.ssc == 0 and card.sm.k_enc == new.k_enc
    assert _read_com(new) == (card.dataset.files[FID_COM], 0x6282)
    # The old keys no longer work.
    assert card.process_apdu(terminal.wrap(*SELECT_APP)) == bytes.fromhex("6988")


def test_ca_3des_via_mse_set_kat(icao_vectors):
    card, terminal = pace_card(icao_vectors, ca_private_key=_EC_KEY)
    eph = ec.generate_private_key(ec.BrainpoolP256R1())
    assert terminal.send(0x00, 0x22, 0x41, 0xA6, tlv(0x91, _ec_point(eph))) == (b"", 0x9000)
    secret = eph.exchange(ec.ECDH(), _EC_KEY.public_key())
    suite = CipherSuite("3DES")
    new = Terminal(card, suite, suite.derive(secret, 1), suite.derive(secret, 2), 0)
    assert _read_com(new)[0] == card.dataset.files[FID_COM]


def test_ca_dh(icao_vectors):
    g = RFC5114_2048_256
    key = dh.DHParameterNumbers(g.p, g.g, g.q).parameters().generate_private_key()
    card, terminal = pace_card(icao_vectors, ca_private_key=key)
    eph = key.parameters().generate_private_key()
    y = eph.public_key().public_numbers().y.to_bytes(g.size, "big")
    terminal.send(0x00, 0x22, 0x41, 0xA4, tlv(0x80, CA_DH_AES256))
    assert terminal.send(0x00, 0x86, 0x00, 0x00, tlv(0x7C, tlv(0x80, y)), ne=256) == (
        b"\x7c\x00",
        0x9000,
    )
    secret = eph.exchange(key.public_key()).rjust(g.size, b"\x00")
    suite = CipherSuite("AES", 256)
    new = Terminal(card, suite, suite.derive(secret, 1), suite.derive(secret, 2), 0)
    assert _read_com(new)[0] == card.dataset.files[FID_COM]


def test_ca_refusals(icao_vectors):
    card, terminal = pace_card(icao_vectors, ca_private_key=_EC_KEY, ca_key_id=1)
    assert (
        terminal.send(0x00, 0x22, 0x41, 0xA4, tlv(0x80, CA_ECDH_AES128) + tlv(0x84, b"\x02"))[1]
        == 0x6A88
    )
    assert terminal.send(0x00, 0x22, 0x41, 0xA4, tlv(0x84, b"\x01"))[1] == 0x6A80
    terminal.send(0x00, 0x22, 0x41, 0xA4, tlv(0x80, CA_ECDH_AES128))
    bad_point = b"\x04" + bytes(64)
    assert (
        terminal.send(0x00, 0x86, 0x00, 0x00, tlv(0x7C, tlv(0x80, bad_point)), ne=256)[1] == 0x6A80
    )
    # Without access control there is no CA.
    card.power_on()
    assert card.process_apdu(b"\x00\x22\x41\xa4\x0c" + tlv(0x80, CA_ECDH_AES128)) == bytes.fromhex(
        "6982"
    )


def test_ca_fail_fault_answers_9000_then_uses_wrong_keys(icao_vectors):
    card, terminal = pace_card(
        icao_vectors, faults=["ca-fail"], extra_rng=[os.urandom(32)], ca_private_key=_EC_KEY
    )
    new = _ca_ecdh(card, terminal)
    assert card.process_apdu(new.wrap(*SELECT_APP)) == bytes.fromhex("6988")


def _aa(card, terminal, challenge: bytes) -> bytes:
    data, sw = terminal.send(0x00, 0x88, 0x00, 0x00, challenge, ne=256)
    assert sw == 0x9000
    return data


def _recover_9796_2(signature: bytes, key) -> bytes:
    pub = key.public_key().public_numbers()
    f = pow(int.from_bytes(signature, "big"), pub.e, pub.n)
    return f.to_bytes((pub.n.bit_length() + 7) // 8, "big")


@pytest.mark.parametrize("hash_name, trailer", [("sha1", "BC"), ("sha256", "34CC")])
def test_aa_rsa_iso9796_2_with_the_bsi_test_key(icao_vectors, shared_dir, hash_name, trailer):
    key = serialization.load_der_private_key(
        (shared_dir / "pki/bsi-tr03105-5/DG15_sk.pkcs8").read_bytes(), None
    )
    h_len = hashlib.new(hash_name).digest_size
    m1 = os.urandom(128 - h_len - len(trailer) // 2 - 1)
    card, terminal = pace_card(icao_vectors, extra_rng=[m1], aa_private_key=key)
    card.aa_rsa_hash = hash_name
    challenge = bytes.fromhex("0102030405060708")
    f = _recover_9796_2(_aa(card, terminal, challenge), key)
    assert f[0] == 0x6A and f.hex().upper().endswith(trailer)
    assert f[1 : 1 + len(m1)] == m1
    digest = f[1 + len(m1) : 1 + len(m1) + h_len]
    assert digest == hashlib.new(hash_name, m1 + challenge).digest()


def test_aa_wrong_fault_signs_another_challenge(icao_vectors, shared_dir):
    key = serialization.load_der_private_key(
        (shared_dir / "pki/bsi-tr03105-5/DG15_sk.pkcs8").read_bytes(), None
    )
    m1 = os.urandom(106)
    card, terminal = pace_card(
        icao_vectors, faults=["aa-wrong"], extra_rng=[m1], aa_private_key=key
    )
    challenge = bytes(8)
    f = _recover_9796_2(_aa(card, terminal, challenge), key)
    assert f[0] == 0x6A and f[-1] == 0xBC
    assert f[107:127] != hashlib.sha1(m1 + challenge).digest()


@pytest.mark.parametrize("fault", [[], ["aa-wrong"]])
def test_aa_ecdsa_plain_signature(icao_vectors, fault):
    key = ec.derive_private_key(0xC0FFEE, ec.SECP256R1())
    card, terminal = pace_card(icao_vectors, faults=fault, aa_private_key=key, aa_hash="sha256")
    challenge = bytes.fromhex("1122334455667788")
    signature = _aa(card, terminal, challenge)
    assert len(signature) == 64
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    if fault:
        with pytest.raises(InvalidSignature):
            key.public_key().verify(der, challenge, ec.ECDSA(hashes.SHA256()))
    else:
        key.public_key().verify(der, challenge, ec.ECDSA(hashes.SHA256()))


def test_aa_needs_an_8_byte_challenge_and_a_key(icao_vectors):
    _card, terminal = pace_card(icao_vectors)
    assert terminal.send(0x00, 0x88, 0x00, 0x00, bytes(8), ne=256)[1] == 0x6D00  # no AA key
    _card2, terminal2 = pace_card(icao_vectors, aa_private_key=_EC_KEY)
    assert terminal2.send(0x00, 0x88, 0x00, 0x00, bytes(7), ne=256)[1] == 0x6700
