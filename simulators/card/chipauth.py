"""Chip Authentication v1, card side (ICAO Doc 9303-11 section 6.2; BSI TR-03110-1).

3DES: MSE:Set KAT ('91' PK_IFD, optional '84' key id). AES and others:
MSE:Set AT ('80' OID, optional '84' key id) then GENERAL AUTHENTICATE
('7C'{'80' PK_IFD}) answered by an empty '7C'. Either way the answer still goes
out under the old keys; the new session (SSC 0) starts with the next command.
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric import dh, ec

from simulators.card.errors import (
    SW_CONDITIONS_NOT_SATISFIED,
    SW_REF_DATA_NOT_FOUND,
    SW_WRONG_DATA,
    SWError,
)
from simulators.card.groups import EC_BY_NAME, decode_point, field_size
from simulators.card.oids import FAMILY_CA, ProtocolOID
from simulators.card.primitives import KDF_ENC, KDF_MAC, CipherSuite
from simulators.card.sm import SecureMessaging
from simulators.card.tlv import tlv, tlv_dict
from simulators.carddata import CardDataSet


def shared_secret(private_key: object, pk_ifd: bytes) -> bytes:
    """ECDH: x-coordinate of d * PK_IFD; DH: PK_IFD ^ x mod p, both at full field length."""
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        curve = EC_BY_NAME.get(private_key.curve.name)
        if curve is None:
            raise SWError(SW_CONDITIONS_NOT_SATISFIED, "chip key curve not supported")
        point = decode_point(curve, pk_ifd) * private_key.private_numbers().private_value
        return int(point.x()).to_bytes(field_size(curve), "big")
    if isinstance(private_key, dh.DHPrivateKey):
        numbers = private_key.private_numbers()
        p = numbers.public_numbers.parameter_numbers.p
        y = int.from_bytes(pk_ifd, "big")
        if not 1 < y < p - 1:
            raise SWError(SW_WRONG_DATA, "public value out of range")
        return pow(y, numbers.x, p).to_bytes((p.bit_length() + 7) // 8, "big")
    raise SWError(SW_CONDITIONS_NOT_SATISFIED, "the chip has no Chip Authentication key")


class ChipAuthChip:
    """Holds the CA key of the chip and the OID chosen by MSE:Set AT."""

    def __init__(
        self, dataset: CardDataSet, rng: Callable[[int], bytes], *, fail: bool = False
    ) -> None:
        self.private_key = dataset.ca_private_key
        self.key_id = dataset.ca_key_id
        self.rng = rng
        self.fail = fail  # fault 'ca-fail': answer 9000, then use wrong keys
        self.oid: ProtocolOID | None = None

    def _check_key_id(self, objects: dict[int, bytes]) -> None:
        if self.private_key is None:
            raise SWError(SW_REF_DATA_NOT_FOUND, "the chip has no Chip Authentication key")
        if 0x84 in objects and self.key_id is not None:
            if int.from_bytes(objects[0x84], "big") != self.key_id:
                raise SWError(SW_REF_DATA_NOT_FOUND, "unknown CA key id")

    def set_kat(self, data: bytes) -> SecureMessaging:
        """MSE:Set KAT (3DES CA): key agreement happens at once."""
        objects = tlv_dict(data)
        self._check_key_id(objects)
        if 0x91 not in objects:
            raise SWError(SW_WRONG_DATA, "ephemeral public key '91' missing")
        return self._session(CipherSuite("3DES"), objects[0x91])

    def set_at(self, data: bytes) -> None:
        objects = tlv_dict(data)
        self._check_key_id(objects)
        if 0x80 not in objects:
            raise SWError(SW_WRONG_DATA, "protocol OID '80' missing")
        oid = ProtocolOID.from_bytes(objects[0x80])
        if oid.family != FAMILY_CA:
            raise SWError(SW_WRONG_DATA, "not a Chip Authentication OID")
        self.oid = oid

    def general_authenticate(self, data: bytes) -> tuple[bytes, SecureMessaging]:
        if self.oid is None:
            raise SWError(SW_CONDITIONS_NOT_SATISFIED, "MSE:Set AT for CA missing")
        outer = tlv_dict(data)
        inner = tlv_dict(outer.get(0x7C, b""))
        if 0x80 not in inner:
            raise SWError(SW_WRONG_DATA, "ephemeral public key '80' missing")
        sm = self._session(self.oid.suite, inner[0x80])
        self.oid = None
        return tlv(0x7C, b""), sm

    def _session(self, suite: CipherSuite, pk_ifd: bytes) -> SecureMessaging:
        secret = shared_secret(self.private_key, pk_ifd)
        if self.fail:
            secret = self.rng(len(secret))
        return SecureMessaging(
            suite, suite.derive(secret, KDF_ENC), suite.derive(secret, KDF_MAC), 0
        )
