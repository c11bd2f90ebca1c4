"""The ICAO key derivation function (Doc 9303-11 §9.7.1) and DES key parity.

K = H(K_seed || c), c a 32-bit big-endian counter: 1 for K_enc, 2 for K_mac,
3 for PACE's K_pi. SHA-1 serves 3DES and AES-128, SHA-256 AES-192/256.
"""

from __future__ import annotations

import hashlib

ENC = 1
MAC = 2
PI = 3

# cipher name -> (hash, key length in bytes)
_CIPHERS = {
    "3DES": ("sha1", 16),
    "AES-128": ("sha1", 16),
    "AES-192": ("sha256", 24),
    "AES-256": ("sha256", 32),
}


def adjust_parity(key: bytes) -> bytes:
    """Set each byte's low bit so the byte has odd parity, as DES keys want."""
    out = bytearray(key)
    for i, b in enumerate(out):
        hi = b & 0xFE
        out[i] = hi | ((bin(hi).count("1") + 1) & 1)
    return bytes(out)


def kdf(seed: bytes, counter: int, cipher: str = "3DES") -> bytes:
    """Derive a key of the cipher's length from a shared secret or key seed."""
    try:
        hash_name, length = _CIPHERS[cipher]
    except KeyError:
        raise ValueError(f"unknown cipher {cipher!r}") from None
    digest = hashlib.new(hash_name, seed + counter.to_bytes(4, "big")).digest()[:length]
    return adjust_parity(digest) if cipher == "3DES" else digest


def kdf_enc(seed: bytes, cipher: str = "3DES") -> bytes:
    return kdf(seed, ENC, cipher)


def kdf_mac(seed: bytes, cipher: str = "3DES") -> bytes:
    return kdf(seed, MAC, cipher)


def kdf_pi(seed: bytes, cipher: str = "3DES") -> bytes:
    return kdf(seed, PI, cipher)
