"""SecurityInfos (ICAO Doc 9303-11 §9.2, BSI TR-03110-3 A.1): EF.CardAccess, DG14, EF.CardSecurity.

``SecurityInfos ::= SET OF SecurityInfo``, each ``SEQUENCE { protocol OID,
requiredData ANY, optionalData ANY OPTIONAL }``. The protocol OID decides the
type; infos of unknown protocols are kept raw rather than failing, since
cards add new ones (CardInfoLocator, PrivilegedTerminalInfo, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from asn1crypto import core

from cardreader import tlv
from cardreader.errors import ParseError
from cardreader.lds.pubkey import PublicKey
from crypto import der
from crypto.curves import CurveError, NamedCurve, by_pace_id

BSI = "0.4.0.127.0.7"
ID_PK = BSI + ".2.2.1"
ID_TA = BSI + ".2.2.2"
ID_CA = BSI + ".2.2.3"
ID_PACE = BSI + ".2.2.4"
ID_AA = "2.23.136.1.1.5"

_KA = {"1": "DH", "2": "ECDH"}
_PACE_KIND = {
    "1": ("DH", "GM"),
    "2": ("ECDH", "GM"),
    "3": ("DH", "IM"),
    "4": ("ECDH", "IM"),
    "6": ("ECDH", "CAM"),
}
# Cipher suite arc: (cipher, key bits, name part). 3DES is two-key 3DES (112 bits).
_SUITE = {
    "1": ("3DES", 112, "3DES-CBC-CBC"),
    "2": ("AES", 128, "AES-CBC-CMAC-128"),
    "3": ("AES", 192, "AES-CBC-CMAC-192"),
    "4": ("AES", 256, "AES-CBC-CMAC-256"),
}

_SIMPLE_NAMES = {
    ID_PK + ".1": "id-PK-DH",
    ID_PK + ".2": "id-PK-ECDH",
    ID_TA: "id-TA",
    ID_CA + ".1": "id-CA-DH",
    ID_CA + ".2": "id-CA-ECDH",
    ID_PACE + ".1": "id-PACE-DH-GM",
    ID_PACE + ".2": "id-PACE-ECDH-GM",
    ID_PACE + ".3": "id-PACE-DH-IM",
    ID_PACE + ".4": "id-PACE-ECDH-IM",
    ID_PACE + ".6": "id-PACE-ECDH-CAM",
    ID_AA: "id-AA",
    BSI + ".2.2.5": "id-RI",
    BSI + ".2.2.6": "id-CI",
    BSI + ".2.2.7": "id-eIDSecurity",
    BSI + ".2.2.8": "id-PT",
}

# Signature algorithms of ActiveAuthenticationInfo -> hash name (hashlib spelling).
AA_SIGNATURE_HASHES = {
    BSI + ".1.1.4.1.1": ("ecdsa-plain-SHA1", "sha1"),
    BSI + ".1.1.4.1.2": ("ecdsa-plain-SHA224", "sha224"),
    BSI + ".1.1.4.1.3": ("ecdsa-plain-SHA256", "sha256"),
    BSI + ".1.1.4.1.4": ("ecdsa-plain-SHA384", "sha384"),
    BSI + ".1.1.4.1.5": ("ecdsa-plain-SHA512", "sha512"),
    BSI + ".1.1.4.1.6": ("ecdsa-plain-RIPEMD160", "ripemd160"),
    "1.2.840.10045.4.1": ("ecdsa-with-SHA1", "sha1"),
    "1.2.840.10045.4.3.1": ("ecdsa-with-SHA224", "sha224"),
    "1.2.840.10045.4.3.2": ("ecdsa-with-SHA256", "sha256"),
    "1.2.840.10045.4.3.3": ("ecdsa-with-SHA384", "sha384"),
    "1.2.840.10045.4.3.4": ("ecdsa-with-SHA512", "sha512"),
}

# PACE standardized domain parameter ids 0-2 are MODP groups (RFC 5114); 8-18 are curves.
PACE_DH_GROUPS = {
    0: "1024-bit MODP Group with 160-bit Prime Order Subgroup",
    1: "2048-bit MODP Group with 224-bit Prime Order Subgroup",
    2: "2048-bit MODP Group with 256-bit Prime Order Subgroup",
}

_T = TypeVar("_T")


def oid_name(oid: str) -> str:
    """Readable name of a protocol OID (``id-PACE-ECDH-GM-AES-CBC-CMAC-128`` ...), else the OID."""
    if oid in _SIMPLE_NAMES:
        return _SIMPLE_NAMES[oid]
    if oid in AA_SIGNATURE_HASHES:
        return AA_SIGNATURE_HASHES[oid][0]
    head, _, suite = oid.rpartition(".")
    if suite in _SUITE and head in _SIMPLE_NAMES and head.startswith((ID_PACE, ID_CA)):
        return f"{_SIMPLE_NAMES[head]}-{_SUITE[suite][2]}"
    return oid


def cipher_of(oid: str) -> tuple[str, int] | None:
    """(cipher, key length in bits) named by a PACE or CA protocol OID, else None."""
    head, _, suite = oid.rpartition(".")
    if head.rpartition(".")[0] in (ID_PACE, ID_CA) and suite in _SUITE:
        return _SUITE[suite][0], _SUITE[suite][1]
    return None


@dataclass
class SecurityInfo:
    protocol: str  # dotted OID
    raw: bytes  # the whole SecurityInfo SEQUENCE

    @property
    def name(self) -> str:
        return oid_name(self.protocol)

    def describe(self) -> str:
        return self.name


@dataclass
class PACEInfo(SecurityInfo):
    version: int = 0
    parameter_id: int | None = None

    @property
    def key_agreement(self) -> str:
        return _PACE_KIND[self.protocol.split(".")[-2]][0]

    @property
    def mapping(self) -> str:
        return _PACE_KIND[self.protocol.split(".")[-2]][1]

    @property
    def cipher(self) -> str:
        return _SUITE[self.protocol.split(".")[-1]][0]

    @property
    def key_length(self) -> int:
        return _SUITE[self.protocol.split(".")[-1]][1]

    @property
    def curve(self) -> NamedCurve | None:
        """The standardized curve of ``parameter_id`` (None for DH groups or proprietary ids)."""
        if self.parameter_id is None or self.key_agreement != "ECDH":
            return None
        try:
            return by_pace_id(self.parameter_id)
        except CurveError:
            return None

    def describe(self) -> str:
        text = f"PACEInfo {self.name} v{self.version}"
        if self.parameter_id is not None:
            text += f" parameterId {self.parameter_id}"
            group = self.curve.name if self.curve else PACE_DH_GROUPS.get(self.parameter_id)
            if group:
                text += f" ({group})"
        return text


@dataclass
class PACEDomainParameterInfo(SecurityInfo):
    domain_parameter: bytes = b""  # AlgorithmIdentifier, DER
    parameter_id: int | None = None

    def describe(self) -> str:
        return f"PACEDomainParameterInfo {self.name} parameterId {self.parameter_id}"


@dataclass
class ChipAuthenticationInfo(SecurityInfo):
    version: int = 0
    key_id: int | None = None

    @property
    def key_agreement(self) -> str:
        return _KA[self.protocol.split(".")[-2]]

    @property
    def cipher(self) -> str:
        return _SUITE[self.protocol.split(".")[-1]][0]

    @property
    def key_length(self) -> int:
        return _SUITE[self.protocol.split(".")[-1]][1]

    def describe(self) -> str:
        text = f"ChipAuthenticationInfo {self.name} v{self.version}"
        return text + (f" keyId {self.key_id}" if self.key_id is not None else "")


@dataclass
class ChipAuthenticationDomainParameterInfo(SecurityInfo):
    domain_parameter: bytes = b""
    key_id: int | None = None


@dataclass
class ChipAuthenticationPublicKeyInfo(SecurityInfo):
    public_key: PublicKey | None = None
    key_id: int | None = None

    @property
    def key_agreement(self) -> str:
        return _KA[self.protocol.split(".")[-1]]

    def describe(self) -> str:
        curve = self.public_key.curve.name if self.public_key and self.public_key.curve else ""
        return f"ChipAuthenticationPublicKeyInfo {self.name} {curve}".rstrip()


@dataclass
class ActiveAuthenticationInfo(SecurityInfo):
    version: int = 0
    signature_algorithm: str = ""  # dotted OID

    @property
    def signature_algorithm_name(self) -> str:
        return AA_SIGNATURE_HASHES.get(self.signature_algorithm, (self.signature_algorithm, None))[
            0
        ]

    @property
    def hash_name(self) -> str | None:
        """hashlib name of the hash the chip signs with (None for an unknown algorithm)."""
        return AA_SIGNATURE_HASHES.get(self.signature_algorithm, (None, None))[1]

    def describe(self) -> str:
        return f"ActiveAuthenticationInfo v{self.version} {self.signature_algorithm_name}"


@dataclass
class TerminalAuthenticationInfo(SecurityInfo):
    version: int = 0
    ef_cvca: bytes | None = None  # FileID (DER) when given

    def describe(self) -> str:
        return f"TerminalAuthenticationInfo v{self.version}"


@dataclass
class UnknownSecurityInfo(SecurityInfo):
    def describe(self) -> str:
        return f"SecurityInfo {self.name} (not interpreted)"


@dataclass
class SecurityInfos:
    raw: bytes
    infos: list[SecurityInfo] = field(default_factory=list)

    def of_type(self, cls: type[_T]) -> list[_T]:
        return [i for i in self.infos if isinstance(i, cls)]

    @property
    def pace_infos(self) -> list[PACEInfo]:
        return self.of_type(PACEInfo)

    @property
    def pace_domain_parameter_infos(self) -> list[PACEDomainParameterInfo]:
        return self.of_type(PACEDomainParameterInfo)

    @property
    def chip_authentication_infos(self) -> list[ChipAuthenticationInfo]:
        return self.of_type(ChipAuthenticationInfo)

    @property
    def chip_authentication_public_keys(self) -> list[ChipAuthenticationPublicKeyInfo]:
        return self.of_type(ChipAuthenticationPublicKeyInfo)

    @property
    def active_authentication_info(self) -> ActiveAuthenticationInfo | None:
        return next(iter(self.of_type(ActiveAuthenticationInfo)), None)

    @property
    def terminal_authentication_info(self) -> TerminalAuthenticationInfo | None:
        return next(iter(self.of_type(TerminalAuthenticationInfo)), None)

    def describe(self) -> list[str]:
        return [i.describe() for i in self.infos]

    @classmethod
    def from_bytes(cls, raw: bytes, *, file: str | None = "EF.CardAccess") -> SecurityInfos:
        """Parse a DER ``SET OF SecurityInfo`` (tag 31)."""
        raw = bytes(raw)
        root = tlv.decode(raw, strict=True, file=file)
        if root.tag != 0x31:
            raise ParseError(
                f"SecurityInfos must be a SET (tag 31), found tag {root.tag:X}",
                step="parse",
                file=file,
            )
        out = cls(raw=raw)
        for node in root.children:
            out.infos.append(_parse_info(node, file))
        return out


def parse(raw: bytes, *, file: str | None = "EF.CardAccess") -> SecurityInfos:
    """SecurityInfos of EF.CardAccess / EF.CardSecurity content / DG14 content (tag 31)."""
    return SecurityInfos.from_bytes(raw, file=file)


# --- element decoding -------------------------------------------------------


def _oid(node: tlv.TLV, file: str | None) -> str:
    if node.tag != 0x06:
        raise ParseError(
            f"expected an OBJECT IDENTIFIER, found tag {node.tag:X}", step="parse", file=file
        )
    try:
        return str(core.ObjectIdentifier.load(node.raw).dotted)
    except (ValueError, TypeError) as exc:
        raise ParseError(f"malformed OBJECT IDENTIFIER: {exc}", step="parse", file=file) from None


def _int(node: tlv.TLV, file: str | None, what: str) -> int:
    if node.tag != 0x02 or not node.length:
        raise ParseError(
            f"{what} must be an INTEGER, found tag {node.tag:X}", step="parse", file=file
        )
    return int.from_bytes(node.value, "big", signed=True)


def _opt_int(nodes: list[tlv.TLV], i: int, file: str | None, what: str) -> int | None:
    return _int(nodes[i], file, what) if len(nodes) > i else None


def _parse_info(node: tlv.TLV, file: str | None) -> SecurityInfo:
    if node.tag != 0x30 or len(node.children) < 2:
        raise ParseError(
            "a SecurityInfo must be a SEQUENCE of a protocol OID and its data",
            step="parse",
            file=file,
        )
    parts = node.children
    oid = _oid(parts[0], file)
    raw = node.raw
    head = oid.rpartition(".")[0]
    if (
        head.rpartition(".")[0] == ID_PACE
        and oid.split(".")[-2] in _PACE_KIND
        and oid.split(".")[-1] in _SUITE
    ):
        return PACEInfo(
            oid,
            raw,
            version=_int(parts[1], file, "PACEInfo version"),
            parameter_id=_opt_int(parts, 2, file, "PACEInfo parameterId"),
        )
    if head == ID_PACE and oid.split(".")[-1] in _PACE_KIND:
        return PACEDomainParameterInfo(
            oid,
            raw,
            domain_parameter=parts[1].raw,
            parameter_id=_opt_int(parts, 2, file, "parameterId"),
        )
    if (
        head.rpartition(".")[0] == ID_CA
        and oid.split(".")[-2] in _KA
        and oid.split(".")[-1] in _SUITE
    ):
        return ChipAuthenticationInfo(
            oid,
            raw,
            version=_int(parts[1], file, "ChipAuthenticationInfo version"),
            key_id=_opt_int(parts, 2, file, "keyId"),
        )
    if head == ID_CA and oid.split(".")[-1] in _KA:
        return ChipAuthenticationDomainParameterInfo(
            oid, raw, domain_parameter=parts[1].raw, key_id=_opt_int(parts, 2, file, "keyId")
        )
    if head == ID_PK and oid.split(".")[-1] in _KA:
        return ChipAuthenticationPublicKeyInfo(
            oid,
            raw,
            public_key=PublicKey.from_bytes(parts[1].raw, file=file),
            key_id=_opt_int(parts, 2, file, "keyId"),
        )
    if oid == ID_TA:
        return TerminalAuthenticationInfo(
            oid,
            raw,
            version=_int(parts[1], file, "TerminalAuthenticationInfo version"),
            ef_cvca=parts[2].raw if len(parts) > 2 else None,
        )
    if oid == ID_AA:
        if len(parts) < 3:
            raise ParseError(
                "ActiveAuthenticationInfo lacks its signature algorithm", step="parse", file=file
            )
        return ActiveAuthenticationInfo(
            oid,
            raw,
            version=_int(parts[1], file, "ActiveAuthenticationInfo version"),
            signature_algorithm=_oid(parts[2], file),
        )
    return UnknownSecurityInfo(oid, raw)


OID_SECURITY_OBJECT = BSI + ".3.2.1"  # id-SecurityObject: eContentType of EF.CardSecurity


def parse_card_security(raw: bytes, *, file: str = "EF.CardSecurity") -> SecurityInfos:
    """SecurityInfos inside EF.CardSecurity: a CMS ContentInfo (SignedData) whose eContent they are.

    Only the content is parsed here; the signature belongs to the crypto package.
    """
    from asn1crypto import cms  # local: only this path needs CMS

    try:
        ci = cms.ContentInfo.load(bytes(raw), strict=True)
        if ci["content_type"].native != "signed_data":
            raise ParseError("EF.CardSecurity is not CMS SignedData", step="parse", file=file)
        eci = ci["content"]["encap_content_info"]
        ctype = eci["content_type"].dotted
        content = eci["content"].native
    except ParseError:
        raise
    except der.LOW_LEVEL as exc:
        raise ParseError(
            f"EF.CardSecurity is not a valid CMS SignedData: {exc}", step="parse", file=file
        ) from None
    if ctype != OID_SECURITY_OBJECT:
        raise ParseError(
            f"EF.CardSecurity eContentType is {ctype}, not id-SecurityObject",
            step="parse",
            file=file,
        )
    if not isinstance(content, (bytes, bytearray)):
        raise ParseError(
            "EF.CardSecurity has no encapsulated SecurityInfos", step="parse", file=file
        )
    return SecurityInfos.from_bytes(bytes(content), file=file)
