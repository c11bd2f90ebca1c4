"""EF.SOD and other CMS SignedData for the LDS (ICAO Doc 9303-10 §4.6.2, 9303-12, RFC 5652).

The signature itself is made by a callable handed in (see ``simulators.pki``), so
this module only lays out the bytes: LDSSecurityObject, signedAttrs, SignerInfo.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

from asn1crypto import algos, cms, core, x509

from .tlv import LDSEncodeError, tlv

OID_LDS_SECURITY_OBJECT = "2.23.136.1.1.1"
OID_CSCA_MASTER_LIST = "2.23.136.1.1.2"
HASH_OIDS = {
    "sha1": "1.3.14.3.2.26",
    "sha224": "2.16.840.1.101.3.4.2.4",
    "sha256": "2.16.840.1.101.3.4.2.1",
    "sha384": "2.16.840.1.101.3.4.2.2",
    "sha512": "2.16.840.1.101.3.4.2.3",
}


class DataGroupHash(core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("data_group_number", core.Integer),
        ("data_group_hash_value", core.OctetString),
    ]


class DataGroupHashes(core.SequenceOf):
    _child_spec = DataGroupHash


class LDSVersionInfo(core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("lds_version", core.PrintableString),
        ("unicode_version", core.PrintableString),
    ]


class LDSSecurityObject(core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("version", core.Integer),
        ("hash_algorithm", algos.DigestAlgorithm),
        ("data_group_hash_values", DataGroupHashes),
        ("lds_version_info", LDSVersionInfo, {"optional": True}),
    ]


class SetOfCertificates(core.SetOf):
    _child_spec = x509.Certificate


class CscaMasterList(core.Sequence):
    """ICAO Doc 9303-12 §9: CscaMasterList { version v0, certList SET OF Certificate }."""

    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("version", core.Integer),
        ("cert_list", SetOfCertificates),
    ]


def digest(hash_alg: str, data: bytes) -> bytes:
    if hash_alg not in HASH_OIDS:
        raise LDSEncodeError(f"unsupported hash {hash_alg!r}; use one of {', '.join(HASH_OIDS)}")
    return hashlib.new(hash_alg, data).digest()


def digest_algorithm(hash_alg: str) -> algos.DigestAlgorithm:
    """AlgorithmIdentifier with absent parameters, as most SODs write it."""
    digest(hash_alg, b"")  # validates the name
    return algos.DigestAlgorithm({"algorithm": HASH_OIDS[hash_alg]})


def lds_security_object(
    dg_bytes: dict[int, bytes],
    hash_alg: str = "sha256",
    *,
    lds_version: tuple[str, str] | None = None,
) -> bytes:
    """DER LDSSecurityObject: v0, or v1 with LDSVersionInfo (e.g. ('0108', '040000'))."""
    value = {
        "version": 1 if lds_version else 0,
        "hash_algorithm": digest_algorithm(hash_alg),
        "data_group_hash_values": [
            {"data_group_number": n, "data_group_hash_value": digest(hash_alg, dg_bytes[n])}
            for n in sorted(dg_bytes)
        ],
    }
    if lds_version:
        value["lds_version_info"] = {
            "lds_version": lds_version[0],
            "unicode_version": lds_version[1],
        }
    return bytes(LDSSecurityObject(value).dump())


def signed_data(
    econtent_type: str,
    econtent: bytes,
    *,
    signer_cert: x509.Certificate,
    sign: Callable[[bytes], bytes],
    signature_algorithm: algos.SignedDigestAlgorithm,
    hash_alg: str = "sha256",
    signing_time: datetime | None = None,
    certificates: list[x509.Certificate] | None = None,
    sid_by_ski: bool = False,
) -> bytes:
    """DER ContentInfo { signedData v3 } with one SignerInfo over signedAttrs
    (contentType, messageDigest and, when given, signingTime)."""
    # parsed copies keep their encoded bytes, so asn1crypto does not re-serialize them
    signer_cert = x509.Certificate.load(signer_cert.dump())
    certificates = [x509.Certificate.load(c.dump()) for c in certificates or []]
    attrs = [
        {"type": "content_type", "values": [econtent_type]},
        {"type": "message_digest", "values": [digest(hash_alg, econtent)]},
    ]
    if signing_time is not None:
        attrs.append({"type": "signing_time", "values": [cms.Time({"utc_time": signing_time})]})
    signed_attrs = cms.CMSAttributes(attrs)
    # The signature covers the DER of the attributes as a SET (tag 31), RFC 5652 §5.4.
    signature = sign(signed_attrs.dump())
    if sid_by_ski:
        sid = cms.SignerIdentifier({"subject_key_identifier": signer_cert.key_identifier})
    else:
        sid = cms.SignerIdentifier(
            {
                "issuer_and_serial_number": {
                    "issuer": signer_cert.issuer,
                    "serial_number": signer_cert.serial_number,
                }
            }
        )
    signer_info = cms.SignerInfo(
        {
            "version": "v3" if sid_by_ski else "v1",
            "sid": sid,
            "digest_algorithm": digest_algorithm(hash_alg),
            "signed_attrs": signed_attrs,
            "signature_algorithm": signature_algorithm,
            "signature": signature,
        }
    )
    sd = cms.SignedData(
        {
            "version": "v3",
            "digest_algorithms": [digest_algorithm(hash_alg)],
            "encap_content_info": {"content_type": econtent_type, "content": econtent},
            "certificates": [signer_cert, *certificates],
            "signer_infos": [signer_info],
        }
    )
    return bytes(cms.ContentInfo({"content_type": "signed_data", "content": sd}).dump())


def encode_sod(content_info: bytes) -> bytes:
    """EF.SOD: tag 77 around the ContentInfo."""
    return tlv(0x77, content_info)
