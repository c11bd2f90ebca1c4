"""Public keys from SubjectPublicKeyInfo (named and explicit EC parameters, RSA) and signatures."""

from __future__ import annotations

import hashlib
from typing import Any

import ecdsa
import ecdsa.util
import pytest
from asn1crypto import algos, keys
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from crypto import curves
from crypto.certs import Certificate
from crypto.errors import InvalidKey, InvalidSignature, MalformedError, UnsupportedAlgorithm
from crypto.keys import PublicKey, SignatureScheme

from .conftest import DOCUMENTS


def _spki(curve: curves.NamedCurve, point: bytes, explicit: bool) -> bytes:
    if explicit:
        n = curve.field_size
        g = curve.generator
        p, a, b = int(curve.p), int(curve.a), int(curve.b)
        params: tuple[str, Any] = (
            "specified",
            {
                "version": "ecdpVer1",
                "field_id": {"field_type": "prime_field", "parameters": p},
                "curve": {"a": (a % p).to_bytes(n, "big"), "b": b.to_bytes(n, "big")},
                "base": b"\x04" + int(g.x()).to_bytes(n, "big") + int(g.y()).to_bytes(n, "big"),
                "order": int(curve.order),
                "cofactor": int(curve.cofactor),
            },
        )
    else:
        params = ("named", curve.oid)
    return keys.PublicKeyInfo(
        {"algorithm": {"algorithm": "ec", "parameters": params}, "public_key": point}
    ).dump()


def test_vietnamese_csca_explicit_brainpool_p512_self_signature(pki_dir):
    cert = Certificate.from_bytes((pki_dir / "VN_CSCA_ePassport.cer").read_bytes())
    key = cert.public_key
    assert key.curve.name == "brainpoolP512r1"
    assert cert.signature_scheme == SignatureScheme("ecdsa", "sha512")
    cert.verify_signed_by(cert)  # raises if it does not verify
    assert cert.country == "VN" and cert.role.value == "csca"


@pytest.mark.parametrize("country", DOCUMENTS)
def test_shared_certificate_keys_load(pki_dir, country):
    for name in ("CSCA.cer", "DSC.cer"):
        key = Certificate.from_bytes(
            (pki_dir / "documents" / country / name).read_bytes()
        ).public_key
        assert key.algorithm in ("rsa", "ec")
        assert key.bits >= 256


@pytest.mark.parametrize(
    "curve_name",
    ["brainpoolP192r1", "brainpoolP224r1", "brainpoolP320r1", "brainpoolP256r1", "secp256r1"],
)
@pytest.mark.parametrize("explicit", [True, False])
def test_ecdsa_every_curve_named_or_explicit(curve_name, explicit):
    curve = curves.by_name(curve_name)
    sk = ecdsa.SigningKey.from_secret_exponent(123456789 + len(curve_name), curve=curve.lib)
    point = b"\x04" + sk.get_verifying_key().to_string("raw")
    key = PublicKey.from_spki(_spki(curve, point, explicit))
    assert key.curve is curve
    assert (key.ec_key is None) == (curve.crypto_curve is None)  # ecdsa library only where needed
    msg = b"document security object"
    k = 987654321
    der = sk.sign(msg, hashfunc=hashlib.sha256, sigencode=ecdsa.util.sigencode_der, k=k)
    plain = sk.sign(msg, hashfunc=hashlib.sha256, sigencode=ecdsa.util.sigencode_string, k=k)
    scheme = SignatureScheme("ecdsa", "sha256")
    key.verify(der, msg, scheme)
    key.verify(plain, msg, scheme)
    key.verify_digest(plain, hashlib.sha256(msg).digest(), scheme)
    with pytest.raises(InvalidSignature):
        key.verify(plain, msg + b"!", scheme)
    bad = bytearray(plain)
    bad[-1] ^= 1
    with pytest.raises(InvalidSignature):
        key.verify(bytes(bad), msg, scheme)


def test_ecdsa_signature_of_wrong_length_is_malformed():
    curve = curves.by_name("brainpoolP256r1")
    sk = ecdsa.SigningKey.from_secret_exponent(42, curve=curve.lib)
    key = PublicKey.from_spki(
        _spki(curve, b"\x04" + sk.get_verifying_key().to_string("raw"), False)
    )
    with pytest.raises(InvalidSignature) as exc:
        key.verify(b"\x01" * 63, b"x", SignatureScheme("ecdsa", "sha256"))
    assert exc.value.code == "signature_malformed"


def test_rsa_pkcs1_and_pss_with_parameters():
    sk = rsa.generate_private_key(65537, 2048)
    spki = keys.PublicKeyInfo(
        {
            "algorithm": {"algorithm": "rsa"},
            "public_key": {"modulus": sk.public_key().public_numbers().n, "public_exponent": 65537},
        }
    ).dump()
    key = PublicKey.from_spki(spki)
    msg = b"hello"
    key.verify(
        sk.sign(msg, padding.PKCS1v15(), hashes.SHA384()),
        msg,
        SignatureScheme("pkcs1v15", "sha384"),
    )
    pss_alg = algos.SignedDigestAlgorithm(
        {
            "algorithm": "rsassa_pss",
            "parameters": {
                "hash_algorithm": {"algorithm": "sha512"},
                "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": "sha256"}},
                "salt_length": 20,
                "trailer_field": "trailer_field_bc",
            },
        }
    )
    scheme = SignatureScheme.from_algorithm(pss_alg)
    assert scheme == SignatureScheme("pss", "sha512", 20, "sha256")
    sig = sk.sign(msg, padding.PSS(padding.MGF1(hashes.SHA256()), 20), hashes.SHA512())
    key.verify(sig, msg, scheme)
    with pytest.raises(InvalidSignature):  # the salt length is part of the parameters
        key.verify(sig, msg, SignatureScheme("pss", "sha512", 32, "sha256"))
    with pytest.raises(InvalidSignature) as exc:
        key.verify(sig, msg, SignatureScheme("ecdsa", "sha256"))
    assert exc.value.code == "algorithm_mismatch"


def test_plain_rsa_encryption_takes_hash_from_digest_algorithm():
    alg = algos.SignedDigestAlgorithm({"algorithm": "rsassa_pkcs1v15"})
    assert SignatureScheme.from_algorithm(alg, "sha224") == SignatureScheme("pkcs1v15", "sha224")
    with pytest.raises(UnsupportedAlgorithm):
        SignatureScheme.from_algorithm(alg, "md5")
    with pytest.raises(UnsupportedAlgorithm):
        SignatureScheme.from_algorithm(algos.SignedDigestAlgorithm({"algorithm": "sha1_dsa"}))


def test_explicit_parameters_of_no_known_curve():
    curve = curves.by_name("brainpoolP256r1")
    spki = keys.PublicKeyInfo.load(_spki(curve, curve.encode_point(curve.generator), True))
    spec = spki["algorithm"]["parameters"].chosen
    spec["order"] = int(curve.order) + 2
    spki = keys.PublicKeyInfo(
        {
            "algorithm": {"algorithm": "ec", "parameters": ("specified", spec)},
            "public_key": curve.encode_point(curve.generator),
        }
    )
    with pytest.raises(InvalidKey):
        PublicKey.from_spki(spki.dump())


def test_point_not_on_curve_and_garbage():
    curve = curves.by_name("brainpoolP256r1")
    g = curve.generator
    off = b"\x04" + int(g.x()).to_bytes(32, "big") + (int(g.y()) + 1).to_bytes(32, "big")
    with pytest.raises(InvalidKey):
        PublicKey.from_spki(_spki(curve, off, False))
    with pytest.raises(MalformedError):
        PublicKey.from_spki(b"\x30\x03\x02\x01\x01")
    with pytest.raises(MalformedError):
        PublicKey.from_spki(b"\xff" * 40)


def test_cryptography_curve_key_matches_its_own_signature():
    sk = ec.generate_private_key(ec.BrainpoolP384R1())
    point = sk.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    key = PublicKey.from_spki(_spki(curves.by_name("brainpoolP384r1"), point, True))
    sig = sk.sign(b"m", ec.ECDSA(hashes.SHA1()))
    key.verify(sig, b"m", SignatureScheme("ecdsa", "sha1"))


def test_id_pk_ecdh_key_as_dg14_writes_it():
    """DG14 may name the key id-PK-ECDH (BSI TR-03110) instead of id-ecPublicKey."""
    from asn1crypto import core

    curve = curves.by_name("brainpoolP320r1")
    point = curve.encode_point(curve.generator * 7)
    normal = keys.PublicKeyInfo.load(_spki(curve, point, True))
    params = normal["algorithm"]["parameters"].dump()
    oid = core.ObjectIdentifier("0.4.0.127.0.7.2.2.1.2").dump()
    alg_der = b"\x30" + _der_len(len(oid) + len(params)) + oid + params
    bits = normal["public_key"].dump()
    spki = b"\x30" + _der_len(len(alg_der) + len(bits)) + alg_der + bits
    key = PublicKey.from_spki(spki)
    assert key.curve is curve and key.point == point


def _der_len(n: int) -> bytes:
    return (
        bytes([n])
        if n < 0x80
        else bytes([0x81, n])
        if n < 0x100
        else bytes([0x82]) + n.to_bytes(2, "big")
    )
