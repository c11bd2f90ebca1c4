"""Certificate revocation lists (RFC 5280 §5) as CSCAs publish them for their DSCs.

A CRL is used only after its signature has been verified with the CSCA's
key. A CRL whose nextUpdate has passed is *stale*: it can neither prove a
DSC revoked nor prove it good, so the report says ``stale``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import crl as _crl

from crypto import der
from crypto.certs import Certificate, NameKey, der_of, name_key, name_text
from crypto.errors import MAX_FILE
from crypto.keys import PublicKey, SignatureScheme


@dataclass(eq=False)
class CRL:
    raw: bytes
    asn1: _crl.CertificateList
    issuer: NameKey
    issuer_text: str
    aki: bytes | None
    this_update: datetime
    next_update: datetime | None
    revoked: dict[int, datetime]  # serial number -> revocation date

    @classmethod
    def from_bytes(cls, data: bytes) -> CRL:
        data = der_of(data, MAX_FILE, "CRL")
        with der.decoding("CRL", "parse", "The CRL", code="crl_malformed"):
            lst = _crl.CertificateList.load(data, strict=True)
            tbs = lst["tbs_cert_list"]
            aki = lst.authority_key_identifier
            revoked = {}
            for entry in tbs["revoked_certificates"] or []:
                revoked[int(entry["user_certificate"].native)] = entry["revocation_date"].native
            nu = tbs["next_update"]
            return cls(
                raw=data,
                asn1=lst,
                issuer=name_key(tbs["issuer"]),
                issuer_text=name_text(tbs["issuer"]),
                aki=aki,
                this_update=tbs["this_update"].native,
                next_update=None if nu.native is None else nu.native,
                revoked=revoked,
            )

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    def may_be_issued_by(self, issuer: Certificate) -> bool:
        if self.aki is not None and issuer.ski is not None:
            return self.aki == issuer.ski
        return self.issuer == issuer.subject

    def verify_signed_by(self, issuer: Certificate | PublicKey) -> None:
        """Raise ``InvalidSignature`` unless ``issuer`` signed this CRL."""
        key = issuer.public_key if isinstance(issuer, Certificate) else issuer
        scheme = SignatureScheme.from_algorithm(self.asn1["signature_algorithm"])
        with der.decoding("CRL", "signature", "The CRL's signature", code="crl_malformed"):
            signature = self.asn1["signature"].native
            tbs = self.asn1["tbs_cert_list"].dump()
        key.verify(signature, tbs, scheme)

    def is_stale(self, at: datetime) -> bool:
        return self.next_update is None or self.next_update < at

    def revocation_date(self, serial_number: int) -> datetime | None:
        return self.revoked.get(serial_number)
