"""Public keys from SubjectPublicKeyInfo, and signature verification (primitives).

EC keys may carry **named or explicit** domain parameters (explicit ones are
common in CSCAs and DSCs); explicit parameters are mapped to the named curve
they equal (``crypto.curves.from_explicit``). Curves ``cryptography`` has are
verified with it; the others (brainpoolP192r1/P224r1/P320r1, P160r1) with the
``ecdsa`` library -- never skipped. RSA: PKCS#1 v1.5 and RSASSA-PSS with its
parameters. ECDSA signatures come DER-encoded (CMS, X.509) or as plain
``r || s`` (BSI TR-03111, Active Authentication); ``verify`` takes either.

``verify()`` returns nothing and raises ``InvalidSignature`` when it fails.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, ClassVar

import ecdsa
import ecdsa.util
from asn1crypto import algos as _algos
from asn1crypto import core as _core
from asn1crypto import keys as _keys
from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, encode_dss_signature

from crypto import curves, der
from crypto.errors import InvalidKey, InvalidSignature, MalformedError, UnsupportedAlgorithm

HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


def hash_for(name: str) -> hashes.HashAlgorithm:
    try:
        return HASHES[name]()
    except KeyError:
        raise UnsupportedAlgorithm(f"The hash algorithm {name} is not supported.") from None


def digest(name: str, data: bytes) -> bytes:
    hash_for(name)  # one place decides which hashes are allowed
    return hashlib.new(name, data).digest()


@dataclass(frozen=True)
class SignatureScheme:
    """How a signature is made: ``kind`` is ``pkcs1v15``, ``pss`` or ``ecdsa``."""

    kind: str
    hash: str
    salt_length: int | None = None  # PSS only
    mgf_hash: str | None = None  # PSS only (MGF1's hash)

    @classmethod
    def from_algorithm(
        cls, sig_alg: _algos.SignedDigestAlgorithm, digest_alg: str | None = None
    ) -> SignatureScheme:
        """From an AlgorithmIdentifier; plain ``rsaEncryption``/``ecPublicKey`` take ``digest_alg``.

        A malformed identifier (from a card or an upload) raises ``DecodeError``, typed."""
        with der.decoding(
            "algorithm identifier", "signature_algorithm", "The algorithm identifier"
        ):
            return cls._from_algorithm(sig_alg, digest_alg)

    @classmethod
    def _from_algorithm(
        cls, sig_alg: _algos.SignedDigestAlgorithm, digest_alg: str | None
    ) -> SignatureScheme:
        try:
            kind = sig_alg.signature_algo
        except (ValueError, KeyError):
            raise UnsupportedAlgorithm(
                f"The signature algorithm {sig_alg['algorithm'].dotted} is not supported."
            ) from None
        if kind == "rsassa_pss":
            params = sig_alg["parameters"]
            try:
                h = params["hash_algorithm"]["algorithm"].native
                mgf = params["mask_gen_algorithm"]
                if mgf["algorithm"].native != "mgf1":
                    raise UnsupportedAlgorithm("Only MGF1 is supported for RSASSA-PSS.")
                mgf_hash = mgf["parameters"]["algorithm"].native
                salt = int(params["salt_length"].native)
                trailer = params["trailer_field"].native
            except (ValueError, KeyError, TypeError) as exc:
                raise MalformedError(f"The RSASSA-PSS parameters are malformed ({exc}).") from None
            if trailer not in ("trailer_field_bc", 1):
                raise UnsupportedAlgorithm("Only the RSASSA-PSS trailer field BC is supported.")
            hash_for(h), hash_for(mgf_hash)
            return cls("pss", h, salt, mgf_hash)
        if kind not in ("rsassa_pkcs1v15", "ecdsa"):
            raise UnsupportedAlgorithm(f"The signature algorithm {kind} is not supported.")
        try:
            h = sig_alg.hash_algo
        except ValueError:
            h = digest_alg  # rsaEncryption / ecPublicKey alone: hash from the digestAlgorithm
        if h is None:
            raise UnsupportedAlgorithm("The signature algorithm names no hash.")
        hash_for(h)
        return cls("pkcs1v15" if kind == "rsassa_pkcs1v15" else "ecdsa", h)


ID_PK_ECDH = "0.4.0.127.0.7.2.2.1.2"  # BSI TR-03110 id-PK-ECDH


class _RawAlgorithm(_core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("algorithm", _core.ObjectIdentifier),
        ("parameters", _core.Any, {"optional": True}),
    ]


class _RawSPKI(_core.Sequence):
    """SubjectPublicKeyInfo with any algorithm (asn1crypto's own refuses OIDs it does not know)."""

    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("algorithm", _RawAlgorithm),
        ("public_key", _core.OctetBitString),
    ]


def _int(octets: bytes) -> int:
    return int.from_bytes(octets, "big")


def curve_of(params: _keys.ECDomainParameters) -> curves.NamedCurve:
    """The named curve of EC domain parameters given by OID or explicitly."""
    if params.name == "named":
        try:
            return curves.by_oid(params.chosen.dotted)
        except curves.CurveError as exc:
            raise UnsupportedAlgorithm(f"The EC curve is not supported ({exc}).") from None
    if params.name != "specified":
        raise InvalidKey(
            "The EC key inherits its parameters (implicitCA), which cannot be checked."
        )
    spec = params.chosen
    if spec["field_id"]["field_type"].native != "prime_field":
        raise InvalidKey("Only prime-field EC parameters are supported.")
    p = int(spec["field_id"]["parameters"].native)
    a, b = _int(spec["curve"]["a"].native), _int(spec["curve"]["b"].native)
    base = spec["base"].native
    n = (p.bit_length() + 7) // 8
    if len(base) == 1 + 2 * n and base[0] == 4:
        gx, gy = _int(base[1 : 1 + n]), _int(base[1 + n :])
    elif len(base) == 1 + n and base[0] in (2, 3):
        # compressed generator: find the curve by (p, a, b, order) then compare x
        gx, gy = _int(base[1:]), None
    else:
        raise InvalidKey("The EC generator is not a valid point encoding.")
    order = int(spec["order"].native)
    if gy is None:
        for c in curves.CURVES:
            if (c.p, c.a % c.p, c.b, c.order, c.generator.x()) == (p, a % p, b, order, gx):
                return c
        raise InvalidKey("The explicit EC parameters match no known curve.")
    try:
        return curves.from_explicit(p, a, b, gx, gy, order)
    except curves.CurveError as exc:
        raise InvalidKey(f"The explicit EC parameters match no known curve ({exc}).") from None


@dataclass(frozen=True, eq=False)
class PublicKey:
    """A verified-usable public key: RSA, or EC on a named curve."""

    algorithm: str  # 'rsa' | 'ec'
    spki: bytes  # SubjectPublicKeyInfo DER as given
    rsa_key: rsa.RSAPublicKey | None = None
    curve: curves.NamedCurve | None = None
    ec_key: ec.EllipticCurvePublicKey | None = None  # when cryptography has the curve
    ecdsa_key: ecdsa.VerifyingKey | None = None  # otherwise
    point: bytes | None = None  # uncompressed EC point 04||X||Y

    @classmethod
    def from_spki(cls, spki: bytes | _keys.PublicKeyInfo) -> PublicKey:
        try:
            if not isinstance(spki, _keys.PublicKeyInfo):
                raw = _RawSPKI.load(bytes(spki), strict=True)
                if raw["algorithm"]["algorithm"].dotted == ID_PK_ECDH:
                    # DG14's Chip Authentication keys: id-PK-ECDH with ordinary EC domain parameters
                    params = _keys.ECDomainParameters.load(raw["algorithm"]["parameters"].dump())
                    return cls._ec(bytes(spki), curve_of(params), bytes(raw["public_key"]))
            info = (
                spki
                if isinstance(spki, _keys.PublicKeyInfo)
                else _keys.PublicKeyInfo.load(bytes(spki))
            )
            der = info.dump()
            alg = info["algorithm"]["algorithm"].native
            if alg in ("rsa", "rsassa_pss"):
                rsa_pub = info["public_key"].parsed
                numbers = rsa.RSAPublicNumbers(
                    int(rsa_pub["public_exponent"].native), int(rsa_pub["modulus"].native)
                )
                return cls("rsa", der, rsa_key=numbers.public_key())
            if alg == "ec":
                curve = curve_of(info["algorithm"]["parameters"])
                point = info["public_key"].native
                return cls._ec(der, curve, point)
        except (InvalidKey, UnsupportedAlgorithm):
            raise
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as exc:
            raise MalformedError(f"The public key is malformed ({type(exc).__name__}).") from None
        raise UnsupportedAlgorithm(f"The public key algorithm {alg} is not supported.")

    @classmethod
    def from_ec_point(cls, curve: curves.NamedCurve, point: bytes) -> PublicKey:
        """A bare EC point on a known curve (e.g. from DG14, where the params come separately)."""
        return cls._ec(b"", curve, point)

    @classmethod
    def _ec(cls, der: bytes, curve: curves.NamedCurve, point: bytes) -> PublicKey:
        try:
            if point[:1] in (b"\x02", b"\x03"):
                vk = ecdsa.VerifyingKey.from_string(point, curve=curve.lib)  # decompress
                point = b"\x04" + vk.to_string("raw")
            curve.decode_point(point)  # checks the point is on the curve
            if curve.crypto_curve is not None:
                key = ec.EllipticCurvePublicKey.from_encoded_point(curve.crypto_curve(), point)
                return cls("ec", der, curve=curve, ec_key=key, point=point)
            vk = ecdsa.VerifyingKey.from_string(point, curve=curve.lib)
            return cls("ec", der, curve=curve, ecdsa_key=vk, point=point)
        except (curves.CurveError, ecdsa.MalformedPointError, ValueError) as exc:
            raise InvalidKey(f"The EC public key is not a point on {curve.name} ({exc}).") from None

    @property
    def ec_curve(self) -> curves.NamedCurve:
        """The curve of an EC key; an RSA key gets a typed error, not an AttributeError."""
        if self.curve is None:
            raise InvalidKey("An EC key is needed here, not an RSA key.", code="algorithm_mismatch")
        return self.curve

    @property
    def rsa_public_key(self) -> rsa.RSAPublicKey:
        """The RSA key; an EC key gets a typed error, not an AttributeError."""
        if self.rsa_key is None:
            raise InvalidKey("An RSA key is needed here, not an EC key.", code="algorithm_mismatch")
        return self.rsa_key

    @property
    def bits(self) -> int:
        if self.rsa_key is not None:
            return self.rsa_key.key_size
        return self.ec_curve.order.bit_length()

    @property
    def description(self) -> str:
        return f"RSA-{self.bits}" if self.algorithm == "rsa" else f"ECDSA {self.ec_curve.name}"

    def verify(self, signature: bytes, data: bytes, scheme: SignatureScheme) -> None:
        """Raise ``InvalidSignature`` unless ``signature`` is a valid signature of ``data``."""
        self._verify(signature, data, scheme, prehashed=False)

    def verify_digest(self, signature: bytes, message_hash: bytes, scheme: SignatureScheme) -> None:
        """Like ``verify`` but given the hash of the message."""
        self._verify(signature, message_hash, scheme, prehashed=True)

    def _verify(
        self, signature: bytes, data: bytes, scheme: SignatureScheme, *, prehashed: bool
    ) -> None:
        h = hash_for(scheme.hash)
        algo = Prehashed(h) if prehashed else h
        pad: padding.AsymmetricPadding
        try:
            if self.algorithm == "rsa":
                if scheme.kind == "pkcs1v15":
                    pad = padding.PKCS1v15()
                elif scheme.kind == "pss":
                    pad = padding.PSS(
                        mgf=padding.MGF1(hash_for(scheme.mgf_hash or scheme.hash)),
                        salt_length=scheme.salt_length
                        if scheme.salt_length is not None
                        else padding.PSS.AUTO,
                    )
                else:
                    raise InvalidSignature(
                        "An RSA key cannot check an ECDSA signature.", code="algorithm_mismatch"
                    )
                self.rsa_public_key.verify(signature, data, pad, algo)
                return
            if scheme.kind != "ecdsa":
                raise InvalidSignature(
                    "An EC key cannot check an RSA signature.", code="algorithm_mismatch"
                )
            r, s = self.split_ecdsa(signature)
            if self.ec_key is not None:
                self.ec_key.verify(encode_dss_signature(r, s), data, ec.ECDSA(algo))
                return
            raw = ecdsa.util.sigencode_string(r, s, self.ec_curve.order)
            hashfunc = getattr(hashlib, scheme.hash)
            if self.ecdsa_key is None:  # from_spki/_ec set one of ec_key and ecdsa_key
                raise InvalidKey("The EC key carries no usable point.")
            if prehashed:
                ok = self.ecdsa_key.verify_digest(
                    raw, data, sigdecode=ecdsa.util.sigdecode_string, allow_truncate=True
                )
            else:
                ok = self.ecdsa_key.verify(
                    raw, data, hashfunc=hashfunc, sigdecode=ecdsa.util.sigdecode_string
                )
            if not ok:
                raise InvalidSignature()
        except _CryptoInvalidSignature:
            raise InvalidSignature() from None
        except ecdsa.BadSignatureError:
            raise InvalidSignature() from None
        except (ValueError, TypeError, ecdsa.MalformedPointError) as exc:
            raise InvalidSignature(
                f"The signature is malformed ({type(exc).__name__}).", code="signature_malformed"
            ) from None

    def split_ecdsa(self, signature: bytes) -> tuple[int, int]:
        """(r, s) from a DER ECDSA-Sig-Value or a plain r||s of twice the order's length."""
        n = (self.ec_curve.order.bit_length() + 7) // 8
        if signature[:1] == b"\x30":
            try:
                sig = _algos.DSASignature.load(signature, strict=True)
                return int(sig["r"].native), int(sig["s"].native)
            except (ValueError, TypeError, KeyError):
                pass
        if len(signature) == 2 * n:
            return _int(signature[:n]), _int(signature[n:])
        raise InvalidSignature(
            "The ECDSA signature is neither DER nor plain r||s of the right length.",
            code="signature_malformed",
        )
