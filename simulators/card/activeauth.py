"""Active Authentication, card side (ICAO Doc 9303-11 section 6.1).

RSA: ISO/IEC 9796-2 digital signature scheme 1 with partial message recovery:
F = '6A' || M1 || H(M1 || challenge) || trailer, signature = F^d mod n.
The trailer is 'BC' for SHA-1 (implicit) or 'xxCC' naming the hash.
ECDSA: plain r || s over the hash of the challenge (hash from DG14).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from simulators.card.errors import SW_INS_NOT_SUPPORTED, SW_WRONG_LENGTH, SWError
from simulators.carddata import CardDataSet

RSA_TRAILERS = {
    "sha1": b"\xbc",
    "sha224": b"\x38\xcc",
    "sha256": b"\x34\xcc",
    "sha384": b"\x36\xcc",
    "sha512": b"\x35\xcc",
}
_EC_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


def sign_rsa_9796_2(
    key: rsa.RSAPrivateKey, challenge: bytes, hash_name: str, rng: Callable[[int], bytes]
) -> bytes:
    numbers = key.private_numbers()
    n, d = numbers.public_numbers.n, numbers.d
    k = (n.bit_length() + 7) // 8
    # The representative must stay below n: use one byte less when n has spare top bits.
    size = k if n.bit_length() % 8 == 0 else k - 1
    trailer = RSA_TRAILERS[hash_name]
    h_len = hashlib.new(hash_name).digest_size
    m1 = rng(size - h_len - len(trailer) - 1)
    digest = hashlib.new(hash_name, m1 + challenge).digest()
    f = b"\x6a" + m1 + digest + trailer
    return pow(int.from_bytes(f, "big"), d, n).to_bytes(k, "big")


def sign_ecdsa_plain(key: ec.EllipticCurvePrivateKey, challenge: bytes, hash_name: str) -> bytes:
    # Deterministic (RFC 6979) so that a run replays byte for byte.
    der = key.sign(challenge, ec.ECDSA(_EC_HASHES[hash_name](), deterministic_signing=True))
    r, s = decode_dss_signature(der)
    size = (key.curve.key_size + 7) // 8
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


class ActiveAuthChip:
    def __init__(
        self,
        dataset: CardDataSet,
        rng: Callable[[int], bytes],
        *,
        rsa_hash: str = "sha1",
        wrong: bool = False,
    ) -> None:
        if rsa_hash not in RSA_TRAILERS:
            raise ValueError(f"unknown AA hash {rsa_hash}")
        self.key = dataset.aa_private_key
        self.ec_hash = dataset.aa_hash or "sha256"
        self.rsa_hash = rsa_hash
        self.rng = rng
        self.wrong = wrong  # fault 'aa-wrong': sign a different challenge

    def internal_authenticate(self, challenge: bytes) -> bytes:
        if self.key is None:
            raise SWError(SW_INS_NOT_SUPPORTED, "the chip has no Active Authentication key")
        if len(challenge) != 8:
            raise SWError(SW_WRONG_LENGTH, "AA challenge must be 8 bytes")
        if self.wrong:
            challenge = bytes(b ^ 0x5A for b in challenge)
        if isinstance(self.key, rsa.RSAPrivateKey):
            return sign_rsa_9796_2(self.key, challenge, self.rsa_hash, self.rng)
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            return sign_ecdsa_plain(self.key, challenge, self.ec_hash)
        raise SWError(SW_INS_NOT_SUPPORTED, "unsupported Active Authentication key")
