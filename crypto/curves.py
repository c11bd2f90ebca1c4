"""Named elliptic curves, found by name, OID, PACE parameter id or explicit parameters.

Point arithmetic (the addition PACE's generic mapping needs, and the curves
``cryptography`` lacks: brainpoolP192r1/P224r1/P320r1) comes from the
``ecdsa`` library; ``cryptography`` is used wherever it has the curve, since
it is much faster. Explicit domain parameters, common in DSCs and CSCAs, are
mapped to the named curve they equal.
"""

from __future__ import annotations

from dataclasses import dataclass

import ecdsa.curves as _ec
from cryptography.hazmat.primitives.asymmetric import ec as _cec
from ecdsa.ellipticcurve import INFINITY, PointJacobi


class CurveError(ValueError):
    """Unknown curve, or a point that is not on it."""


@dataclass(frozen=True)
class NamedCurve:
    name: str
    oid: str
    pace_id: int | None
    lib: _ec.Curve  # the ecdsa library's curve (arithmetic)
    crypto_curve: type[_cec.EllipticCurve] | None  # cryptography's class, when it has one

    @property
    def p(self) -> int:
        return int(self.lib.curve.p())

    @property
    def a(self) -> int:
        return int(self.lib.curve.a())

    @property
    def b(self) -> int:
        return int(self.lib.curve.b())

    @property
    def order(self) -> int:
        return int(self.lib.order)

    @property
    def cofactor(self) -> int:
        return self.lib.curve.cofactor() or 1

    @property
    def generator(self) -> PointJacobi:
        return self.lib.generator

    @property
    def field_size(self) -> int:
        """Bytes in one coordinate."""
        return (self.p.bit_length() + 7) // 8

    def point(self, x: int, y: int) -> PointJacobi:
        """A point given by affine coordinates, checked to be on the curve."""
        if not self.lib.curve.contains_point(x, y):
            raise CurveError(f"point is not on {self.name}")
        return PointJacobi(self.lib.curve, x, y, 1, self.order)

    def decode_point(self, data: bytes) -> PointJacobi:
        """Uncompressed SEC1 encoding 04 || X || Y."""
        n = self.field_size
        if len(data) != 1 + 2 * n or data[0] != 0x04:
            raise CurveError(f"not an uncompressed {self.name} point")
        return self.point(
            int.from_bytes(data[1 : 1 + n], "big"), int.from_bytes(data[1 + n :], "big")
        )

    def encode_point(self, point: PointJacobi) -> bytes:
        if point == INFINITY:
            raise CurveError("the point at infinity has no encoding")
        n = self.field_size
        return b"\x04" + int(point.x()).to_bytes(n, "big") + int(point.y()).to_bytes(n, "big")


# (name, OID, PACE standardized domain parameter id, ecdsa curve, cryptography class)
# Parameter ids from ICAO Doc 9303-11 table "Standardized Domain Parameters".
_TABLE = [
    ("secp192r1", "1.2.840.10045.3.1.1", 8, _ec.NIST192p, _cec.SECP192R1),
    ("brainpoolP192r1", "1.3.36.3.3.2.8.1.1.3", 9, _ec.BRAINPOOLP192r1, None),
    ("secp224r1", "1.3.132.0.33", 10, _ec.NIST224p, _cec.SECP224R1),
    ("brainpoolP224r1", "1.3.36.3.3.2.8.1.1.5", 11, _ec.BRAINPOOLP224r1, None),
    ("secp256r1", "1.2.840.10045.3.1.7", 12, _ec.NIST256p, _cec.SECP256R1),
    ("brainpoolP256r1", "1.3.36.3.3.2.8.1.1.7", 13, _ec.BRAINPOOLP256r1, _cec.BrainpoolP256R1),
    ("brainpoolP320r1", "1.3.36.3.3.2.8.1.1.9", 14, _ec.BRAINPOOLP320r1, None),
    ("secp384r1", "1.3.132.0.34", 15, _ec.NIST384p, _cec.SECP384R1),
    ("brainpoolP384r1", "1.3.36.3.3.2.8.1.1.11", 16, _ec.BRAINPOOLP384r1, _cec.BrainpoolP384R1),
    ("brainpoolP512r1", "1.3.36.3.3.2.8.1.1.13", 17, _ec.BRAINPOOLP512r1, _cec.BrainpoolP512R1),
    ("secp521r1", "1.3.132.0.35", 18, _ec.NIST521p, _cec.SECP521R1),
    ("brainpoolP160r1", "1.3.36.3.3.2.8.1.1.1", None, _ec.BRAINPOOLP160r1, None),
]

CURVES: tuple[NamedCurve, ...] = tuple(NamedCurve(*row) for row in _TABLE)
_BY_NAME = {c.name.lower(): c for c in CURVES}
_BY_OID = {c.oid: c for c in CURVES}
_BY_PACE_ID = {c.pace_id: c for c in CURVES if c.pace_id is not None}
# asn1crypto and cryptography spell some curves differently.
_ALIASES = {
    "prime192v1": "secp192r1",
    "prime256v1": "secp256r1",
    "p-256": "secp256r1",
    "p-384": "secp384r1",
    "p-521": "secp521r1",
    "p-224": "secp224r1",
    "p-192": "secp192r1",
}


def by_name(name: str) -> NamedCurve:
    key = name.lower()
    key = _ALIASES.get(key, key)
    try:
        return _BY_NAME[key]
    except KeyError:
        raise CurveError(f"unknown curve {name!r}") from None


def by_oid(oid: str) -> NamedCurve:
    try:
        return _BY_OID[oid]
    except KeyError:
        raise CurveError(f"unknown curve OID {oid}") from None


def by_pace_id(parameter_id: int) -> NamedCurve:
    try:
        return _BY_PACE_ID[parameter_id]
    except KeyError:
        raise CurveError(
            f"PACE parameter id {parameter_id} is not a standardized EC curve"
        ) from None


def from_explicit(p: int, a: int, b: int, gx: int, gy: int, order: int) -> NamedCurve:
    """The named curve whose domain parameters equal the explicit ones given."""
    for c in CURVES:
        g = c.generator
        if (c.p, c.a % c.p, c.b, c.order) == (p, a % p, b, order) and (g.x(), g.y()) == (gx, gy):
            return c
    raise CurveError(f"explicit parameters ({p.bit_length()}-bit prime field) match no known curve")
