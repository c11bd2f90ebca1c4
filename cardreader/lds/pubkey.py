"""SubjectPublicKeyInfo of DG14 (Chip Authentication) and DG15 (Active Authentication).

Keys come as RSA, EC (named curve or explicit domain parameters, common on
eMRTDs) or DH (X9.42 ``dhpublicnumber`` or PKCS#3 ``dhKeyAgreement``).
Explicit EC parameters are mapped to the named curve they equal
(``crypto.curves.from_explicit``); when they match none, the parameters are
kept and ``curve`` stays None so the caller can say so plainly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from asn1crypto import core, keys

from cardreader.errors import ParseError
from crypto import der
from crypto.curves import CurveError, NamedCurve, by_oid, from_explicit

OID_EC_PUBLIC_KEY = "1.2.840.10045.2.1"
OID_RSA = "1.2.840.113549.1.1.1"
OID_DH_X942 = "1.2.840.10046.2.1"  # dhpublicnumber: DomainParameters p, g, q, ...
OID_DH_PKCS3 = "1.2.840.113549.1.3.1"  # dhKeyAgreement: DHParameter p, g, l
OID_PK_DH = "0.4.0.127.0.7.2.2.1.1"  # BSI TR-03110 id-PK-DH, sometimes used as the algorithm
OID_PK_ECDH = "0.4.0.127.0.7.2.2.1.2"  # id-PK-ECDH


@dataclass(frozen=True)
class ExplicitECParameters:
    p: int
    a: int
    b: int
    gx: int
    gy: int
    order: int
    cofactor: int | None


@dataclass
class PublicKey:
    """One SubjectPublicKeyInfo, raw bytes kept."""

    raw: bytes
    algorithm: str  # 'rsa' | 'ec' | 'dh' | 'unknown'
    algorithm_oid: str
    public_key_info: keys.PublicKeyInfo  # asn1crypto view of ``raw``
    curve: NamedCurve | None = None  # EC: the named curve (given or matched)
    explicit_parameters: ExplicitECParameters | None = None
    point: bytes | None = None  # EC: the public point as encoded (04 || X || Y)
    rsa_modulus: int | None = None
    rsa_exponent: int | None = None
    dh_p: int | None = None
    dh_g: int | None = None
    dh_q: int | None = None
    dh_y: int | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def key_size(self) -> int | None:
        """Bits of the modulus (RSA, DH) or of the field prime (EC)."""
        if self.rsa_modulus is not None:
            return self.rsa_modulus.bit_length()
        if self.dh_p is not None:
            return self.dh_p.bit_length()
        if self.curve is not None:
            return self.curve.p.bit_length()
        if self.explicit_parameters is not None:
            return self.explicit_parameters.p.bit_length()
        return None

    @classmethod
    def from_bytes(cls, raw: bytes, *, file: str | None = None) -> PublicKey:
        raw = bytes(raw)
        try:
            info = keys.PublicKeyInfo.load(raw, strict=True)
            alg = info["algorithm"]
            oid = alg["algorithm"].dotted
            key = cls(raw=raw, algorithm="unknown", algorithm_oid=oid, public_key_info=info)
            if oid == OID_RSA:
                key._rsa(info)
            elif oid in (OID_EC_PUBLIC_KEY, OID_PK_ECDH):
                key._ec(alg["parameters"], info["public_key"])
            elif oid in (OID_DH_X942, OID_DH_PKCS3, OID_PK_DH):
                key._dh(alg["parameters"], info["public_key"])
            else:
                key.warnings.append(f"unknown public key algorithm {oid}")
            return key
        except ParseError:
            raise
        except der.LOW_LEVEL as exc:
            raise ParseError(
                f"malformed SubjectPublicKeyInfo: {exc}", step="parse", file=file
            ) from None

    def _rsa(self, info: keys.PublicKeyInfo) -> None:
        self.algorithm = "rsa"
        pub = info["public_key"].parsed
        self.rsa_modulus = pub["modulus"].native
        self.rsa_exponent = pub["public_exponent"].native

    def _ec(self, params: core.Asn1Value, public_key: core.Asn1Value) -> None:
        self.algorithm = "ec"
        self.point = _bit_string_bytes(public_key)
        ec_params = (
            keys.ECDomainParameters.load(params.dump())
            if not isinstance(params, keys.ECDomainParameters)
            else params
        )
        if ec_params.name == "named":
            oid = ec_params.chosen.dotted
            try:
                self.curve = by_oid(oid)
            except CurveError:
                self.warnings.append(f"unknown named curve {oid}")
        elif ec_params.name == "specified":
            spec = ec_params.chosen
            base = spec["base"].native
            n = (len(base) - 1) // 2
            if not base or base[0] != 0x04 or len(base) != 1 + 2 * n:
                raise ValueError("explicit EC parameters: the base point is not uncompressed")
            ex = ExplicitECParameters(
                p=spec["field_id"]["parameters"].native,
                a=int.from_bytes(spec["curve"]["a"].native, "big"),
                b=int.from_bytes(spec["curve"]["b"].native, "big"),
                gx=int.from_bytes(base[1 : 1 + n], "big"),
                gy=int.from_bytes(base[1 + n :], "big"),
                order=spec["order"].native,
                cofactor=spec["cofactor"].native if spec["cofactor"].native is not None else None,
            )
            self.explicit_parameters = ex
            try:
                self.curve = from_explicit(ex.p, ex.a, ex.b, ex.gx, ex.gy, ex.order)
            except CurveError as exc:
                self.warnings.append(str(exc))
        else:
            self.warnings.append("EC key with implicitly-CA parameters: no curve")

    def _dh(self, params: core.Asn1Value, public_key: core.Asn1Value) -> None:
        self.algorithm = "dh"
        seq = core.Sequence.load(params.dump())
        ints = [
            core.Integer.load(seq[i].dump()).native
            for i in range(min(len(seq), 3))
            if seq[i].tag == 2 and seq[i].class_ == 0
        ]
        if len(ints) < 2:
            raise ValueError("DH domain parameters lack p and g")
        self.dh_p, self.dh_g = ints[0], ints[1]
        if self.algorithm_oid == OID_DH_X942 and len(ints) > 2:
            self.dh_q = ints[2]  # X9.42 order q (PKCS#3's third field is a length, not q)
        self.dh_y = core.Integer.load(_bit_string_bytes(public_key)).native


def _bit_string_bytes(value: core.Asn1Value) -> bytes:
    """Contents of a BIT STRING without its unused-bits byte, however asn1crypto typed it."""
    contents = value.contents if not isinstance(value, core.Any) else value.parsed.contents
    if not contents or contents[0] != 0:
        raise ValueError("public key BIT STRING has unused bits")
    return bytes(contents[1:])
