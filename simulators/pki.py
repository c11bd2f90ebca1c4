"""Deterministic test PKI: CSCA -> DSC -> EF.SOD, link certificates, CRLs, master lists.

Every key comes from a label, so the card process and the test process build the
*same* certificates without sharing files: EC keys via ``derive_private_key`` on a
hash of the label, RSA keys from a seeded prime search (gmpy2). ECDSA signatures
are deterministic (RFC 6979) and RSA-PSS takes its salt from a hash of the message,
so two runs give byte-identical certificates and SODs.

Certificates are laid out with asn1crypto (``cryptography`` cannot write the
explicit EC domain parameters that real CSCAs and DSCs carry) and signed with
``cryptography``. These are test keys: anyone can rebuild them from this file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, TypeAlias

import gmpy2
from asn1crypto import algos, cms, crl, keys, pem, x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from .lds import cms as lds_cms
from .lds.keyinfo import curve as _curve
from .lds.keyinfo import spki

NAMESPACE = "cccd-edge test PKI v1"
UTC = UTC
CSCA_VALIDITY = (datetime(2024, 1, 1, tzinfo=UTC), datetime(2039, 12, 31, 23, 59, 59, tzinfo=UTC))
DSC_VALIDITY = (datetime(2024, 1, 1, tzinfo=UTC), datetime(2034, 12, 31, 23, 59, 59, tzinfo=UTC))
SIGNING_TIME = datetime(2024, 6, 1, 8, 0, 0, tzinfo=UTC)
PrivateKey: TypeAlias = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

_HASHES = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


class PKIError(ValueError):
    """A test PKI request that cannot be met (unknown curve, key kind or hash)."""


# --- keys ----------------------------------------------------------------------------


def _stream(label: str, n: int) -> bytes:
    return hashlib.shake_256(f"{NAMESPACE}|{label}".encode()).digest(n)


@cache
def ec_key(label: str, curve_name: str = "brainpoolP256r1") -> ec.EllipticCurvePrivateKey:
    """The EC private key of ``label``: a scalar in [1, n-1] from a hash of the label."""
    c = _curve(curve_name)
    if c.crypto is None:
        raise PKIError(f"cryptography cannot sign on {curve_name}")
    n = int(c.lib.order)
    scalar = (
        int.from_bytes(_stream(f"ec|{curve_name}|{label}", c.field_size + 8), "big") % (n - 1) + 1
    )
    return ec.derive_private_key(scalar, c.crypto())


@cache
def rsa_key(label: str, bits: int = 2048, e: int = 65537) -> rsa.RSAPrivateKey:
    """The RSA private key of ``label``: primes from next_prime on seeded odd integers."""
    if bits < 1024 or bits % 16:
        raise PKIError("RSA keys here are at least 1024 bits, a multiple of 16")
    half = bits // 2

    def prime(tag: str) -> int:
        for counter in range(1000):
            raw = int.from_bytes(_stream(f"rsa{bits}|{label}|{tag}|{counter}", half // 8), "big")
            raw |= (3 << (half - 2)) | 1  # top two bits set: p*q has exactly `bits` bits
            p = int(gmpy2.next_prime(raw))
            if p.bit_length() == half and gmpy2.gcd(e, p - 1) == 1:
                return p
        raise PKIError("no prime found")  # practically unreachable

    p, q = prime("p"), prime("q")
    if p == q:
        raise PKIError("degenerate RSA key")
    d = pow(e, -1, (p - 1) * (q - 1) // int(gmpy2.gcd(p - 1, q - 1)))
    nums = rsa.RSAPrivateNumbers(
        p,
        q,
        d,
        rsa.rsa_crt_dmp1(d, p),
        rsa.rsa_crt_dmq1(d, q),
        rsa.rsa_crt_iqmp(p, q),
        rsa.RSAPublicNumbers(e, p * q),
    )
    return nums.private_key()


def make_key(
    label: str, key_kind: str = "ecdsa", *, curve: str = "brainpoolP256r1", bits: int = 2048
) -> PrivateKey:
    if key_kind == "ecdsa":
        return ec_key(label, curve)
    if key_kind == "rsa":
        return rsa_key(label, bits)
    raise PKIError(f"unknown key kind {key_kind!r}; use 'ecdsa' or 'rsa'")


# --- signatures ----------------------------------------------------------------------


def _hash_cls(hash_alg: str) -> type[hashes.HashAlgorithm]:
    try:
        return _HASHES[hash_alg]
    except KeyError:
        raise PKIError(f"unsupported hash {hash_alg!r}") from None


def _mgf1(seed: bytes, length: int, hash_alg: str) -> bytes:
    """MGF1 (RFC 8017 §B.2.1)."""
    h_len = hashlib.new(hash_alg).digest_size
    out = b"".join(
        hashlib.new(hash_alg, seed + c.to_bytes(4, "big")).digest()
        for c in range((length + h_len - 1) // h_len)
    )
    return out[:length]


def _pss_sign(key: rsa.RSAPrivateKey, data: bytes, hash_alg: str) -> bytes:
    """RSASSA-PSS (RFC 8017 §8.1.1, EMSA-PSS §9.1.1) with salt length = hash length and a
    salt derived from the message, so the signature is reproducible."""
    h_len = hashlib.new(hash_alg).digest_size
    nums = key.private_numbers()
    n, d = nums.public_numbers.n, nums.d
    em_bits = n.bit_length() - 1
    em_len = (em_bits + 7) // 8
    m_hash = hashlib.new(hash_alg, data).digest()
    salt = hashlib.new(hash_alg, b"pss-salt|" + NAMESPACE.encode() + data).digest()[:h_len]
    h = hashlib.new(hash_alg, b"\x00" * 8 + m_hash + salt).digest()
    db = b"\x00" * (em_len - 2 * h_len - 2) + b"\x01" + salt
    masked = bytearray(
        a ^ b for a, b in zip(db, _mgf1(h, em_len - h_len - 1, hash_alg), strict=True)
    )
    masked[0] &= 0xFF >> (8 * em_len - em_bits)
    em = bytes(masked) + h + b"\xbc"
    s = int(gmpy2.powmod(int.from_bytes(em, "big"), d, n))
    return s.to_bytes((n.bit_length() + 7) // 8, "big")


def sign(key: PrivateKey, data: bytes, hash_alg: str = "sha256", *, pss: bool = False) -> bytes:
    """ECDSA (DER, deterministic), RSA PKCS#1 v1.5 or RSA-PSS over ``data``."""
    h = _hash_cls(hash_alg)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(h(), deterministic_signing=True))
    if isinstance(key, rsa.RSAPrivateKey):
        return _pss_sign(key, data, hash_alg) if pss else key.sign(data, padding.PKCS1v15(), h())
    raise PKIError(f"cannot sign with {type(key).__name__}")


def signature_algorithm(
    key: PrivateKey, hash_alg: str = "sha256", *, pss: bool = False
) -> algos.SignedDigestAlgorithm:
    _hash_cls(hash_alg)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return algos.SignedDigestAlgorithm({"algorithm": f"{hash_alg}_ecdsa"})
    if pss:
        return algos.SignedDigestAlgorithm(
            {
                "algorithm": "rsassa_pss",
                "parameters": {
                    "hash_algorithm": {"algorithm": hash_alg},
                    "mask_gen_algorithm": {
                        "algorithm": "mgf1",
                        "parameters": {"algorithm": hash_alg},
                    },
                    "salt_length": hashlib.new(hash_alg).digest_size,
                    "trailer_field": "trailer_field_bc",
                },
            }
        )
    return algos.SignedDigestAlgorithm({"algorithm": f"{hash_alg}_rsa"})


# --- certificates --------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Issued:
    """A certificate with its private key (test material only)."""

    label: str
    key: Any
    cert: x509.Certificate
    hash_alg: str = "sha256"  # what this key signs with by default
    pss: bool = False

    @property
    def der(self) -> bytes:
        return bytes(self.cert.dump())

    @property
    def pem(self) -> bytes:
        return bytes(pem.armor("CERTIFICATE", self.der))

    @property
    def ski(self) -> bytes:
        return bytes(self.cert.key_identifier)

    @property
    def subject(self) -> x509.Name:
        return self.cert.subject

    @property
    def serial(self) -> int:
        return int(self.cert.serial_number)


def _name(country: str, organization: str, common_name: str) -> x509.Name:
    return x509.Name.build(
        {"country_name": country, "organization_name": organization, "common_name": common_name}
    )


def _ski(spki_der: bytes) -> bytes:
    """RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits."""
    return hashlib.sha1(keys.PublicKeyInfo.load(spki_der)["public_key"].contents[1:]).digest()


def _serial(label: str) -> int:
    return int.from_bytes(_stream(f"serial|{label}", 8), "big") >> 1 or 1


def _time(dt: datetime) -> x509.Time:
    return x509.Time({"utc_time": dt} if dt.year < 2050 else {"general_time": dt})


def _default_hash(key: PrivateKey) -> str:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return {256: "sha256", 384: "sha384", 512: "sha512", 521: "sha512"}.get(
            key.curve.key_size, "sha256"
        )
    return "sha256"


def _certificate(
    *,
    issuer_key: PrivateKey,
    issuer_name: x509.Name,
    subject_name: x509.Name,
    subject_spki: bytes,
    serial: int,
    validity: tuple[datetime, datetime],
    extensions: list[dict[str, Any]],
    hash_alg: str,
    pss: bool,
) -> x509.Certificate:
    sig_alg = signature_algorithm(issuer_key, hash_alg, pss=pss)
    tbs = x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": serial,
            "signature": sig_alg,
            "issuer": issuer_name,
            "validity": {"not_before": _time(validity[0]), "not_after": _time(validity[1])},
            "subject": subject_name,
            "subject_public_key_info": keys.PublicKeyInfo.load(subject_spki),
            "extensions": extensions,
        }
    )
    signature = sign(issuer_key, tbs.dump(), hash_alg, pss=pss)
    return x509.Certificate(
        {"tbs_certificate": tbs, "signature_algorithm": sig_alg, "signature_value": signature}
    )


def _ca_extensions(ski: bytes, aki: bytes | None) -> list[dict[str, Any]]:
    ext = [
        {
            "extn_id": "basic_constraints",
            "critical": True,
            "extn_value": {"ca": True, "path_len_constraint": 0},
        },
        {"extn_id": "key_usage", "critical": True, "extn_value": {"key_cert_sign", "crl_sign"}},
        {"extn_id": "key_identifier", "critical": False, "extn_value": ski},
    ]
    if aki is not None:
        ext.append(
            {
                "extn_id": "authority_key_identifier",
                "critical": False,
                "extn_value": {"key_identifier": aki},
            }
        )
    return ext


@cache
def issue_csca(
    label: str = "test-csca-vn",
    country: str = "VN",
    key_kind: str = "ecdsa",
    *,
    curve: str = "brainpoolP384r1",
    bits: int = 3072,
    organization: str = "Test Vietnam CCCD",
    common_name: str = "Test CSCA CCCD",
    serial: int | None = None,
    not_before: datetime = CSCA_VALIDITY[0],
    not_after: datetime = CSCA_VALIDITY[1],
    hash_alg: str | None = None,
    pss: bool = False,
    explicit: bool = True,
) -> Issued:
    """A self-signed CSCA: basicConstraints CA (critical), keyUsage keyCertSign+cRLSign,
    SKI = AKI."""
    key = make_key(label, key_kind, curve=curve, bits=bits)
    hash_alg = hash_alg or _default_hash(key)
    spki_der = spki(key.public_key(), explicit=explicit)
    ski = _ski(spki_der)
    name = _name(country, organization, common_name)
    cert = _certificate(
        issuer_key=key,
        issuer_name=name,
        subject_name=name,
        subject_spki=spki_der,
        serial=serial or _serial(label),
        validity=(not_before, not_after),
        extensions=_ca_extensions(ski, ski),
        hash_alg=hash_alg,
        pss=pss,
    )
    return Issued(label, key, cert, hash_alg, pss)


@cache
def issue_dsc(
    csca: Issued,
    label: str = "test-dsc-vn",
    not_before: datetime = DSC_VALIDITY[0],
    not_after: datetime = DSC_VALIDITY[1],
    country: str | None = None,
    serial: int | None = None,
    *,
    key_kind: str = "ecdsa",
    curve: str = "brainpoolP256r1",
    bits: int = 2048,
    organization: str = "Test Vietnam CCCD",
    common_name: str | None = None,
    hash_alg: str | None = None,
    pss: bool | None = None,
    explicit: bool = True,
    include_aki: bool = True,
) -> Issued:
    """A document signer (or master list signer) issued by ``csca``: keyUsage digitalSignature
    (critical), AKI = the CSCA's SKI (left out with ``include_aki=False``, as some old DSCs do).
    ``country`` other than the CSCA's makes a mismatch case."""
    key = make_key(label, key_kind, curve=curve, bits=bits)
    spki_der = spki(key.public_key(), explicit=explicit)
    country = country or csca.subject.native["country_name"]
    name = _name(country, organization, common_name or f"Test DSC CCCD {label}")
    ext = [
        {"extn_id": "key_usage", "critical": True, "extn_value": {"digital_signature"}},
        {
            "extn_id": "authority_key_identifier",
            "critical": False,
            "extn_value": {"key_identifier": csca.ski},
        },
        {"extn_id": "key_identifier", "critical": False, "extn_value": _ski(spki_der)},
    ]
    if not include_aki:
        ext = [e for e in ext if e["extn_id"] != "authority_key_identifier"]
    cert = _certificate(
        issuer_key=csca.key,
        issuer_name=csca.subject,
        subject_name=name,
        subject_spki=spki_der,
        serial=serial or _serial(label),
        validity=(not_before, not_after),
        extensions=ext,
        hash_alg=hash_alg or csca.hash_alg,
        pss=csca.pss if pss is None else pss,
    )
    return Issued(label, key, cert, _default_hash(key), csca.pss if pss is None else pss)


def issue_link_certificate(
    old_csca: Issued,
    new_csca: Issued,
    *,
    serial: int | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> Issued:
    """The new CSCA's subject and key, issued (signed) by the old CSCA: AKI old SKI, SKI new SKI."""
    new_tbs = new_csca.cert["tbs_certificate"]
    validity = (
        not_before or new_tbs["validity"]["not_before"].native,
        not_after or new_tbs["validity"]["not_after"].native,
    )
    cert = _certificate(
        issuer_key=old_csca.key,
        issuer_name=old_csca.subject,
        subject_name=new_csca.subject,
        subject_spki=new_tbs["subject_public_key_info"].dump(),
        serial=serial or _serial(f"link|{old_csca.label}|{new_csca.label}"),
        validity=validity,
        extensions=_ca_extensions(new_csca.ski, old_csca.ski),
        hash_alg=old_csca.hash_alg,
        pss=old_csca.pss,
    )
    return Issued(f"{new_csca.label}-link", new_csca.key, cert, new_csca.hash_alg, new_csca.pss)


def issue_crl(
    csca: Issued,
    revoked_serials: Iterable[int] = (),
    this_update: datetime = DSC_VALIDITY[0],
    next_update: datetime = datetime(2034, 12, 31, tzinfo=UTC),
    *,
    crl_number: int = 1,
    revocation_date: datetime | None = None,
) -> bytes:
    """DER CRL v2 signed by ``csca`` with AKI and cRLNumber extensions."""
    sig_alg = signature_algorithm(csca.key, csca.hash_alg, pss=csca.pss)
    revoked = [
        {"user_certificate": s, "revocation_date": _time(revocation_date or this_update)}
        for s in revoked_serials
    ]
    tbs = crl.TbsCertList(
        {
            "version": "v2",
            "signature": sig_alg,
            "issuer": csca.subject,
            "this_update": _time(this_update),
            "next_update": _time(next_update),
            "revoked_certificates": revoked or None,
            "crl_extensions": [
                {
                    "extn_id": "authority_key_identifier",
                    "critical": False,
                    "extn_value": {"key_identifier": csca.ski},
                },
                {"extn_id": "crl_number", "critical": False, "extn_value": crl_number},
            ],
        }
    )
    signature = sign(csca.key, tbs.dump(), csca.hash_alg, pss=csca.pss)
    return bytes(
        crl.CertificateList(
            {"tbs_cert_list": tbs, "signature_algorithm": sig_alg, "signature": signature}
        ).dump()
    )


CertLike: TypeAlias = "Issued | bytes | bytearray | x509.Certificate"


def _as_cert(c: CertLike) -> x509.Certificate:
    if isinstance(c, Issued):
        return c.cert
    if isinstance(c, (bytes, bytearray)):
        return x509.Certificate.load(bytes(c))
    return c


def build_master_list(
    signer_key: PrivateKey,
    signer_cert: CertLike,
    csca_certs: Iterable[CertLike],
    *,
    hash_alg: str = "sha256",
    pss: bool = False,
    signing_time: datetime | None = SIGNING_TIME,
    extra_certs: Iterable[CertLike] = (),
) -> bytes:
    """CMS SignedData (DER ContentInfo), eContentType id-icao-cscaMasterList, content
    CscaMasterList {version 0, SET OF Certificate}. Certificates may be Issued, DER or
    asn1crypto."""
    signer_cert = _as_cert(signer_cert)
    content = lds_cms.CscaMasterList(
        {"version": 0, "cert_list": [_as_cert(c) for c in csca_certs]}
    ).dump()
    return lds_cms.signed_data(
        lds_cms.OID_CSCA_MASTER_LIST,
        content,
        signer_cert=signer_cert,
        sign=lambda data: sign(signer_key, data, hash_alg, pss=pss),
        signature_algorithm=signature_algorithm(signer_key, hash_alg, pss=pss),
        hash_alg=hash_alg,
        signing_time=signing_time,
        certificates=[_as_cert(c) for c in extra_certs],
    )


def sign_sod(
    dsc: Issued,
    dg_bytes: dict[int, bytes],
    hash_alg: str = "sha256",
    *,
    signature_hash: str | None = None,
    pss: bool | None = None,
    lds_version: tuple[str, str] | None = None,
    signing_time: datetime | None = SIGNING_TIME,
    econtent_type: str = lds_cms.OID_LDS_SECURITY_OBJECT,
    sid_by_ski: bool = False,
    include_certificate: bool = True,
) -> bytes:
    """EF.SOD (tag 77) over the exact DG bytes: LDSSecurityObject (v0, or v1 with ``lds_version``)
    hashed with ``hash_alg``, signed by ``dsc`` whose certificate is embedded."""
    sig_hash = signature_hash or hash_alg
    use_pss = dsc.pss if pss is None else pss
    content = lds_cms.lds_security_object(dg_bytes, hash_alg, lds_version=lds_version)
    info = lds_cms.signed_data(
        econtent_type,
        content,
        signer_cert=dsc.cert,
        sign=lambda data: sign(dsc.key, data, sig_hash, pss=use_pss),
        signature_algorithm=signature_algorithm(dsc.key, sig_hash, pss=use_pss),
        hash_alg=hash_alg,
        signing_time=signing_time,
        sid_by_ski=sid_by_ski,
    )
    if not include_certificate:
        info = _strip_certificates(info)
    return lds_cms.encode_sod(info)


OID_SECURITY_OBJECT = "0.4.0.127.0.7.3.2.1"  # id-SecurityObject (BSI TR-03110-3 A.1.2.5)


def sign_card_security(
    dsc: Issued,
    security_infos: bytes,
    hash_alg: str = "sha256",
    *,
    signing_time: datetime | None = SIGNING_TIME,
) -> bytes:
    """EF.CardSecurity: a ContentInfo (no outer tag) of SignedData over the DER SecurityInfos,
    eContentType id-SecurityObject, signed by ``dsc`` whose certificate is embedded."""
    return lds_cms.signed_data(
        OID_SECURITY_OBJECT,
        security_infos,
        signer_cert=dsc.cert,
        sign=lambda data: sign(dsc.key, data, hash_alg, pss=dsc.pss),
        signature_algorithm=signature_algorithm(dsc.key, hash_alg, pss=dsc.pss),
        hash_alg=hash_alg,
        signing_time=signing_time,
    )


def _strip_certificates(content_info: bytes) -> bytes:
    ci = cms.ContentInfo.load(content_info)
    sd = ci["content"]
    sd["certificates"] = None
    return bytes(cms.ContentInfo({"content_type": "signed_data", "content": sd}).dump(force=True))


# --- the default test PKI ------------------------------------------------------------

SIGNERS = ("ecdsa", "rsa", "rsa-pss")


@cache
def default_pki(signer: str = "ecdsa") -> tuple[Issued, Issued]:
    """(CSCA, DSC): ECDSA brainpoolP384r1 / brainpoolP256r1 with explicit parameters, or
    RSA-3072 / RSA-2048 with PKCS#1 v1.5 ('rsa') or PSS ('rsa-pss')."""
    if signer == "ecdsa":
        csca = issue_csca()
        return csca, issue_dsc(csca)
    if signer in ("rsa", "rsa-pss"):
        pss = signer == "rsa-pss"
        csca = issue_csca(
            f"test-csca-vn-{signer}",
            key_kind="rsa",
            bits=3072,
            pss=pss,
            common_name="Test CSCA CCCD RSA",
        )
        return csca, issue_dsc(csca, f"test-dsc-vn-{signer}", key_kind="rsa", bits=2048)
    raise PKIError(f"unknown signer {signer!r}; use one of {', '.join(SIGNERS)}")


def write_pki(directory: str | Path, signer: str = "ecdsa") -> list[Path]:
    """Write csca.cer, dsc.cer (DER), csca.pem and crl.crl (DER, nothing revoked) so an
    operator can import the test CSCA into a trust store. Returns the paths written."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    csca, dsc = default_pki(signer)
    files = {
        "csca.cer": csca.der,
        "csca.pem": csca.pem,
        "dsc.cer": dsc.der,
        "crl.crl": issue_crl(csca),
    }
    paths = []
    for name, data in files.items():
        (out / name).write_bytes(data)
        paths.append(out / name)
    return paths
