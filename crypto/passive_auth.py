"""Passive authentication (ICAO Doc 9303-11 §5.1): the recipe.

(EF.SOD, DG bytes, trust store, time) -> checks. Steps, each recorded as a
``Check`` and never thrown:

1. ``sod.parse``       EF.SOD is CMS SignedData over an LDSSecurityObject.
2. ``sod.signature``   the SignerInfo verifies with the DSC (from the SOD, or supplied).
3. ``dsc.key_usage``   the DSC is a document signer (digitalSignature, not a CA).
4. ``dsc.validity_at_signing``  the DSC at the signing time (below).
5. ``dsc.chain``       the DSC's signature verifies with a CSCA of the trust store, matched by
                       AKI/SKI first and issuer name second (via a link certificate if need be);
                       no CSCA found is ``unknown`` (``csca_unknown``), never ``invalid``.
6. ``csca.validity``   the CSCA at the signing time.
7. ``crl``             the CSCA's CRLs (signature checked); only stale ones -> ``unknown``.
8. ``country``         DG1's issuing state, the DSC's and the CSCA's country agree.
9. ``dg_hash.DGn``     every DG read equals its SOD hash; listed but not read -> not_performed;
                       read but not listed -> invalid (``dg_not_in_sod``).

10. currency          ``document_expiry`` (DG1/DG13's date, when given), ``dsc_expiry`` and
                       ``csca_expiry``: are they expired *today* (``at``)? Reported apart.

Authenticity is judged at the signing time: the SOD's signingTime attribute,
or the DSC's notBefore when there is none, and never later than ``at`` (now).
A genuine document whose DSC has expired since is ``valid`` (and ``expired``
in ``document_currency``): ICAO sizes a DSC's validity to the documents it
signs, so every expired document has an expired signer. Revocation is judged
at ``at``: a revoked signer vouches for nothing. signingTime is a signed
attribute, so it counts only with a signature that verifies; a signer key that
leaked (and could backdate) is what revocation is for.

Overall verdicts (``PassiveAuthResult.status``, ``.currency``): the rules
live in ``crypto.verdicts``.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from asn1crypto import cms as _cms

from crypto import cms, verdicts
from crypto.certs import Certificate
from crypto.countries import alpha2
from crypto.crl import CRL
from crypto.errors import (
    MAX_OBJECT,
    CryptoError,
    InvalidSignature,
    UnsupportedAlgorithm,
    check_size,
)
from crypto.report import Check, Status
from crypto.sod import EFSOD
from crypto.truststore import TrustStore

V, X, U, N = Status.VALID, Status.INVALID, Status.UNKNOWN, Status.NOT_PERFORMED  # X: invalid


@dataclass
class PassiveAuthResult:
    checks: list[Check] = field(default_factory=list)
    status: Status = N
    sod: EFSOD | None = None
    dsc: Certificate | None = None
    csca: Certificate | None = None
    signature_valid: bool = False  # the SOD's signature verified with the DSC
    judged_at: datetime | None = None  # the time authenticity was judged at (see module)
    currency: verdicts.Currency = verdicts.Currency.UNKNOWN

    def add(self, name: str, status: Status, code: str, message: str, **details: Any) -> Check:
        check = Check(name, status, code, message, details)
        self.checks.append(check)
        return check

    def get(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    def dg_status(self, number: int) -> Status:
        check = self.get(f"dg_hash.DG{number}")
        return check.status if check else N

    def dg_authenticated(self, number: int) -> bool:
        """DGn's bytes match a SOD that passive authentication proved genuine (what AA/CA need).

        A SOD whose signature verifies but whose signer does not chain to a trusted
        CSCA vouches for nothing: anyone can sign a SOD for a cloned chip's own key.
        """
        return self.status is V and self.dg_status(number) is V


def _aware(at: datetime | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def verify(
    sod: EFSOD | bytes | None,
    dgs: dict[int, bytes],
    trust_store: TrustStore | None,
    *,
    at: datetime | None = None,
    dsc: Certificate | bytes | None = None,
    issuing_state: str | None = None,
    not_read: dict[int, str] | None = None,
    extra_certs: list[Certificate] | None = None,
    document_expiry: date | None = None,
) -> PassiveAuthResult:
    """Run passive authentication. ``dgs`` maps DG number to the bytes exactly as read;
    ``not_read`` maps DG number to a reason code for DGs the reader could not read;
    ``issuing_state`` is DG1's (three letters, as in the MRZ); ``at`` is "now" (default the
    clock); ``document_expiry`` the expiry date printed in DG1/DG13, for ``document_expiry``."""
    at = _aware(at)
    res = PassiveAuthResult()
    try:
        _run(res, sod, dgs, trust_store, at, dsc, issuing_state, not_read, extra_certs)
    finally:
        _currency(res, at, document_expiry)
        res.status = verdicts.passive_authentication(res.checks)
        res.currency = verdicts.document_currency(res.checks)
    return res


def _run(
    res: PassiveAuthResult,
    sod: EFSOD | bytes | None,
    dgs: dict[int, bytes],
    trust_store: TrustStore | None,
    at: datetime,
    dsc: Certificate | bytes | None,
    issuing_state: str | None,
    not_read: dict[int, str] | None,
    extra_certs: list[Certificate] | None,
) -> None:
    # 1. parse -----------------------------------------------------------
    if sod is None:
        res.add(
            "sod.parse", N, "sod_missing", "The document security object (EF.SOD) was not read."
        )
        _dg_hashes(res, None, dgs, not_read or {})
        return
    if not isinstance(sod, EFSOD):
        try:
            check_size(sod, MAX_OBJECT, "EF.SOD")
            sod = EFSOD.from_bytes(sod)
        except CryptoError as exc:  # DecodeError and the reader's ParseError included
            res.add(
                "sod.parse",
                X,
                "sod_malformed",
                "The document security object (EF.SOD) is malformed.",
                error=exc.message,
            )
            _dg_hashes(res, None, dgs, not_read or {})
            return
    res.sod = sod
    res.add(
        "sod.parse",
        V,
        "ok_with_warnings" if sod.warnings else "ok",
        "The document security object is well-formed.",
        hash_algorithm=sod.hash_algorithm,
        lds_security_object_version=sod.version,
        lds_version=sod.lds_version,
        data_groups=sod.data_group_numbers,
        warnings=list(sod.warnings),
    )
    # 2. DSC and SOD signature ---------------------------------------------
    signer_info = sod.signer_infos[0]
    try:
        embedded = cms.embedded_certificates(sod.signed_data)
    except CryptoError as exc:
        embedded = []
        res.add(
            "sod.certificates",
            X,
            "certificate_malformed",
            "A certificate inside EF.SOD is malformed.",
            error=exc.message,
        )
    if isinstance(dsc, (bytes, bytearray)):
        try:
            dsc = Certificate.from_bytes(dsc)
        except CryptoError as exc:
            # A damaged side file proves nothing about the document: the DSC inside EF.SOD may
            # still serve.
            res.add(
                "dsc.parse",
                U,
                "certificate_malformed",
                "The supplied DSC is malformed and was ignored.",
                error=exc.message,
            )
            dsc = None
    candidates = ([dsc] if dsc is not None else []) + embedded
    try:
        signer = cms.find_signer(signer_info, candidates) if candidates else None
    except CryptoError as exc:
        res.add(
            "sod.signer",
            X,
            exc.code,
            "The document security object names its signer in a malformed way.",
            error=exc.message,
        )
        signer = None
    if signer is None and dsc is not None:
        signer = dsc
    res.dsc = signer
    if signer is None:
        res.add(
            "sod.signature",
            N,
            "dsc_missing",
            "The document signer certificate is neither in EF.SOD nor supplied.",
        )
    else:
        _signature(res, sod, signer_info, signer)
    signing_time = cms.signing_time(signer_info)
    if signer is not None:
        judged_at = _judged_at(signer, at, signing_time)
        res.judged_at = judged_at
        _dsc_checks(res, signer, judged_at, signing_time)
        _chain(res, signer, trust_store, at, judged_at, embedded + list(extra_certs or []))
    else:
        res.add(
            "dsc.chain",
            N,
            "dsc_missing",
            "Without a document signer certificate the chain cannot be checked.",
        )
    _country(res, issuing_state)
    # 9. DG hashes ----------------------------------------------------------
    _dg_hashes(res, sod, dgs, not_read or {})


def _judged_at(dsc: Certificate, at: datetime, signing_time: datetime | None) -> datetime:
    """When authenticity is judged: signingTime, else the DSC's notBefore; never after ``at``."""
    when = signing_time if signing_time is not None else dsc.not_before
    return min(when, at)


def _signature(
    res: PassiveAuthResult, sod: EFSOD, signer_info: _cms.SignerInfo, signer: Certificate
) -> None:
    try:
        check = cms.verify_signer_info(sod.signed_data, signer_info, signer.public_key)
    except InvalidSignature as exc:
        codes = {
            "signature_invalid": "The document security object's signature is invalid.",
            "message_digest_mismatch": "The signed hash list does not match its message digest.",
            "content_type_mismatch": "The signed content type does not match the content.",
        }
        res.add(
            "sod.signature", X, exc.code, codes.get(exc.code, exc.message), dsc=signer.subject_text
        )
        return
    except UnsupportedAlgorithm as exc:
        res.add("sod.signature", U, exc.code, exc.message)
        return
    except CryptoError as exc:
        res.add(
            "sod.signature", X, exc.code, f"The SOD signature could not be checked: {exc.message}"
        )
        return
    res.signature_valid = True
    res.add(
        "sod.signature",
        V,
        "ok",
        "The document security object is signed by its document signer.",
        algorithm=check.scheme.kind,
        hash=check.scheme.hash,
        key=signer.public_key.description,
        dsc=signer.subject_text,
        signing_time=check.signing_time.isoformat() if check.signing_time else None,
    )


def _dsc_checks(
    res: PassiveAuthResult, dsc: Certificate, judged_at: datetime, signing_time: datetime | None
) -> None:
    if dsc.is_ca or (dsc.key_usage and "digital_signature" not in dsc.key_usage):
        res.add(
            "dsc.key_usage",
            X,
            "dsc_key_usage",
            "The document signer certificate is not allowed to sign documents.",
            key_usage=sorted(dsc.key_usage),
            ca=dsc.is_ca,
        )
    else:
        res.add(
            "dsc.key_usage",
            V,
            "ok",
            "The document signer certificate allows document signing.",
            key_usage=sorted(dsc.key_usage),
        )
    window = {
        "not_before": dsc.not_before.isoformat(),
        "not_after": dsc.not_after.isoformat(),
        "judged_at": judged_at.isoformat(),
    }
    if signing_time is None and dsc.valid_at(judged_at):
        res.add(
            "dsc.validity_at_signing",
            N,
            "no_signing_time",
            "The SOD does not say when it was signed; its signer is judged at its start date.",
            **window,
        )
    elif dsc.valid_at(judged_at):
        res.add(
            "dsc.validity_at_signing",
            V,
            "ok",
            "The document signer certificate was valid at signing.",
            signing_time=signing_time.isoformat() if signing_time else None,
            **window,
        )
    elif signing_time is None or judged_at < signing_time:
        # Judged now (before the DSC's start, or before a signing time in the future).
        res.add(
            "dsc.validity_at_signing",
            X,
            "dsc_not_yet_valid",
            "The document signer certificate is not valid yet.",
            signing_time=signing_time.isoformat() if signing_time else None,
            **window,
        )
    else:
        res.add(
            "dsc.validity_at_signing",
            X,
            "dsc_invalid_at_signing",
            "The document was signed outside its signer certificate's validity.",
            signing_time=signing_time.isoformat(),
            **window,
        )


def _expiry(
    res: PassiveAuthResult, name: str, who: str, cert: Certificate | None, at: datetime
) -> None:
    """``dsc_expiry`` / ``csca_expiry``: the certificate today, apart from authenticity."""
    label = {"dsc": "document signer", "csca": "CSCA"}[who]
    if cert is None:
        res.add(
            name,
            N,
            f"{who}_missing" if who == "dsc" else "csca_unknown",
            f"There is no {label} certificate to date.",
        )
        return
    window = {"not_before": cert.not_before.isoformat(), "not_after": cert.not_after.isoformat()}
    if at > cert.not_after:
        res.add(
            name,
            X,
            f"{who}_expired_now",
            f"The {label} certificate has expired since (authenticity is judged at signing).",
            at=at.isoformat(),
            **window,
        )
    elif at < cert.not_before:
        res.add(
            name,
            U,
            f"{who}_not_yet_valid_now",
            f"The {label} certificate is not valid yet.",
            at=at.isoformat(),
            **window,
        )
    else:
        res.add(
            name,
            V,
            "ok",
            f"The {label} certificate is within its validity today.",
            at=at.isoformat(),
            **window,
        )


# ``document_expiry`` for a document that never expires (MRZ date ``<<<<<<``: CCCD holders
# over 60).
NO_EXPIRY = date.max


def _currency(res: PassiveAuthResult, at: datetime, document_expiry: date | None) -> None:
    if document_expiry == NO_EXPIRY:
        res.add("document_expiry", V, "no_expiry", "The document does not expire.")
    elif document_expiry is None:
        res.add(
            "document_expiry",
            N,
            "document_expiry_unknown",
            "The document's expiry date was not read.",
        )
    elif at.date() > document_expiry:
        res.add(
            "document_expiry",
            X,
            "document_expired",
            "The document has expired.",
            expiry=document_expiry.isoformat(),
        )
    else:
        res.add(
            "document_expiry",
            V,
            "ok",
            "The document has not expired.",
            expiry=document_expiry.isoformat(),
        )
    _expiry(res, "dsc_expiry", "dsc", res.dsc, at)
    _expiry(res, "csca_expiry", "csca", res.csca, at)


def _verified(store: TrustStore | None, child: Certificate, issuer: Certificate) -> bool:
    if store is not None and store.verified_before(child, issuer):
        return True
    try:
        child.verify_signed_by(issuer)
    except CryptoError:
        return False
    if store is not None:
        store.remember_verified(child, issuer)
    return True


def _find_path(
    store: TrustStore, cert: Certificate, extra: list[Certificate], depth: int = 0
) -> tuple[list[Certificate], bool]:
    """(path to an anchor, any candidate found). Anchors come from the store; ``extra`` CA
    certificates (link certificates, untrusted) may bridge one step to an anchor."""
    named = store.issuers_of(cert)
    for csca in named:
        if _verified(store, cert, csca):
            return [csca], True
    found = bool(named)
    if depth < 2:
        for link in extra:
            if (
                not link.is_ca
                or link.fingerprint == cert.fingerprint
                or not cert.may_be_issued_by(link)
            ):
                continue
            found = True
            if _verified(None, cert, link):
                path, _ = _find_path(store, link, [e for e in extra if e is not link], depth + 1)
                if path:
                    return [link, *path], True
    return [], found


def _chain(
    res: PassiveAuthResult,
    dsc: Certificate,
    store: TrustStore | None,
    at: datetime,
    judged_at: datetime,
    extra: list[Certificate],
) -> None:
    if store is None or len(store) == 0:
        res.add(
            "dsc.chain",
            U,
            "csca_unknown",
            "Signed by an unknown CSCA: the trust store is empty.",
            dsc_issuer=dsc.issuer_text,
        )
        return
    path, found = _find_path(store, dsc, extra)
    if not path:
        by_key_id = dsc.aki is not None and any(c.ski == dsc.aki for c in store.issuers_of(dsc))
        if found and not by_key_id:
            # Matched by name only: the CSCA may have a newer key the store lacks.
            res.add(
                "dsc.chain",
                U,
                "csca_key_unknown",
                "A CSCA of that name is trusted, but not the key that signed this document signer "
                "(perhaps a newer CSCA key is missing from the trust store).",
                dsc_issuer=dsc.issuer_text,
            )
        elif found:
            res.add(
                "dsc.chain",
                X,
                "dsc_signature_invalid",
                "The document signer certificate's signature does not verify with the CSCA it "
                "names.",
                dsc_issuer=dsc.issuer_text,
            )
        else:
            res.add(
                "dsc.chain",
                U,
                "csca_unknown",
                "Signed by an unknown CSCA: the issuing country's CSCA is not in the trust store.",
                dsc_issuer=dsc.issuer_text,
                aki=dsc.aki.hex() if dsc.aki else None,
            )
        return
    csca = path[-1]
    res.csca = csca
    res.add(
        "dsc.chain",
        V,
        "ok",
        "The document signer certificate chains to a trusted CSCA.",
        csca=csca.subject_text,
        csca_role=csca.role.value,
        via=[c.subject_text for c in path[:-1]],
        csca_fingerprint_sha256=csca.fingerprint,
    )
    window = {
        "not_before": csca.not_before.isoformat(),
        "not_after": csca.not_after.isoformat(),
        "judged_at": judged_at.isoformat(),
    }
    if judged_at < csca.not_before:
        res.add(
            "csca.validity",
            X,
            "csca_not_yet_valid",
            "The CSCA certificate was not valid yet when the document was signed.",
            **window,
        )
    elif judged_at > csca.not_after:
        res.add(
            "csca.validity",
            X,
            "csca_expired",
            "The CSCA certificate had expired when the document was signed.",
            **window,
        )
    else:
        res.add(
            "csca.validity",
            V,
            "ok",
            "The CSCA certificate was valid when the document was signed.",
            **window,
        )
    _crl(res, dsc, path[0], store, at)


def _crl(
    res: PassiveAuthResult, dsc: Certificate, issuer: Certificate, store: TrustStore, at: datetime
) -> None:
    crls = store.crls_for(issuer)
    if not crls:
        res.add("crl", N, "crl_absent", "No revocation list from this CSCA is in the trust store.")
        return
    good = [c for c in crls if _crl_signed(c, issuer)]
    if not good:
        res.add(
            "crl",
            U,
            "crl_signature_invalid",
            "The CSCA's revocation list does not verify, so it was not used.",
        )
        return
    fresh = [c for c in good if not c.is_stale(at) and c.this_update <= at]
    if not fresh:
        latest = max(good, key=lambda c: c.this_update)
        res.add(
            "crl",
            U,
            "crl_stale",
            "The CSCA's revocation list is out of date, so revocation is unknown.",
            next_update=latest.next_update.isoformat() if latest.next_update else None,
        )
        return
    for crl in fresh:
        date = crl.revocation_date(dsc.serial_number)
        if date is not None and date <= at:
            res.add(
                "crl",
                X,
                "dsc_revoked",
                "The document signer certificate has been revoked.",
                revoked_at=date.isoformat(),
            )
            return
    latest = max(fresh, key=lambda c: c.this_update)
    res.add(
        "crl",
        V,
        "not_revoked",
        "The document signer certificate is not revoked.",
        this_update=latest.this_update.isoformat(),
        next_update=latest.next_update.isoformat() if latest.next_update else None,
    )


def _crl_signed(crl: CRL, issuer: Certificate) -> bool:
    try:
        crl.verify_signed_by(issuer)
        return True
    except CryptoError:
        return False


def _country(res: PassiveAuthResult, issuing_state: str | None) -> None:
    codes = {}
    if issuing_state:
        codes["DG1"] = alpha2(issuing_state) or issuing_state.replace("<", "")
    if res.dsc is not None and res.dsc.country:
        codes["DSC"] = res.dsc.country
    if res.csca is not None and res.csca.country:
        codes["CSCA"] = res.csca.country
    if len(codes) < 2:
        res.add(
            "country",
            N,
            "country_not_compared",
            "There are not two country codes to compare.",
            **codes,
        )
    elif len(set(codes.values())) == 1:
        res.add("country", V, "ok", "The issuing state matches the signing country.", **codes)
    else:
        res.add(
            "country",
            X,
            "country_mismatch",
            "The issuing state does not match the country of the signing certificates.",
            **codes,
        )


def _dg_hashes(
    res: PassiveAuthResult, sod: EFSOD | None, dgs: dict[int, bytes], not_read: dict[int, str]
) -> None:
    listed = sod.dg_hashes if sod is not None else {}
    for n in sorted(set(listed) | set(dgs) | (set(not_read) & set(listed))):
        name = f"dg_hash.DG{n}"
        if sod is None:
            res.add(name, N, "sod_unavailable", f"DG{n} cannot be checked without a valid EF.SOD.")
        elif n not in listed:
            # Not tampering with signed data, but nothing vouches for this file: unknown,
            # never valid.
            res.add(
                name,
                U,
                "dg_not_in_sod",
                f"DG{n} was read but the SOD does not list it, so it is not vouched for.",
            )
        elif n not in dgs:
            res.add(
                name,
                N,
                "dg_not_read",
                f"DG{n} is listed in the SOD but was not read.",
                reason=not_read.get(n, "not_read"),
            )
        else:
            try:
                actual = hashlib.new(sod.hash_algorithm, dgs[n]).digest()
            except (ValueError, TypeError):
                res.add(
                    name,
                    U,
                    "unsupported_algorithm",
                    f"The SOD's hash algorithm {sod.hash_algorithm} is unknown.",
                )
                continue
            if hmac.compare_digest(actual, listed[n]):
                res.add(
                    name,
                    V,
                    "ok",
                    f"DG{n} matches its hash in the SOD.",
                    algorithm=sod.hash_algorithm,
                )
            else:
                res.add(
                    name,
                    X,
                    "dg_hash_mismatch",
                    f"DG{n} does not match its hash in the SOD: it was altered.",
                    algorithm=sod.hash_algorithm,
                )
