"""Active Authentication verification (ICAO Doc 9303-11 §6.1).

The chip signs the terminal's 8-byte challenge with the private key whose
public key is in DG15. RSA: ISO/IEC 9796-2 digital signature scheme 1
(message recovery), header ``6A`` (partial recovery) or ``4A`` (full), trailer
``BC`` (SHA-1 implicit) or ``xx CC`` naming the hash (``38`` SHA-224, ``34``
SHA-256, ``36`` SHA-384, ``35`` SHA-512; ``33`` SHA-1). The recovered
message may come out shorter than the modulus (leading zero bytes) and must
still verify. ECDSA: plain ``r || s`` or DER, over the challenge, with the hash
named by DG14's ActiveAuthenticationInfo.

``verify()`` returns nothing and raises ``InvalidSignature``; ``check()`` turns
a read outcome into a report ``Check`` gated on DG15's hash.
"""

from __future__ import annotations

import hashlib
import hmac

from crypto.errors import CryptoError, InvalidSignature, UnsupportedAlgorithm
from crypto.keys import PublicKey, SignatureScheme, hash_for
from crypto.report import Check, Status

# ISO/IEC 10118-3 hash identifiers in the two-byte trailer xx CC.
TRAILER_HASHES = {0x33: "sha1", 0x38: "sha224", 0x34: "sha256", 0x36: "sha384", 0x35: "sha512"}
HASH_TRAILERS = {v: k for k, v in TRAILER_HASHES.items()}


def recover_9796_2(key: PublicKey, signature: bytes) -> tuple[bytes, bytes, str, bool]:
    """(M1, digest, hash name, partial) from an ISO/IEC 9796-2 scheme 1 signature."""
    numbers = key.rsa_public_key.public_numbers()
    s = int.from_bytes(signature, "big")
    if not 0 < s < numbers.n:
        raise InvalidSignature(
            "The Active Authentication signature is out of range.", code="aa_signature_invalid"
        )
    m = pow(s, numbers.e, numbers.n)
    # Leading zero bytes are not part of the representative: strip them by sizing to m itself.
    f = m.to_bytes((m.bit_length() + 7) // 8, "big")
    if len(f) < 3 or f[0] & 0xC0 != 0x40:
        raise InvalidSignature(
            "The Active Authentication signature does not recover an ISO/IEC 9796-2 message.",
            code="aa_signature_invalid",
        )
    partial = bool(f[0] & 0x20)
    if f[-1] == 0xBC:
        name, trailer = "sha1", 1
    elif f[-1] == 0xCC and f[-2] in TRAILER_HASHES:
        name, trailer = TRAILER_HASHES[f[-2]], 2
    else:
        raise InvalidSignature(
            "The Active Authentication signature has an unknown trailer.",
            code="aa_signature_invalid",
        )
    h_len = hash_for(name).digest_size
    # The header nibble: padding ends at the first nibble 'A' (0b1010) after the 2 header bits...
    # with no padding (the ICAO case) the first byte is 6A/4A and M1 starts right after it.
    start = 1
    if f[0] & 0x0F != 0x0A:
        # padding nibbles 'B' then a border 'A': skip to the byte after the border
        i = 0
        while i < len(f) and (f[i] & 0x0F) == 0x0B and (i == 0 or f[i] == 0xBB):
            i += 1
        if i >= len(f) or f[i] & 0x0F != 0x0A:
            raise InvalidSignature(
                "The Active Authentication signature padding is malformed.",
                code="aa_signature_invalid",
            )
        start = i + 1
    end = len(f) - trailer - h_len
    if end < start:
        raise InvalidSignature(
            "The Active Authentication signature is too short.", code="aa_signature_invalid"
        )
    return f[start:end], f[end : end + h_len], name, partial


def verify(
    key: PublicKey, challenge: bytes, signature: bytes, *, hash_name: str | None = None
) -> None:
    """Raise ``InvalidSignature`` (code ``aa_signature_invalid``) unless ``signature`` signs
    ``challenge``."""
    if key.algorithm == "rsa":
        m1, digest, name, _partial = recover_9796_2(key, signature)
        if not hmac.compare_digest(hashlib.new(name, m1 + challenge).digest(), digest):
            raise InvalidSignature(
                "The chip's Active Authentication signature does not match the challenge.",
                code="aa_signature_invalid",
            )
        return
    if hash_name is None:
        raise UnsupportedAlgorithm(
            "An ECDSA Active Authentication needs DG14's ActiveAuthenticationInfo "
            "to name the hash.",
            code="aa_hash_unknown",
        )
    try:
        key.verify(signature, challenge, SignatureScheme("ecdsa", hash_name))
    except InvalidSignature:
        raise InvalidSignature(
            "The chip's Active Authentication signature does not match the challenge.",
            code="aa_signature_invalid",
        ) from None


def check(
    *,
    performed: bool,
    challenge: bytes | None,
    signature: bytes | None,
    dg15: bytes | None,
    dg15_key_spki: bytes | None,
    dg15_authenticated: bool,
    dg15_hash_status: Status,
    hash_name: str | None = None,
    error: str | None = None,
) -> Check:
    """The ``active_authentication`` check of the report.

    Counts (valid/invalid) only when DG15 matched a SOD whose signature verified;
    a DG15 whose hash does not match makes the result invalid (``aa_key_hash_mismatch``).
    """
    name = "active_authentication"
    if not performed:
        if dg15 is None:
            return Check(
                name,
                Status.NOT_PERFORMED,
                "aa_not_supported",
                "The chip offers no Active Authentication.",
            )
        return Check(
            name,
            Status.NOT_PERFORMED,
            "aa_not_run",
            "Active Authentication was not run.",
            {"error": error} if error else {},
        )
    if challenge is None or signature is None:
        return Check(
            name,
            Status.INVALID,
            "aa_no_signature",
            "The chip did not answer the Active Authentication challenge.",
            {"error": error},
        )
    if dg15_key_spki is None:
        return Check(
            name, Status.UNKNOWN, "aa_key_missing", "DG15 with the chip's public key was not read."
        )
    if dg15_hash_status is Status.INVALID:
        return Check(
            name,
            Status.INVALID,
            "aa_key_hash_mismatch",
            "The Active Authentication key (DG15) does not match the document's security object.",
        )
    try:
        key = PublicKey.from_spki(dg15_key_spki)
        verify(key, challenge, signature, hash_name=hash_name)
    except InvalidSignature as exc:
        status = Status.INVALID if dg15_authenticated else Status.UNKNOWN
        return Check(name, status, exc.code, exc.message)
    except UnsupportedAlgorithm as exc:
        return Check(name, Status.UNKNOWN, exc.code, exc.message)
    except CryptoError as exc:
        return Check(
            name, Status.INVALID, "aa_key_invalid", f"The DG15 key cannot be used: {exc.message}"
        )
    details = {"key": key.description}
    if not dg15_authenticated:
        return Check(
            name,
            Status.UNKNOWN,
            "aa_key_not_authenticated",
            "The chip signed the challenge, but its key (DG15) is not vouched for by a valid "
            "security object.",
            details,
        )
    return Check(
        name, Status.VALID, "ok", "The chip proved it holds the key in DG15 (not a copy).", details
    )
