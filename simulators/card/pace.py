"""PACE, card side (ICAO Doc 9303-11 section 4.4, App. G; BSI TR-03110-2/3).

Generic mapping with ECDH (standardized curves 8-18) and DH (RFC 5114 groups
0-2); 3DES and AES-128/192/256. For ECDH also the Integrated Mapping (AES-128,
``simulators.card.pace_im``) and the Chip Authentication Mapping (AES). Steps of
GENERAL AUTHENTICATE, each a dynamic authentication data object '7C':
  1. '7C'{} -> '80' encrypted nonce z = E(K_pi, s)
  2. GM/CAM: '81' PK_map_IFD -> '82' PK_map_IC; generator G' = s*G + H
     IM:     '81' nonce t -> '82' empty; generator G' = f_G(R_p(s, t))
  3. '83' PK_IFD -> '84' PK_IC; K = shared secret, K_enc/K_mac from the KDF
  4. '85' T_IFD -> '86' T_IC, or 6300 when T_IFD does not verify (wrong password);
     CAM adds '8A' A_IC = AES-CBC(K_enc, IV = E(K_enc, all ones), pad(CA_IC)) with
     CA_IC = SK_IC^-1 * SK_map_IC mod n, SK_IC the chip's static key of EF.CardSecurity.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

from ecdsa.ellipticcurve import INFINITY, PointJacobi

from simulators.card.errors import (
    SW_CONDITIONS_NOT_SATISFIED,
    SW_REF_DATA_NOT_FOUND,
    SW_VERIFY_FAILED,
    SW_WRONG_DATA,
    SWError,
)
from simulators.card.groups import (
    DH_GROUPS,
    EC_BY_NAME,
    EC_CURVES,
    DHGroup,
    decode_point,
    encode_point,
    field_size,
    scalar_from_rng,
)
from simulators.card.keys import pace_password
from simulators.card.oids import FAMILY_PACE, ProtocolOID
from simulators.card.pace_im import mapped_generator
from simulators.card.primitives import KDF_ENC, KDF_MAC, KDF_PI, pad
from simulators.card.sm import SecureMessaging
from simulators.card.tlv import tlv, tlv_dict


class _ECGroup:
    """Generic-mapping arithmetic on a named curve (points as ecdsa PointJacobi)."""

    def __init__(self, curve: Any) -> None:  # an ecdsa library curve (untyped)
        self.curve = curve
        self.order = curve.order
        self.generator = curve.generator

    def public(self, sk: int, base: PointJacobi) -> bytes:
        return encode_point(self.curve, base * sk)

    def decode(self, data: bytes) -> PointJacobi:
        return decode_point(self.curve, data)

    def point(self, g: Any) -> PointJacobi:  # an ecdsa library point (untyped)
        return PointJacobi(self.curve.curve, g.x(), g.y(), 1, self.order)

    def map_generator(self, s: int, sk_map: int, pk_map_ifd: bytes) -> PointJacobi:
        h = self.decode(pk_map_ifd) * sk_map
        if h == INFINITY:
            raise SWError(SW_WRONG_DATA, "mapping gave the point at infinity")
        g2 = self.generator * s + h
        if g2 == INFINITY:
            raise SWError(SW_WRONG_DATA, "mapped generator is the point at infinity")
        return PointJacobi(self.curve.curve, g2.x(), g2.y(), 1, self.order)

    def shared_secret(self, sk: int, pk_ifd: bytes) -> bytes:
        k = self.decode(pk_ifd) * sk
        if k == INFINITY:
            raise SWError(SW_WRONG_DATA, "shared secret is the point at infinity")
        return int(k.x()).to_bytes(field_size(self.curve), "big")

    def public_key_object_tag(self) -> int:
        return 0x86  # EC point in the '7F49' object


class _DHGroupOps:
    """Generic-mapping arithmetic in a MODP group; elements are ints."""

    def __init__(self, group: DHGroup):
        self.group = group
        self.order = group.q
        self.generator = group.g

    def public(self, sk: int, base: int) -> bytes:
        return pow(base, sk, self.group.p).to_bytes(self.group.size, "big")

    def decode(self, data: bytes) -> int:
        y = int.from_bytes(data, "big")
        p = self.group.p
        if not 1 < y < p - 1 or pow(y, self.group.q, p) != 1:
            raise SWError(SW_WRONG_DATA, "public value is not in the subgroup")
        return y

    def map_generator(self, s: int, sk_map: int, pk_map_ifd: bytes) -> int:
        p = self.group.p
        h = pow(self.decode(pk_map_ifd), sk_map, p)
        return pow(self.group.g, s, p) * h % p

    def shared_secret(self, sk: int, pk_ifd: bytes) -> bytes:
        return pow(self.decode(pk_ifd), sk, self.group.p).to_bytes(self.group.size, "big")

    def public_key_object_tag(self) -> int:
        return 0x84  # DH public value in the '7F49' object


def public_key_object(oid: bytes, tag: int, public: bytes) -> bytes:
    """'7F49'{'06' OID, '86' point | '84' value}: the input of the authentication tokens."""
    return tlv(0x7F49, tlv(0x06, oid) + tlv(tag, public))


def _encodings(tag: int, public: bytes) -> list[bytes]:
    """Ways a terminal may write a public key in '7F49'. A DH value y is an
    'unsigned integer' (TR-03110-3 D.3.2): readers differ on leading zero octets
    (p's length, as exchanged, or minimal), so the card accepts both."""
    if tag != 0x84:
        return [public]
    minimal = public.lstrip(b"\x00") or b"\x00"
    return [public] if minimal == public else [public, minimal]


KIND_DH_GM, KIND_ECDH_GM, KIND_ECDH_IM, KIND_ECDH_CAM = 1, 2, 4, 6
MAPPINGS_ECDH = (KIND_ECDH_IM, KIND_ECDH_CAM)  # only with an EC group


def _static_key(dataset: Any, curve: Any) -> int:
    """CAM's SK_IC: the chip's static key (EF.CardSecurity), on the PACE curve."""
    key = getattr(dataset, "ca_private_key", None)
    if key is None or not hasattr(key, "curve") or EC_BY_NAME.get(key.curve.name) is not curve:
        raise SWError(SW_CONDITIONS_NOT_SATISFIED, "no static key on the PACE curve for CAM")
    return int(key.private_numbers().private_value)


class PACEChip:
    """One PACE run, created by MSE:Set AT and driven by GENERAL AUTHENTICATE."""

    def __init__(
        self,
        dataset: Any,  # a CardDataSet (or a test double with the same attributes)
        oid: ProtocolOID,
        password_ref: int,
        parameter_id: int,
        rng: Callable[[int], bytes],
        *,
        cam_wrong: bool = False,
    ) -> None:
        if oid.family != FAMILY_PACE or oid.kind not in (KIND_DH_GM, KIND_ECDH_GM, *MAPPINGS_ECDH):
            raise SWError(SW_WRONG_DATA, "PACE mapping not supported")
        if oid.kind == KIND_ECDH_IM and (oid.cipher, oid.key_bits) != ("AES", 128):
            raise SWError(SW_WRONG_DATA, "Integrated Mapping is offered with AES-128 only")
        if oid.kind == KIND_ECDH_CAM and oid.cipher != "AES":
            raise SWError(SW_WRONG_DATA, "Chip Authentication Mapping needs AES")
        self.ops: _ECGroup | _DHGroupOps
        if oid.is_ecdh and parameter_id in EC_CURVES:
            self.ops = _ECGroup(EC_CURVES[parameter_id])
        elif not oid.is_ecdh and parameter_id in DH_GROUPS:
            self.ops = _DHGroupOps(DH_GROUPS[parameter_id])
        else:
            raise SWError(SW_WRONG_DATA, f"parameter id {parameter_id} does not fit the protocol")
        if oid.kind in MAPPINGS_ECDH and not isinstance(self.ops, _ECGroup):
            raise SWError(SW_WRONG_DATA, "this mapping is defined for ECDH only")
        self._sk_static = 0
        if oid.kind == KIND_ECDH_CAM:
            assert isinstance(self.ops, _ECGroup)  # checked above: CAM is ECDH only
            self._sk_static = _static_key(dataset, self.ops.curve)
        self.cam_wrong = cam_wrong
        self._sk_map = 0
        try:
            seed = pace_password(dataset, password_ref)
        except ValueError:
            raise SWError(SW_REF_DATA_NOT_FOUND, "password reference not supported") from None
        self.oid = oid
        self.suite = oid.suite
        self.k_pi = self.suite.derive(seed, KDF_PI)
        self.rng = rng
        self.step = 1
        self._s = 0
        self._s_bytes = b""
        self._generator: Any = None  # a PointJacobi (ECDH) or an int (DH) once mapped
        self._pk_ic = b""
        self._pk_ifd = b""
        self._pk_map_ifd = b""
        self.sm: SecureMessaging | None = None

    def general_authenticate(self, data: bytes) -> tuple[bytes, SecureMessaging | None]:
        """One step: the response data and, after step 4, the new SM session."""
        outer = tlv_dict(data)
        if 0x7C not in outer:
            raise SWError(SW_WRONG_DATA, "dynamic authentication data '7C' missing")
        inner = tlv_dict(outer[0x7C])
        step = self.step
        self.step += 1
        if step == 1:
            s = self.rng(self.suite.block)
            self._s = int.from_bytes(s, "big")
            self._s_bytes = s
            return tlv(0x7C, tlv(0x80, self.suite.encrypt(self.k_pi, s))), None
        if step == 2 and self.oid.kind == KIND_ECDH_IM:
            t = self._need(inner, 0x81)
            assert isinstance(self.ops, _ECGroup)  # checked in __init__: IM is ECDH only
            self._generator = self.ops.point(mapped_generator(self.ops.curve, self._s_bytes, t))
            return tlv(0x7C, tlv(0x82, b"")), None
        if step == 2:
            pk_map_ifd = self._need(inner, 0x81)
            sk_map = scalar_from_rng(self.rng, self.ops.order)
            self._sk_map = sk_map
            pk_map_ic = self.ops.public(sk_map, self.ops.generator)
            self._generator = self.ops.map_generator(self._s, sk_map, pk_map_ifd)
            self._pk_map_ifd = pk_map_ifd
            return tlv(0x7C, tlv(0x82, pk_map_ic)), None
        if step == 3:
            pk_ifd = self._need(inner, 0x83)
            sk_ic = scalar_from_rng(self.rng, self.ops.order)
            self._pk_ic = self.ops.public(sk_ic, self._generator)
            if pk_ifd == self._pk_ic or pk_ifd == self._pk_map_ifd:
                raise SWError(SW_WRONG_DATA, "terminal reused a public key")
            secret = self.ops.shared_secret(sk_ic, pk_ifd)
            self._pk_ifd = pk_ifd
            self._k_enc = self.suite.derive(secret, KDF_ENC)
            self._k_mac = self.suite.derive(secret, KDF_MAC)
            return tlv(0x7C, tlv(0x84, self._pk_ic)), None
        if step == 4:
            t_ifd = self._need(inner, 0x85)
            tag = self.ops.public_key_object_tag()
            # B007 ignored: ``form`` is read after the loop (the encoding the terminal used).
            for form, pk_ic in enumerate(_encodings(tag, self._pk_ic)):  # noqa: B007
                expected = self.suite.token(
                    self._k_mac, public_key_object(self.oid.raw, tag, pk_ic)
                )
                if hmac.compare_digest(expected, t_ifd):
                    break
            else:
                raise SWError(SW_VERIFY_FAILED, "T_IFD does not verify: wrong password")
            # Answer in the terminal's own convention (same form as its token used).
            forms = _encodings(tag, self._pk_ifd)
            pk_ifd = forms[min(form, len(forms) - 1)]
            t_ic = self.suite.token(self._k_mac, public_key_object(self.oid.raw, tag, pk_ifd))
            self.sm = SecureMessaging(self.suite, self._k_enc, self._k_mac, 0)
            answer = tlv(0x86, t_ic)
            if self.oid.kind == KIND_ECDH_CAM:
                answer += tlv(0x8A, self._encrypted_ca_data())
            return tlv(0x7C, answer), self.sm
        raise SWError(SW_CONDITIONS_NOT_SATISFIED, "PACE is already complete")

    def _encrypted_ca_data(self) -> bytes:
        """A_IC: CA_IC = SK_IC^-1 * SK_map mod n as an order-length octet string, padded,
        AES-CBC under K_enc with IV = E(K_enc, all-ones block)."""
        n = self.ops.order
        ca_ic = pow(self._sk_static, -1, n) * self._sk_map % n
        if self.cam_wrong:  # fault: a proof for some other key
            ca_ic = ca_ic + 1 if ca_ic + 1 < n else 1
        data = ca_ic.to_bytes((n.bit_length() + 7) // 8, "big")
        iv = self.suite.encrypt(self._k_enc, b"\xff" * 16)
        return self.suite.encrypt(self._k_enc, pad(data, 16), iv)

    @staticmethod
    def _need(inner: dict[int, bytes], tag: int) -> bytes:
        if tag not in inner:
            raise SWError(SW_WRONG_DATA, f"data object {tag:02X} missing")
        return inner[tag]
