"""PACE Integrated Mapping for ECDH (ICAO Doc 9303-11 §4.4.3.3.2, worked example App. H.1).

The chip's nonce ``s`` and a terminal nonce ``t`` (sent in the clear as mapping data '81')
are turned into the mapped generator without a second key agreement:

  G' = f_G(R_p(s, t))

``R_p`` is the pseudo-random function built from the block cipher (AES-128 here: the only
cipher this reader runs IM with), ``f_G`` the point encoding (simplified SWU for primes
p = 3 mod 4, which covers the brainpool and NIST P-256/384/521 curves). Pure functions only:
``cardreader.pace.run`` does the exchange.
"""

from __future__ import annotations

from ecdsa.ellipticcurve import INFINITY, PointJacobi

from crypto.curves import NamedCurve
from crypto.smcipher import aes_ecb_encrypt

# The PRF's constants c0 (next key) and c1 (output block) for a 128-bit block (App. H / §4.4.3.3.2).
C0_128 = bytes.fromhex("a668892a7c41e3ca739f40b057d85904")
C1_128 = bytes.fromhex("a4e136ac725f738b01c1f60217c188ad")
NONCE_LENGTH = 16  # t: one AES block, as long as s


class IntegratedMappingError(ValueError):
    """Integrated Mapping cannot run with these inputs (wrong nonce length, unsuited curve)."""


def pseudo_random_blocks(s: bytes, t: bytes, p: int) -> bytes:
    """R(s, t): k_0 = E(t, s); then x_i = E(k_i, c1) and k_{i+1} = E(k_i, c0) for as many
    128-bit blocks as cover log2(p) + 64 bits (the extra 64 make ``mod p`` nearly uniform)."""
    if len(s) != 16 or len(t) != 16:
        raise IntegratedMappingError("Integrated Mapping with AES-128 takes 16-byte nonces")
    key = aes_ecb_encrypt(t, s)
    out = bytearray()
    while len(out) * 8 < p.bit_length() + 64:
        out += aes_ecb_encrypt(key, C1_128)
        key = aes_ecb_encrypt(key, C0_128)
    return bytes(out)


def pseudo_random(s: bytes, t: bytes, p: int) -> int:
    """R_p(s, t) = R(s, t) mod p."""
    return int.from_bytes(pseudo_random_blocks(s, t, p), "big") % p


def point_encoding(curve: NamedCurve, r: int) -> PointJacobi:
    """f_G: a field element to a curve point (simplified SWU, p = 3 mod 4), times the cofactor."""
    p, a, b = curve.p, curve.a, curve.b
    if p % 4 != 3 or a % p == 0:
        raise IntegratedMappingError(f"Integrated Mapping is not defined for {curve.name}")
    t = r % p
    alpha = -t * t % p
    denominator = (alpha + alpha * alpha) % p
    if denominator == 0:  # t = 0 (or alpha = -1): no encoding; probability ~2^-250
        raise IntegratedMappingError("the pseudo-random value has no point encoding")
    x2 = -b * pow(a, -1, p) * (1 + pow(denominator, -1, p)) % p
    x3 = alpha * x2 % p
    h2 = (pow(x2, 3, p) + a * x2 + b) % p
    u = pow(t, 3, p) * h2 % p
    big_a = pow(h2, p - 1 - (p + 1) // 4, p)
    if big_a * big_a * h2 % p == 1:
        x, y = x2, big_a * h2 % p
    else:
        x, y = x3, big_a * u % p
    point = curve.point(x, y)  # checks the result lies on the curve
    if curve.cofactor != 1:
        point = point * curve.cofactor
    if point == INFINITY:
        raise IntegratedMappingError("the mapped generator is the point at infinity")
    return point


def map_generator(curve: NamedCurve, s: bytes, t: bytes) -> PointJacobi:
    """G' = f_G(R_p(s, t)), the generator both sides use for the key agreement."""
    return point_encoding(curve, pseudo_random(s, t, curve.p))
