"""EF.CardSecurity, verified like the SOD (ICAO Doc 9303-11 §9.2, BSI TR-03110-3 A.1.2.5).

EF.CardSecurity is CMS SignedData (eContentType id-SecurityObject) over SecurityInfos that
hold, among others, the chip's static public key (ChipAuthenticationPublicKeyInfo) which
PACE-CAM proves possession of. Its signer is a document signer: the signature and the
DSC -> CSCA chain are checked with the same pieces as passive authentication
(``crypto.cms``, ``crypto.passive_auth``'s chain step). Each step is a ``Check`` named
``card_security.*``; nothing is thrown.

The file vouches for its keys only when the signature verifies *and* the signer chains to a
trusted CSCA (``CardSecurityResult.authenticated``), exactly as a SOD vouches for DG14/DG15.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from asn1crypto import cms as _cms
from asn1crypto import core

from crypto import cms
from crypto import passive_auth as _pa
from crypto.certs import Certificate
from crypto.errors import (
    MAX_OBJECT,
    CryptoError,
    InvalidSignature,
    UnsupportedAlgorithm,
    check_size,
)
from crypto.keys import PublicKey
from crypto.report import Check, Status, combine
from crypto.truststore import TrustStore

ID_SECURITY_OBJECT = "0.4.0.127.0.7.3.2.1"
ID_PK_ECDH = "0.4.0.127.0.7.2.2.1.2"
FILE = "EF.CardSecurity"
_LOW_LEVEL = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError)


class _SecurityInfo(core.Sequence):
    _fields = [  # noqa: RUF012 - asn1crypto reads the spec from this class attribute
        ("protocol", core.ObjectIdentifier),
        ("required_data", core.Any),
        ("optional_data", core.Any, {"optional": True}),
    ]


class _SecurityInfos(core.SetOf):
    _child_spec = _SecurityInfo


@dataclass(frozen=True)
class ChipPublicKey:
    """A ChipAuthenticationPublicKeyInfo: the chip's static key and its optional key id."""

    public_key: PublicKey
    key_id: int | None


@dataclass
class CardSecurityResult:
    checks: list[Check] = field(default_factory=list)
    status: Status = Status.NOT_PERFORMED
    chip_public_keys: list[ChipPublicKey] = field(default_factory=list)

    @property
    def authenticated(self) -> bool:
        """Signature valid and the signer chains to a trusted CSCA: the keys are vouched for."""
        return self.status is Status.VALID

    def add(self, name: str, status: Status, code: str, message: str, **details: object) -> None:
        self.checks.append(Check(f"card_security.{name}", status, code, message, details))


def chip_public_keys(security_infos: bytes) -> list[ChipPublicKey]:
    """The id-PK-ECDH ChipAuthenticationPublicKeyInfos of a DER SecurityInfos."""
    out = []
    try:
        infos = _SecurityInfos.load(security_infos, strict=True)
        for info in infos:
            if info["protocol"].dotted != ID_PK_ECDH:
                continue
            key = PublicKey.from_spki(info["required_data"].dump())
            optional = info["optional_data"]
            key_id = None
            if optional.native is not None:
                key_id = int(core.Integer.load(optional.dump()).native)
            out.append(ChipPublicKey(key, key_id))
    except CryptoError:
        raise
    except _LOW_LEVEL as exc:
        raise CryptoError(
            f"The SecurityInfos of {FILE} are malformed ({type(exc).__name__}).",
            code="card_security_malformed",
        ) from None
    return out


def verify(
    raw: bytes | None, trust_store: TrustStore | None, *, at: datetime | None = None
) -> CardSecurityResult:
    """Parse, check the signature and the chain, and extract the chip's static keys."""
    res = CardSecurityResult()
    if raw is None:
        res.add("parse", Status.NOT_PERFORMED, "card_security_missing", f"{FILE} was not read.")
        return res
    at = at or datetime.now(UTC)
    try:
        check_size(raw, MAX_OBJECT, FILE)
        sd = cms.load_signed_data(raw, FILE)
        if cms.econtent_type(sd) != ID_SECURITY_OBJECT:
            raise CryptoError(
                f"{FILE} does not hold SecurityInfos (eContentType {cms.econtent_type(sd)}).",
                code="card_security_malformed",
            )
        res.chip_public_keys = chip_public_keys(cms.econtent(sd))
        embedded = cms.embedded_certificates(sd)
        signer_info = sd["signer_infos"][0]
        signer = cms.find_signer(signer_info, embedded)
    except (CryptoError, *_LOW_LEVEL) as exc:
        # A hostile file must end as a verdict, never as an exception (issue 9).
        message = exc.message if isinstance(exc, CryptoError) else type(exc).__name__
        res.add(
            "parse",
            Status.INVALID,
            "card_security_malformed",
            f"{FILE} is malformed.",
            error=message,
        )
        res.status = Status.INVALID
        return res
    res.add("parse", Status.VALID, "ok", f"{FILE} is well-formed.", keys=len(res.chip_public_keys))
    if signer is None:
        res.add(
            "signature",
            Status.NOT_PERFORMED,
            "dsc_missing",
            f"The signer of {FILE} is not in the file, so its signature cannot be checked.",
        )
        res.status = Status.UNKNOWN
        return res
    signature = _signature(res, sd, signer_info, signer)
    # Authenticity is judged when EF.CardSecurity was signed (as the SOD), not today.
    judged_at = _pa._judged_at(signer, at, cms.signing_time(signer_info))
    chain_check = _chain_check(signer, trust_store, at, judged_at, embedded)
    res.checks.append(chain_check)
    res.status = combine([signature, chain_check.status])
    return res


def _chain_check(
    signer: Certificate,
    store: TrustStore | None,
    at: datetime,
    judged_at: datetime,
    embedded: list[Certificate],
) -> Check:
    """The DSC -> CSCA step of passive authentication, recorded under this file's name."""
    chain = _pa.PassiveAuthResult()
    try:
        _pa._chain(chain, signer, store, at, judged_at, embedded)
    except (CryptoError, *_LOW_LEVEL) as exc:
        # A certificate the chain step cannot decode: a verdict, never an exception.
        return Check(
            "card_security.dsc.chain",
            Status.INVALID,
            "certificate_malformed",
            f"The document signer certificate of {FILE} is malformed.",
            {"error": type(exc).__name__},
        )
    found = chain.get("dsc.chain")
    if found is None:
        return Check(
            "card_security.dsc.chain",
            Status.NOT_PERFORMED,
            "dsc_missing",
            "The signer's chain could not be checked.",
        )
    return Check(
        f"card_security.{found.name}", found.status, found.code, found.message, dict(found.details)
    )


def _signature(
    res: CardSecurityResult, sd: _cms.SignedData, signer_info: _cms.SignerInfo, signer: Certificate
) -> Status:
    try:
        check = cms.verify_signer_info(sd, signer_info, signer.public_key)
    except _LOW_LEVEL as exc:  # e.g. a key the certificate cannot give: a verdict, not a crash
        res.add(
            "signature",
            Status.INVALID,
            "card_security_malformed",
            f"The signature of {FILE} could not be checked ({type(exc).__name__}).",
        )
        return Status.INVALID
    except InvalidSignature as exc:
        res.add(
            "signature",
            Status.INVALID,
            exc.code,
            f"The signature of {FILE} is invalid: the chip's keys may have been replaced.",
        )
        return Status.INVALID
    except UnsupportedAlgorithm as exc:
        res.add("signature", Status.UNKNOWN, exc.code, exc.message)
        return Status.UNKNOWN
    except CryptoError as exc:
        res.add(
            "signature",
            Status.INVALID,
            exc.code,
            f"The signature of {FILE} could not be checked: {exc.message}",
        )
        return Status.INVALID
    res.add(
        "signature",
        Status.VALID,
        "ok",
        f"{FILE} is signed by its document signer.",
        algorithm=check.scheme.kind,
        hash=check.scheme.hash,
    )
    return Status.VALID
