"""EF.SOD, the Document Security Object (ICAO Doc 9303-10 §4.6.2; CMS per RFC 5652).

``77`` wraps a CMS ``ContentInfo`` of type SignedData (DER, or BER with
indefinite lengths on some documents) whose encapsulated content is the
``LDSSecurityObject``: hash algorithm and one hash per data group. This
module only parses (through ``crypto.der``: any malformed input is a
``DecodeError`` naming EF.SOD and the step); verifying signatures and the
certificate path is ``crypto.passive_auth``'s job, on the objects kept here
(``signed_data``, ``encap_content``, ``signer_infos``, ``certificates``).
It lives in ``crypto`` because both layers need it: the reader parses EF.SOD
(``cardreader.lds.sod`` re-exports it) and passive authentication verifies it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from asn1crypto import algos, cms, core, x509

from crypto import der
from crypto.certs import name_key
from crypto.errors import DecodeError

OID_LDS_SECURITY_OBJECT = "2.23.136.1.1.1"
OID_ID_DATA = "1.2.840.113549.1.7.1"
OID_SIGNED_DATA = "1.2.840.113549.1.7.2"
TAG_SOD = 0x77


# asn1crypto ships no type information: its base classes are ``Any`` to mypy.
class DataGroupHash(core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("data_group_number", core.Integer),
        ("data_group_hash_value", core.OctetString),
    ]


class DataGroupHashValues(core.SequenceOf):
    _child_spec: ClassVar[type[core.Asn1Value]] = DataGroupHash


class LDSVersionInfo(core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("lds_version", core.PrintableString),
        ("unicode_version", core.PrintableString),
    ]


class LDSSecurityObject(core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("version", core.Integer),
        ("hash_algorithm", algos.DigestAlgorithm),
        ("data_group_hash_values", DataGroupHashValues),
        ("lds_version_info", LDSVersionInfo, {"optional": True}),
    ]


@dataclass
class EFSOD:
    raw: bytes
    content_info: cms.ContentInfo
    signed_data: cms.SignedData
    encap_content_type: str  # dotted OID
    encap_content: bytes  # exact eContent octets (what messageDigest covers)
    lds_security_object: LDSSecurityObject
    version: int
    hash_algorithm: str  # hashlib name: 'sha1', 'sha256', ...
    hash_algorithm_oid: str
    dg_hashes: dict[int, bytes]
    lds_version: str | None = None  # '0108' from LDSVersionInfo (v1 only)
    unicode_version: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def signer_infos(self) -> list[cms.SignerInfo]:
        return list(self.signed_data["signer_infos"])

    @property
    def certificates(self) -> list[x509.Certificate]:
        certs = self.signed_data["certificates"]
        if not certs:
            return []
        return [c.chosen for c in certs if c.name == "certificate"]

    @property
    def data_group_numbers(self) -> list[int]:
        return sorted(self.dg_hashes)

    @classmethod
    def from_bytes(cls, raw: bytes, *, file: str = "EF.SOD") -> EFSOD:
        raw = bytes(raw)
        content = der.outer_value(raw, TAG_SOD, file=file)
        try:
            return cls._from_content(raw, content, file)
        except DecodeError:
            raise
        except der.LOW_LEVEL as exc:
            raise DecodeError(
                f"EF.SOD is not a valid CMS SignedData ({type(exc).__name__}: {_short(exc)})",
                step="parse",
                file=file,
            ) from None

    @classmethod
    def _from_content(cls, raw: bytes, content: bytes, file: str) -> EFSOD:
        warnings: list[str] = []
        ci = cms.ContentInfo.load(content, strict=True)
        if ci["content_type"].dotted != OID_SIGNED_DATA:
            raise DecodeError(
                f"EF.SOD holds {ci['content_type'].dotted}, not CMS SignedData",
                step="parse",
                file=file,
            )
        sd: cms.SignedData = ci["content"]
        eci = sd["encap_content_info"]
        ctype = eci["content_type"].dotted
        if ctype == OID_ID_DATA:
            warnings.append("eContentType is id-data instead of ldsSecurityObject")
        elif ctype != OID_LDS_SECURITY_OBJECT:
            raise DecodeError(
                f"EF.SOD eContentType is {ctype}, not ldsSecurityObject", step="parse", file=file
            )
        econtent = eci["content"]
        if econtent is None or isinstance(econtent, core.Void):
            raise DecodeError(
                "EF.SOD has no encapsulated LDSSecurityObject", step="parse", file=file
            )
        # ``native`` merges BER constructed chunks: the octets the signer hashed.
        encap = (
            bytes(econtent.native)
            if isinstance(econtent.native, (bytes, bytearray))
            else econtent.contents
        )
        lso = der.load(LDSSecurityObject, encap, file=file, step="lds_security_object")
        version = lso["version"].native
        if version not in (0, 1):
            warnings.append(f"LDSSecurityObject version {version} is neither v0 nor v1")
        hash_alg = lso["hash_algorithm"]
        hash_oid = hash_alg["algorithm"].dotted
        hash_name = hash_alg["algorithm"].native
        dg_hashes: dict[int, bytes] = {}
        for item in lso["data_group_hash_values"]:
            number = item["data_group_number"].native
            value = item["data_group_hash_value"].native
            if not 1 <= number <= 16:
                warnings.append(f"data group number {number} is outside 1..16")
            if number in dg_hashes:
                raise DecodeError(f"EF.SOD lists DG{number} twice", step="parse", file=file)
            dg_hashes[number] = bytes(value)
        if not dg_hashes:
            raise DecodeError("EF.SOD lists no data group hashes", step="parse", file=file)
        lds_v = uni_v = None
        if lso["lds_version_info"].native is not None:
            lds_v = lso["lds_version_info"]["lds_version"].native
            uni_v = lso["lds_version_info"]["unicode_version"].native
            if version != 1:
                warnings.append("LDSVersionInfo present in a v0 LDSSecurityObject")
        elif version == 1:
            warnings.append("v1 LDSSecurityObject lacks LDSVersionInfo")
        # Touch what the verifier will read, so a malformed SignerInfo or certificate
        # is reported as a parse error of EF.SOD now, not as a crash later. Only the
        # SignerInfos are decoded in full; certificates are parsed down to their
        # top-level parts (the verifier wraps deeper failures itself): a full
        # ``sd.native`` cost most of passive authentication's time.
        if not len(sd["signer_infos"]):
            raise DecodeError("EF.SOD has no SignerInfo", step="parse", file=file)
        for si in sd["signer_infos"]:
            _touch_signer_info(si)
        for choice in sd["certificates"] or []:
            if choice.name == "certificate":
                cert = choice.chosen
                for part in ("tbs_certificate", "signature_value"):
                    cert[part].contents  # noqa: B018 - forces the DER structure to be parsed
                # The algorithm identifiers are read whole by the verifier: decode them now.
                cert["signature_algorithm"].native  # noqa: B018
                cert["tbs_certificate"]["signature"].native  # noqa: B018
                cert["tbs_certificate"]["subject_public_key_info"]["algorithm"].native  # noqa: B018
        return cls(
            raw=raw,
            content_info=ci,
            signed_data=sd,
            encap_content_type=ctype,
            encap_content=encap,
            lds_security_object=lso,
            version=version,
            hash_algorithm=hash_name,
            hash_algorithm_oid=hash_oid,
            dg_hashes=dg_hashes,
            lds_version=lds_v,
            unicode_version=uni_v,
            warnings=warnings,
        )


def _short(exc: BaseException) -> str:
    """A library message, cut short: it may quote bytes of the input."""
    text = str(exc)
    return text if len(text) <= 120 else text[:117] + "..."


def _touch_signer_info(si: cms.SignerInfo) -> None:
    """Decode every part of a SignerInfo the verifier reads, without building ``.native``
    for the whole of it (which cost two thirds of parsing EF.SOD)."""
    # Bare expressions below force asn1crypto's lazy decoding here, inside the caller's
    # error translation, instead of at the verifier's first access.
    si["version"].native  # noqa: B018
    sid = si["sid"]
    if sid.name == "issuer_and_serial_number":
        name_key(sid.chosen["issuer"])  # every RDN and attribute of the issuer name
        sid.chosen["serial_number"].native  # noqa: B018
    else:
        sid.chosen.native  # noqa: B018
    si["digest_algorithm"].native  # noqa: B018
    attrs = si["signed_attrs"]
    if isinstance(attrs, core.SetOf):
        attrs.contents  # noqa: B018
        for attr in attrs:
            kind = attr["type"].dotted
            for value in attr["values"]:
                value.native if kind in _SMALL_ATTRS else value.contents  # noqa: B018
    si["signature_algorithm"].native  # noqa: B018
    si["signature"].native  # noqa: B018


# contentType, messageDigest, signingTime: small, and read by the verifier.
_SMALL_ATTRS = {"1.2.840.113549.1.9.3", "1.2.840.113549.1.9.4", "1.2.840.113549.1.9.5"}
