"""PACE Integrated Mapping for ECDH, card side (ICAO Doc 9303-11 §4.4.3.3.2; App. H.1).

The terminal sends its nonce t in the clear ('81'); chip and terminal then both compute
the generator G' = f_G(R_p(s, t)) where:

- R(s, t) chains the block cipher: key_0 = E(t, s); block_i = E(key_i, c1),
  key_(i+1) = E(key_i, c0), until the blocks hold log2(p) + 64 bits; R_p = R mod p.
- f_G is the point encoding for p = 3 (mod 4) (a simplified Shallue-van de Woestijne-Ulas
  map): it turns R_p into an affine point, which is then multiplied by the cofactor.

AES-128 only (16-byte nonces), like the card's PACEInfo. Written for the card alone.
"""

from __future__ import annotations

from ecdsa.curves import Curve
from ecdsa.ellipticcurve import INFINITY, PointJacobi

from simulators.card.errors import SW_WRONG_DATA, SWError
from simulators.card.primitives import aes_cbc_encrypt

_C0 = bytes.fromhex("A668892A7C41E3CA739F40B057D85904")
_C1 = bytes.fromhex("A4E136AC725F738B01C1F60217C188AD")


def _e(key: bytes, block: bytes) -> bytes:
    # One block: CBC with a zero IV over one block is the plain cipher.
    return aes_cbc_encrypt(key, block)


def prf(s: bytes, t: bytes, p: int) -> bytes:
    """R(s, t), the whole 128-bit blocks before the reduction mod p."""
    if len(t) != 16 or len(s) != 16:
        raise SWError(SW_WRONG_DATA, "Integrated Mapping nonce must be 16 bytes")
    needed = p.bit_length() + 64
    key, blocks = _e(t, s), list[bytes]()
    while 128 * len(blocks) < needed:
        blocks.append(_e(key, _C1))
        key = _e(key, _C0)
    return b"".join(blocks)


def encode_point(curve: Curve, u: int) -> PointJacobi:
    """f_G(u) on an ``ecdsa`` curve (p = 3 mod 4)."""
    c = curve.curve
    p, a, b = c.p(), c.a(), c.b()
    if p % 4 != 3:
        raise SWError(SW_WRONG_DATA, "Integrated Mapping needs a prime p = 3 mod 4")
    u %= p
    alpha = (p - u * u % p) % p  # -u^2
    inv = pow((alpha + alpha * alpha) % p, p - 2, p)  # Fermat inverse: p is prime
    x2 = (p - b) * pow(a, p - 2, p) % p * (1 + inv) % p
    x3 = alpha * x2 % p
    h2 = (x2 * x2 % p * x2 + a * x2 + b) % p
    a_ = pow(h2, p - 1 - (p + 1) // 4, p)
    if a_ * a_ % p * h2 % p == 1:
        x, y = x2, a_ * h2 % p
    else:
        x, y = x3, a_ * (pow(u, 3, p) * h2 % p) % p
    if (y * y - (x * x * x + a * x + b)) % p:
        raise SWError(SW_WRONG_DATA, "point encoding left the curve")
    point = PointJacobi(c, x, y, 1, curve.order)
    cofactor = c.cofactor() or 1
    if cofactor != 1:
        point = point * cofactor
    if point == INFINITY:
        raise SWError(SW_WRONG_DATA, "mapped generator is the point at infinity")
    return PointJacobi(c, point.x(), point.y(), 1, curve.order)


def mapped_generator(curve: Curve, s: bytes, t: bytes) -> PointJacobi:
    p = curve.curve.p()
    return encode_point(curve, int.from_bytes(prf(s, t, p), "big") % p)
