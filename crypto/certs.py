"""X.509 certificates of the eMRTD PKI, each with its role (ICAO Doc 9303-12).

Roles: CSCA (self-signed CA), link certificate (a CSCA key signed by the
previous CSCA key: CA, same country, not self-signed), DSC (document signer:
not a CA, digitalSignature), master-list signer (extended key usage
id-icao-cscaMasterListSigningKey). Names are compared regardless of the
order of their attributes and of case and spacing, because issuers in the
field write the same name in different orders (the MY SOD does).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import Any

from asn1crypto import x509 as _x509

from crypto import der
from crypto.errors import MAX_OBJECT, MalformedError, check_size
from crypto.keys import PublicKey, SignatureScheme

OID_ML_SIGNER = "2.23.136.1.1.3"  # id-icao-cscaMasterListSigningKey
OID_DL_SIGNER = "2.23.136.1.1.8"  # id-icao-mrtd-security-deviationListSigningKey

NameKey = tuple[tuple[str, str], ...]
_MALFORMED = "certificate_malformed"


class Role(StrEnum):
    CSCA = "csca"
    LINK = "link"
    DSC = "dsc"
    MASTER_LIST_SIGNER = "master_list_signer"
    OTHER = "other"

    def __str__(self) -> str:
        return self.value


_SPACES = re.compile(r"\s+")
_PEM = re.compile(rb"-----BEGIN ([A-Z0-9 ]{1,40})-----(.*?)-----END \1-----", re.DOTALL)


def is_pem(data: bytes) -> bool:
    return b"-----BEGIN " in data[:4096]


def der_of(data: bytes, limit: int, what: str) -> bytes:
    """The DER of a single object given as DER or as PEM (its first block), size-checked."""
    check_size(data, limit, what)
    data = bytes(data)
    return pem_blocks(data)[0][1] if is_pem(data) else data


def pem_blocks(data: bytes) -> list[tuple[str, bytes]]:
    """(label, DER) of every PEM block, in one linear pass (asn1crypto's unarmor is slow on
    large garbage). Raises ``MalformedError`` when there is none or one does not decode."""
    out = []
    for m in _PEM.finditer(data):
        body = b"".join(
            line for line in m.group(2).split() if b":" not in line
        )  # skip RFC 1421 headers
        try:
            out.append((m.group(1).decode(), base64.b64decode(body, validate=True)))
        except (binascii.Error, ValueError):
            raise MalformedError("A PEM block is not valid base64.") from None
    if not out:
        raise MalformedError("The PEM file holds no complete block.")
    return out


def name_key(name: _x509.Name) -> NameKey:
    """A name as a sorted tuple of (attribute OID, folded value): order- and case-insensitive."""
    parts = []
    for rdn in name.chosen:
        for atv in rdn:
            try:
                value = atv["value"].native
                text = value if isinstance(value, str) else atv["value"].dump().hex()
            except (ValueError, TypeError):
                text = atv["value"].dump().hex()
            parts.append((atv["type"].dotted, _SPACES.sub(" ", text).strip().casefold()))
    return tuple(sorted(parts))


def name_text(name: _x509.Name) -> str:
    """A short readable form, e.g. ``C=VN, O=..., CN=CSCA ePassport Vietnam`` (no personal data
    here)."""
    short = {
        "country_name": "C",
        "organization_name": "O",
        "organizational_unit_name": "OU",
        "common_name": "CN",
        "serial_number": "serialNumber",
        "locality_name": "L",
        "state_or_province_name": "ST",
    }
    out = []
    for rdn in name.chosen:
        for atv in rdn:
            key = short.get(atv["type"].native, atv["type"].dotted)
            try:
                val = atv["value"].native
            except (ValueError, TypeError):
                val = "?"
            out.append(f"{key}={val}")
    return ", ".join(out)


def _country(name: _x509.Name) -> str | None:
    for rdn in name.chosen:
        for atv in rdn:
            if atv["type"].native == "country_name":
                try:
                    return str(atv["value"].native).strip().upper()
                except (ValueError, TypeError):
                    return None
    return None


@dataclass(eq=False)
class Certificate:
    """One parsed certificate; every field is decoded up front, so a malformed one fails here."""

    raw: bytes
    asn1: _x509.Certificate
    subject: NameKey
    issuer: NameKey
    subject_text: str
    issuer_text: str
    serial_number: int
    ski: bytes | None
    aki: bytes | None
    not_before: datetime
    not_after: datetime
    country: str | None
    is_ca: bool
    key_usage: frozenset[str]
    extended_key_usage: frozenset[str]
    _key: PublicKey | None = field(default=None, repr=False)

    @classmethod
    def from_bytes(cls, data: bytes) -> Certificate:
        """A certificate from DER, or from PEM (the first block)."""
        data = der_of(data, MAX_OBJECT, "certificate")
        with der.decoding("certificate", "parse", "The certificate", code=_MALFORMED):
            cert = _x509.Certificate.load(data, strict=True)
            return cls.from_asn1(cert, data)

    @classmethod
    def from_asn1(cls, cert: _x509.Certificate, raw: bytes | None = None) -> Certificate:
        with der.decoding("certificate", "fields", "The certificate", code=_MALFORMED):
            tbs = cert["tbs_certificate"]
            validity = tbs["validity"]
            bc = cert.basic_constraints_value
            ku = cert.key_usage_value
            eku = cert.extended_key_usage_value
            aki_ext = cert.authority_key_identifier_value
            ski = cert.key_identifier_value
            spki = tbs["subject_public_key_info"]
            # Bare reads force asn1crypto's lazy decoding now: a malformed key or algorithm
            # identifier fails here, typed, not at the verifier's first access.
            spki["algorithm"].native  # noqa: B018 - see above
            cert["signature_algorithm"].native  # noqa: B018 - see above
            spki["public_key"].contents  # noqa: B018 - see above
            return cls(
                raw=raw if raw is not None else cert.dump(),
                asn1=cert,
                subject=name_key(tbs["subject"]),
                issuer=name_key(tbs["issuer"]),
                subject_text=name_text(tbs["subject"]),
                issuer_text=name_text(tbs["issuer"]),
                serial_number=int(tbs["serial_number"].native),
                ski=ski.native if ski is not None else None,
                aki=(aki_ext["key_identifier"].native if aki_ext is not None else None),
                not_before=validity["not_before"].native,
                not_after=validity["not_after"].native,
                country=_country(tbs["subject"]),
                is_ca=bool(bc is not None and bc["ca"].native),
                key_usage=frozenset(ku.native) if ku is not None else frozenset(),
                extended_key_usage=frozenset(o.dotted for o in eku)
                if eku is not None
                else frozenset(),
            )

    # -- identity -------------------------------------------------------
    @cached_property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    @property
    def self_issued(self) -> bool:
        return self.subject == self.issuer

    @property
    def self_signed(self) -> bool:
        """Same name both sides and, when both identifiers are present, the same key."""
        if not self.self_issued:
            return False
        return self.aki is None or self.ski is None or self.aki == self.ski

    @property
    def role(self) -> Role:
        if OID_ML_SIGNER in self.extended_key_usage:
            return Role.MASTER_LIST_SIGNER
        if self.is_ca or "key_cert_sign" in self.key_usage:
            return Role.CSCA if self.self_signed else Role.LINK
        if "digital_signature" in self.key_usage or not self.key_usage:
            return Role.DSC
        return Role.OTHER

    # -- keys and signatures --------------------------------------------
    @property
    def public_key(self) -> PublicKey:
        if self._key is None:
            self._key = PublicKey.from_spki(self.asn1["tbs_certificate"]["subject_public_key_info"])
        return self._key

    @property
    def signature_scheme(self) -> SignatureScheme:
        with der.decoding("certificate", "signature_algorithm", "The certificate"):
            return SignatureScheme.from_algorithm(self.asn1["signature_algorithm"])

    def verify_signed_by(self, issuer: Certificate | PublicKey) -> None:
        """Raise ``InvalidSignature`` unless ``issuer``'s key signed this certificate."""
        key = issuer.public_key if isinstance(issuer, Certificate) else issuer
        with der.decoding("certificate", "signature_value", "The certificate's signature"):
            signature = self.asn1["signature_value"].native
            tbs = self.asn1["tbs_certificate"].dump()
        key.verify(signature, tbs, self.signature_scheme)

    def may_be_issued_by(self, issuer: Certificate) -> bool:
        """Key identifiers first (when both are present), names otherwise."""
        if self.aki is not None and issuer.ski is not None:
            return self.aki == issuer.ski
        return self.issuer == issuer.subject

    def valid_at(self, at: datetime) -> bool:
        return self.not_before <= at <= self.not_after

    def summary(self) -> dict[str, Any]:
        """Non-personal facts for report details."""
        return {
            "subject": self.subject_text,
            "issuer": self.issuer_text,
            "serial_number": format(self.serial_number, "x"),
            "role": self.role.value,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "ski": self.ski.hex() if self.ski else None,
            "fingerprint_sha256": self.fingerprint,
        }


def certificates_from_file(data: bytes) -> list[Certificate]:
    """Every certificate in a DER file or a PEM file with one or more blocks."""
    if is_pem(data):
        return [
            Certificate.from_bytes(der)
            for kind, der in pem_blocks(data)
            if kind in ("CERTIFICATE", "X509 CERTIFICATE")
        ]
    return [Certificate.from_bytes(data)]
