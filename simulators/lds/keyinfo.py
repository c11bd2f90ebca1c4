"""SubjectPublicKeyInfo encodings for EC keys (named or explicit domain parameters) and RSA.

``cryptography`` only writes named curves; CSCAs, DSCs and chips often carry the
explicit ECParameters (RFC 3279 §2.3.5, BSI TR-03111 §4.1.2), so the SPKI is
built here with asn1crypto from the curve's numbers in the ``ecdsa`` library.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ecdsa.curves as _ec
from asn1crypto import keys
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from .tlv import LDSEncodeError, der_oid, der_sequence, tlv

OID_EC_PUBLIC_KEY = "1.2.840.10045.2.1"
OID_PK_ECDH = "0.4.0.127.0.7.2.2.1.2"  # BSI TR-03110 id-PK-ECDH


@dataclass(frozen=True)
class Curve:
    name: str
    oid: str
    pace_id: int | None
    lib: _ec.Curve  # domain parameters (ecdsa library)
    crypto: type[ec.EllipticCurve] | None  # cryptography's class, if it has one

    @property
    def field_size(self) -> int:
        return (int(self.lib.curve.p()).bit_length() + 7) // 8


# Parameter ids: ICAO Doc 9303-11 §9.5.1 "Standardized Domain Parameters".
CURVES = {
    c.name: c
    for c in (
        Curve("secp192r1", "1.2.840.10045.3.1.1", 8, _ec.NIST192p, ec.SECP192R1),
        Curve("brainpoolP192r1", "1.3.36.3.3.2.8.1.1.3", 9, _ec.BRAINPOOLP192r1, None),
        Curve("secp224r1", "1.3.132.0.33", 10, _ec.NIST224p, ec.SECP224R1),
        Curve("brainpoolP224r1", "1.3.36.3.3.2.8.1.1.5", 11, _ec.BRAINPOOLP224r1, None),
        Curve("secp256r1", "1.2.840.10045.3.1.7", 12, _ec.NIST256p, ec.SECP256R1),
        Curve(
            "brainpoolP256r1", "1.3.36.3.3.2.8.1.1.7", 13, _ec.BRAINPOOLP256r1, ec.BrainpoolP256R1
        ),
        Curve("brainpoolP320r1", "1.3.36.3.3.2.8.1.1.9", 14, _ec.BRAINPOOLP320r1, None),
        Curve("secp384r1", "1.3.132.0.34", 15, _ec.NIST384p, ec.SECP384R1),
        Curve(
            "brainpoolP384r1", "1.3.36.3.3.2.8.1.1.11", 16, _ec.BRAINPOOLP384r1, ec.BrainpoolP384R1
        ),
        Curve(
            "brainpoolP512r1", "1.3.36.3.3.2.8.1.1.13", 17, _ec.BRAINPOOLP512r1, ec.BrainpoolP512R1
        ),
        Curve("secp521r1", "1.3.132.0.35", 18, _ec.NIST521p, ec.SECP521R1),
    )
}
_BY_CRYPTO_NAME = {c.crypto().name.lower(): c for c in CURVES.values() if c.crypto is not None}


def curve(name: str) -> Curve:
    try:
        return CURVES[name]
    except KeyError:
        raise LDSEncodeError(f"unknown curve {name!r}; known: {', '.join(CURVES)}") from None


def curve_of_key(key: ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey) -> Curve:
    return _BY_CRYPTO_NAME[key.curve.name.lower()]


def explicit_parameters(c: Curve) -> keys.ECDomainParameters:
    """SpecifiedECDomain v1: prime field, a and b as field-size octet strings, G uncompressed."""
    n = c.field_size
    cv, g = c.lib.curve, c.lib.generator
    # the ecdsa library hands out gmpy2 numbers when gmpy2 is installed
    p, a, b, gx, gy = (int(v) for v in (cv.p(), cv.a(), cv.b(), g.x(), g.y()))
    return keys.ECDomainParameters(
        name="specified",
        value={
            "version": "ecdpVer1",
            "field_id": {"field_type": "prime_field", "parameters": p},
            "curve": {"a": (a % p).to_bytes(n, "big"), "b": b.to_bytes(n, "big")},
            "base": b"\x04" + gx.to_bytes(n, "big") + gy.to_bytes(n, "big"),
            "order": int(c.lib.order),
            "cofactor": int(cv.cofactor() or 1),
        },
    )


def ec_point(key: ec.EllipticCurvePublicKey) -> bytes:
    n = curve_of_key(key).field_size
    nums = key.public_numbers()
    return b"\x04" + nums.x.to_bytes(n, "big") + nums.y.to_bytes(n, "big")


def ec_spki(
    key: ec.EllipticCurvePublicKey, *, explicit: bool = True, algorithm_oid: str = OID_EC_PUBLIC_KEY
) -> bytes:
    """DER EC SubjectPublicKeyInfo; ``explicit`` picks specified domain parameters over the
    curve OID; ``algorithm_oid`` may be id-PK-ECDH, which asn1crypto does not know, hence
    the hand-made outer SEQUENCE."""
    c = curve_of_key(key)
    params = (
        explicit_parameters(c) if explicit else keys.ECDomainParameters(name="named", value=c.oid)
    )
    algorithm = der_sequence(der_oid(algorithm_oid), params.dump())
    return der_sequence(algorithm, tlv(0x03, b"\x00" + ec_point(key)))


def rsa_spki(key: rsa.RSAPublicKey) -> bytes:
    nums = key.public_numbers()
    return bytes(
        keys.PublicKeyInfo(
            {
                "algorithm": {"algorithm": "rsa", "parameters": None},
                "public_key": keys.RSAPublicKey({"modulus": nums.n, "public_exponent": nums.e}),
            }
        ).dump()
    )


def spki(key: Any, *, explicit: bool = True) -> bytes:
    """SPKI of any public (or private) key this package makes."""
    if hasattr(key, "public_key"):
        key = key.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        return ec_spki(key, explicit=explicit)
    if isinstance(key, rsa.RSAPublicKey):
        return rsa_spki(key)
    raise TypeError(f"unsupported key type {type(key).__name__}")
