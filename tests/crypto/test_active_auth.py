"""Active Authentication: ISO/IEC 9796-2 scheme 1 with the BSI test key, ECDSA with DG14's hash."""

from __future__ import annotations

import hashlib

import pytest
from asn1crypto import keys as asn1_keys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from cardreader.lds.dg14 import DG14
from cardreader.lds.dg15 import DG15
from crypto import active_auth
from crypto.errors import InvalidSignature, UnsupportedAlgorithm
from crypto.keys import PublicKey
from crypto.report import Status
from simulators.carddata import fid_of_dg
from simulators.dataset import build_dataset

CHALLENGE = bytes.fromhex("0123456789abcdef")
TRAILER_ID = {"sha224": 0x38, "sha256": 0x34, "sha384": 0x36, "sha512": 0x35}


@pytest.fixture(scope="module")
def bsi_aa(pki_dir):
    folder = pki_dir / "bsi-tr03105-5"
    sk = serialization.load_der_private_key((folder / "DG15_sk.pkcs8").read_bytes(), None)
    dg15 = DG15.from_bytes((folder / "Datagroup15.bin").read_bytes())
    return sk, PublicKey.from_spki(dg15.public_key.raw)


def sign_9796_2(
    sk, challenge: bytes, hash_name: str = "sha1", *, drop: int = 0, full: bool = False
) -> bytes:
    """What a chip does (9303-11 §6.1, ISO/IEC 9796-2 scheme 1), written out for the test:
    F = 6A || M1 || H(M1 || M2) || trailer, signed with the raw RSA private operation.
    ``drop`` leading bytes shortens F, so the recovered message has leading zeros."""
    nums = sk.private_numbers()
    n, d = nums.public_numbers.n, nums.d
    k = (n.bit_length() + 7) // 8
    trailer = b"\xbc" if hash_name == "sha1" else bytes([TRAILER_ID[hash_name], 0xCC])
    h_len = hashlib.new(hash_name).digest_size
    m1_len = k - 1 - h_len - len(trailer) - drop
    m1 = hashlib.shake_256(b"chip nonce").digest(m1_len)
    header = b"\x4a" if full else b"\x6a"
    digest = hashlib.new(hash_name, m1 + challenge).digest()
    f = header + m1 + digest + trailer
    s = pow(int.from_bytes(f, "big"), d, n)
    return s.to_bytes(k, "big")


@pytest.mark.parametrize("hash_name", ["sha1", "sha224", "sha256", "sha384", "sha512"])
def test_rsa_9796_2_every_trailer(bsi_aa, hash_name):
    sk, key = bsi_aa
    sig = sign_9796_2(sk, CHALLENGE, hash_name)
    active_auth.verify(key, CHALLENGE, sig)
    assert active_auth.recover_9796_2(key, sig)[2] == hash_name


@pytest.mark.parametrize("drop", [1, 2])
def test_leading_zeros_after_the_rsa_operation(bsi_aa, drop):
    sk, key = bsi_aa
    active_auth.verify(key, CHALLENGE, sign_9796_2(sk, CHALLENGE, "sha256", drop=drop))


def test_signature_over_another_challenge(bsi_aa):
    sk, key = bsi_aa
    sig = sign_9796_2(sk, bytes(8), "sha1")
    with pytest.raises(InvalidSignature) as exc:
        active_auth.verify(key, CHALLENGE, sig)
    assert exc.value.code == "aa_signature_invalid"


@pytest.mark.parametrize("sig", [b"\x00" * 128, b"\xff" * 128, b"\x01"])
def test_garbage_rsa_signatures(bsi_aa, sig):
    _, key = bsi_aa
    with pytest.raises(InvalidSignature):
        active_auth.verify(key, CHALLENGE, sig)


def test_bsi_dg15_matches_its_private_key(bsi_aa, pki_dir):
    sk, key = bsi_aa
    assert key.rsa_key.public_numbers() == sk.public_key().public_numbers()
    spki = asn1_keys.PublicKeyInfo.load((pki_dir / "bsi-tr03105-5" / "DG15_pk.bin").read_bytes())
    assert PublicKey.from_spki(spki.dump()).rsa_key.public_numbers() == key.rsa_key.public_numbers()


@pytest.fixture(scope="module")
def ecdsa_card():
    ds = build_dataset(2, aa_key="ecdsa", aa_hash="sha384")
    dg14 = DG14.from_bytes(ds.files[fid_of_dg(14)])
    dg15 = DG15.from_bytes(ds.files[fid_of_dg(15)])
    return ds, dg14.active_authentication_info.hash_name, PublicKey.from_spki(dg15.public_key.raw)


def test_ecdsa_plain_and_der_with_the_hash_from_dg14(ecdsa_card):
    ds, hash_name, key = ecdsa_card
    assert hash_name == "sha384"
    der = ds.aa_private_key.sign(CHALLENGE, ec.ECDSA(hashes.SHA384()))
    r, s = decode_dss_signature(der)
    n = (key.curve.order.bit_length() + 7) // 8
    plain = r.to_bytes(n, "big") + s.to_bytes(n, "big")
    active_auth.verify(key, CHALLENGE, plain, hash_name=hash_name)
    active_auth.verify(key, CHALLENGE, der, hash_name=hash_name)
    with pytest.raises(InvalidSignature):
        active_auth.verify(key, CHALLENGE, plain, hash_name="sha256")
    with pytest.raises(UnsupportedAlgorithm):
        active_auth.verify(key, CHALLENGE, plain)


def _check(key_spki, sig, *, authenticated=True, hash_status=Status.VALID, challenge=CHALLENGE):
    return active_auth.check(
        performed=True,
        challenge=challenge,
        signature=sig,
        dg15=b"dg15",
        dg15_key_spki=key_spki,
        dg15_authenticated=authenticated,
        dg15_hash_status=hash_status,
    )


def test_check_counts_only_with_an_authentic_dg15(bsi_aa, pki_dir):
    sk, key = bsi_aa
    spki = key.spki
    sig = sign_9796_2(sk, CHALLENGE)
    assert (_check(spki, sig).status, _check(spki, sig).code) == (Status.VALID, "ok")
    c = _check(spki, sig, authenticated=False, hash_status=Status.NOT_PERFORMED)
    assert (c.status, c.code) == (Status.UNKNOWN, "aa_key_not_authenticated")
    c = _check(spki, sig, authenticated=False, hash_status=Status.INVALID)
    assert (c.status, c.code) == (Status.INVALID, "aa_key_hash_mismatch")
    c = _check(spki, sign_9796_2(sk, bytes(8)))
    assert (c.status, c.code) == (Status.INVALID, "aa_signature_invalid")
    c = active_auth.check(
        performed=False,
        challenge=None,
        signature=None,
        dg15=None,
        dg15_key_spki=None,
        dg15_authenticated=False,
        dg15_hash_status=Status.NOT_PERFORMED,
    )
    assert (c.status, c.code) == (Status.NOT_PERFORMED, "aa_not_supported")
