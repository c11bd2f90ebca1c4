"""Test helpers: public keys out of SPKIs with explicit EC parameters, signature checks.

Written here (not imported from the terminal side) so these tests check the card
side's bytes against the specifications and the libraries only.
"""

from __future__ import annotations

import ecdsa.curves
from asn1crypto import keys, x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key

_CRYPTO_CURVES: dict[str, type[ec.EllipticCurve]] = {
    "BRAINPOOLP256r1": ec.BrainpoolP256R1,
    "BRAINPOOLP384r1": ec.BrainpoolP384R1,
    "BRAINPOOLP512r1": ec.BrainpoolP512R1,
    "NIST256p": ec.SECP256R1,
    "NIST384p": ec.SECP384R1,
    "NIST521p": ec.SECP521R1,
}
HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


def curve_from_explicit(params: keys.SpecifiedECDomain) -> ec.EllipticCurve:
    """The named curve whose p, a, b, G and n equal the explicit parameters."""
    p = params["field_id"]["parameters"].native
    a = int.from_bytes(params["curve"]["a"].native, "big")
    b = int.from_bytes(params["curve"]["b"].native, "big")
    base = params["base"].native
    n = params["order"].native
    size = (len(base) - 1) // 2
    gx, gy = int.from_bytes(base[1 : 1 + size], "big"), int.from_bytes(base[1 + size :], "big")
    for name, cls in _CRYPTO_CURVES.items():
        c = getattr(ecdsa.curves, name)
        g = c.generator
        if (
            int(c.curve.p()),
            int(c.curve.a()) % p,
            int(c.curve.b()),
            int(c.order),
            int(g.x()),
            int(g.y()),
        ) == (p, a, b, n, gx, gy):
            return cls()
    raise AssertionError("explicit parameters match no known curve")


def public_key_from_spki(spki_der: bytes):
    """A cryptography public key from an SPKI, explicit EC parameters mapped to their curve."""
    info = keys.PublicKeyInfo.load(spki_der)
    params = info["algorithm"]["parameters"]
    if isinstance(params, keys.ECDomainParameters) and params.name == "specified":
        curve = curve_from_explicit(params.chosen)
        return ec.EllipticCurvePublicKey.from_encoded_point(curve, info["public_key"].native)
    return load_der_public_key(spki_der)


def cert_public_key(cert: x509.Certificate):
    return public_key_from_spki(cert["tbs_certificate"]["subject_public_key_info"].dump())


def verify_signature(public_key, signature: bytes, data: bytes, sig_alg) -> None:
    """Raise InvalidSignature unless ``signature`` over ``data`` verifies per ``sig_alg``
    (an asn1crypto SignedDigestAlgorithm)."""
    name = sig_alg["algorithm"].native
    if name == "rsassa_pss":
        params = sig_alg["parameters"]
        h = HASHES[params["hash_algorithm"]["algorithm"].native]()
        public_key.verify(
            signature, data, padding.PSS(padding.MGF1(h), params["salt_length"].native), h
        )
    elif name.endswith("_ecdsa"):
        public_key.verify(signature, data, ec.ECDSA(HASHES[name.split("_")[0]]()))
    elif name.endswith("_rsa"):
        assert isinstance(public_key, rsa.RSAPublicKey)
        public_key.verify(signature, data, padding.PKCS1v15(), HASHES[name.split("_")[0]]())
    else:
        raise AssertionError(f"unexpected signature algorithm {name}")


def verify_certificate(cert: x509.Certificate, issuer_public_key) -> None:
    verify_signature(
        issuer_public_key,
        cert["signature_value"].native,
        cert["tbs_certificate"].dump(),
        cert["signature_algorithm"],
    )


def strip_tlv(raw: bytes, tag: bytes) -> bytes:
    """The value of a single BER-TLV with a definite length, checked to span the whole input."""
    assert raw.startswith(tag), raw[:4].hex()
    i = len(tag)
    first = raw[i]
    if first < 0x80:
        length, i = first, i + 1
    else:
        k = first & 0x7F
        length, i = int.from_bytes(raw[i + 1 : i + 1 + k], "big"), i + 1 + k
    assert i + length == len(raw), "the TLV must span the whole file"
    return raw[i:]
