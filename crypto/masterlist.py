"""ICAO CSCA master lists (Doc 9303-12 §9): CMS SignedData over a CscaMasterList.

    CscaMasterList ::= SEQUENCE { version INTEGER, certList SET OF Certificate }

The contents are trusted only after the list's own signature has been
verified and its signer certificate chains to a configured root (the
issuing state's CSCA). Certificates in the list that do not parse are
counted and skipped rather than failing the whole list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from asn1crypto import cms as _cms
from asn1crypto import core as _core
from asn1crypto import x509 as _x509

from crypto import cms, der
from crypto.certs import Certificate
from crypto.errors import MAX_FILE, CryptoError, InvalidSignature, MalformedError, check_size

OID_CSCA_MASTER_LIST = "2.23.136.1.1.2"


class _CertSet(_core.SetOf):
    _child_spec = _x509.Certificate


class _CscaMasterList(_core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [("version", _core.Integer), ("cert_list", _CertSet)]


@dataclass
class MasterList:
    signed_data: _cms.SignedData
    signer_candidates: list[Certificate]
    cscas: list[Certificate]
    skipped: int
    version: int

    @classmethod
    def from_bytes(cls, raw: bytes) -> MasterList:
        check_size(raw, MAX_FILE, "master list")
        sd = cms.load_signed_data(raw, "master list")
        if cms.econtent_type(sd) != OID_CSCA_MASTER_LIST:
            raise MalformedError(
                "The file is CMS but not a CSCA master list.", code="masterlist_malformed"
            )
        try:
            ml = _CscaMasterList.load(cms.econtent(sd))
            version = int(ml["version"].native)
            children = list(ml["cert_list"])
            signers = cms.embedded_certificates(sd)
            # The SignerInfos are split now (asn1crypto decodes lazily), so a malformed one is
            # this typed error here, not a ValueError when ``verify`` first reads it.
            signer_infos = list(sd["signer_infos"])
            if not signer_infos:
                raise MalformedError(
                    "The master list has no SignerInfo.", code="masterlist_malformed"
                )
            for si in signer_infos:
                der.parse_through(si)
        except CryptoError as exc:
            raise MalformedError(
                f"The master list is malformed: {exc.message}", code="masterlist_malformed"
            ) from None
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as exc:
            raise MalformedError(
                f"The master list is malformed ({type(exc).__name__}).", code="masterlist_malformed"
            ) from None
        cscas, skipped = [], 0
        for child in children:
            try:
                cscas.append(Certificate.from_asn1(child, child.dump()))
            except CryptoError:
                skipped += 1
        return cls(sd, signers, cscas, skipped, version)

    def verify(self, roots: list[Certificate], at: datetime | None = None) -> Certificate:
        """Check the list's signature and that its signer chains to one of ``roots``; return the
        signer.

        Raises ``InvalidSignature`` with code ``masterlist_signature_invalid`` or
        ``masterlist_signer_untrusted``.
        """
        at = at or datetime.now(UTC)
        si = self.signed_data["signer_infos"][0]
        signer = cms.find_signer(si, self.signer_candidates)
        if signer is None:
            raise InvalidSignature(
                "The master list does not carry its signer's certificate.",
                code="masterlist_signer_missing",
            )
        try:
            cms.verify_signer_info(self.signed_data, si, signer.public_key)
        except InvalidSignature as exc:
            raise InvalidSignature(
                f"The master list's signature does not verify ({exc.message})",
                code="masterlist_signature_invalid",
            ) from None
        for root in roots:
            if not signer.may_be_issued_by(root) and signer.fingerprint != root.fingerprint:
                continue
            try:
                signer.verify_signed_by(root)
            except InvalidSignature:
                continue
            return signer
        raise InvalidSignature(
            "The master list's signer does not chain to a trusted root.",
            code="masterlist_signer_untrusted",
        )
