"""CMS SignedData signature verification (RFC 5652 §5.4, ICAO Doc 9303-10/-12).

Shared by the SOD and by master lists. With signedAttrs present, the
signature covers the DER of the attributes re-tagged from ``[0] IMPLICIT``
to ``SET OF``; the messageDigest attribute must equal the hash of the
eContent and the contentType attribute the eContentType. The signature
algorithm comes from the SignerInfo (RSASSA-PSS with its parameters); a plain
``rsaEncryption`` takes its hash from the SignerInfo's digestAlgorithm.
BER (indefinite lengths) is accepted as asn1crypto parses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from asn1crypto import cms as _cms
from asn1crypto import core as _core

from crypto import der
from crypto.certs import Certificate, name_key
from crypto.errors import CryptoError, InvalidSignature, MalformedError, UnsupportedAlgorithm
from crypto.keys import PublicKey, SignatureScheme, digest

_LOW_LEVEL = der.LOW_LEVEL


def load_signed_data(der: bytes, what: str = "signed object") -> _cms.SignedData:
    """The SignedData inside a ContentInfo, parsed far enough to fail here if malformed."""
    try:
        info = _cms.ContentInfo.load(bytes(der))
        if info["content_type"].native != "signed_data":
            raise MalformedError(f"The {what} is not CMS SignedData.", code="cms_malformed")
        sd = info["content"]
        sd["encap_content_info"]["content_type"].dotted  # noqa: B018 - parse now, not later
        if len(sd["signer_infos"]) == 0:
            raise MalformedError(f"The {what} has no signer.", code="cms_malformed")
        return sd
    except CryptoError:
        raise
    except _LOW_LEVEL as exc:
        raise MalformedError(
            f"The {what} is not well-formed CMS ({type(exc).__name__}).", code="cms_malformed"
        ) from None


def econtent(sd: _cms.SignedData) -> bytes:
    content = sd["encap_content_info"]["content"]
    if content.native is None:
        raise MalformedError("The signed object carries no content.", code="cms_malformed")
    return bytes(content)


def econtent_type(sd: _cms.SignedData) -> str:
    return str(sd["encap_content_info"]["content_type"].dotted)


def embedded_certificates(sd: _cms.SignedData) -> list[Certificate]:
    out = []
    for choice in sd["certificates"] or []:
        if choice.name == "certificate":
            out.append(_parsed_certificate(choice.chosen.dump()))
    return out


@lru_cache(maxsize=512)
def _parsed_certificate(der: bytes) -> Certificate:
    # A kiosk sees the same few document signers over and over (one per batch of
    # cards): parsing each DSC once saves a third of passive authentication's time.
    return Certificate.from_bytes(der)


def find_signer(
    si: _cms.SignerInfo, candidates: list[Certificate], *, file: str = "EF.SOD"
) -> Certificate | None:
    """The certificate a SignerInfo names, by issuer+serial (names order-insensitive) or SKI.

    Raises ``DecodeError`` when the SignerInfo's identifier is malformed."""
    with der.decoding(file, "signer_identifier", "The signer's identifier"):
        sid = si["sid"]
        if sid.name == "issuer_and_serial_number":
            issuer = name_key(sid.chosen["issuer"])
            serial = int(sid.chosen["serial_number"].native)
            for cert in candidates:
                if cert.serial_number == serial and cert.issuer == issuer:
                    return cert
            return None
        ski = sid.chosen.native
        return next((c for c in candidates if c.ski == ski), None)


def signing_time(si: _cms.SignerInfo) -> datetime | None:
    """The signingTime attribute; ``None`` when absent or undecodable (parsers of EF.SOD and
    of master lists decode it up front, so a malformed one has been reported there)."""
    try:
        attrs = si["signed_attrs"]
        if not isinstance(attrs, _core.SetOf):
            return None
        for attr in attrs:
            if attr["type"].dotted == "1.2.840.113549.1.9.5":
                value = attr["values"][0].native
                return value if isinstance(value, datetime) else None
    except _LOW_LEVEL:
        return None
    return None


@dataclass(frozen=True)
class SignerCheck:
    """What ``verify_signer_info`` established (only returned when the signature verifies)."""

    scheme: SignatureScheme
    digest_algorithm: str
    signing_time: datetime | None
    signed_attrs: bool


def _signed_attrs_der(si: _cms.SignerInfo) -> bytes:
    attrs = si["signed_attrs"]
    contents = attrs.contents
    if not attrs._trailer:  # definite length: re-tag the bytes exactly as they were signed
        n = len(contents)
        length = (
            bytes([n])
            if n < 0x80
            else bytes([0x80 | ((n.bit_length() + 7) // 8)])
            + n.to_bytes((n.bit_length() + 7) // 8, "big")
        )
        return b"\x31" + length + bytes(contents)
    # BER on the outside: re-encode as DER, sorted (what the signer must have signed)
    return bytes(_cms.CMSAttributes.load(b"\x31\x80" + contents + b"\x00\x00").dump(force=True))


def verify_signer_info(sd: _cms.SignedData, si: _cms.SignerInfo, key: PublicKey) -> SignerCheck:
    """Raise ``InvalidSignature`` (code says which part) unless ``key`` signed ``sd``'s content.

    Codes: ``message_digest_mismatch``, ``content_type_mismatch``,
    ``signed_attrs_missing_digest``, ``signature_invalid``.
    """
    try:
        digest_alg = si["digest_algorithm"]["algorithm"].native
        scheme = SignatureScheme.from_algorithm(si["signature_algorithm"], digest_alg)
        content = econtent(sd)
        ctype = econtent_type(sd)
        attrs = si["signed_attrs"]
        signature = si["signature"].native
        has_attrs = isinstance(attrs, _core.SetOf) and len(attrs) > 0
        if has_attrs:
            message_digest = content_type = None
            for attr in attrs:
                kind = attr["type"].native
                if kind == "message_digest":
                    message_digest = attr["values"][0].native
                elif kind == "content_type":
                    content_type = attr["values"][0].dotted
            if message_digest is None:
                raise InvalidSignature(
                    "The signed attributes hold no message digest.",
                    code="signed_attrs_missing_digest",
                )
            if message_digest != digest(digest_alg, content):
                raise InvalidSignature(
                    "The signed content does not match its message digest.",
                    code="message_digest_mismatch",
                )
            if content_type is not None and content_type != ctype:
                raise InvalidSignature(
                    "The signed content type differs from the content's type.",
                    code="content_type_mismatch",
                )
            signed = _signed_attrs_der(si)
        else:
            signed = content
    except (CryptoError, UnsupportedAlgorithm):
        raise
    except _LOW_LEVEL as exc:
        raise MalformedError(
            f"The signer information is malformed ({type(exc).__name__}).", code="cms_malformed"
        ) from None
    key.verify(signature, signed, scheme)
    return SignerCheck(scheme, digest_alg, signing_time(si) if has_attrs else None, has_attrs)
