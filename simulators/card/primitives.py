"""The card's own symmetric primitives (ICAO Doc 9303-11 sections 9.7-9.8).

ICAO KDF, ISO/IEC 9797-1 padding method 2, 3DES-CBC and retail MAC
(ISO/IEC 9797-1 MAC algorithm 3), AES-CBC and AES-CMAC. Written for the card
side only: the terminal side has its own, so neither can hide the other's bug.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import cmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

# KDF counters (9303-11 9.7.1).
KDF_ENC = 1
KDF_MAC = 2
KDF_PI = 3


def pad(data: bytes, block: int) -> bytes:
    """ISO/IEC 9797-1 padding method 2: 0x80 then zeros to a whole block."""
    data += b"\x80"
    return data + bytes(-len(data) % block)


def unpad(data: bytes) -> bytes:
    """Remove method-2 padding; raises ValueError when there is none."""
    stripped = data.rstrip(b"\x00")
    if not stripped or stripped[-1] != 0x80:
        raise ValueError("no ISO/IEC 9797-1 method 2 padding")
    return stripped[:-1]


def _adjust_parity(key: bytes) -> bytes:
    # DES keys carry odd parity in each byte's low bit; ICAO worked examples show adjusted keys.
    return bytes((b & 0xFE) | ((bin(b >> 1).count("1") + 1) & 1) for b in key)


def kdf(secret: bytes, counter: int, cipher: str, key_bits: int = 128) -> bytes:
    """ICAO KDF: hash(secret || counter(4)) truncated to the key length.

    3DES: SHA-1, 16 bytes, parity adjusted; AES-128: SHA-1; AES-192/256: SHA-256.
    """
    data = secret + counter.to_bytes(4, "big")
    if cipher == "3DES":
        return _adjust_parity(hashlib.sha1(data).digest()[:16])
    if key_bits == 128:
        return hashlib.sha1(data).digest()[:16]
    return hashlib.sha256(data).digest()[: key_bits // 8]


def _tdes(key: bytes) -> TripleDES:
    # Two-key 3DES as a 24-byte key K1 K2 K1 (cryptography deprecates 16-byte keys).
    return TripleDES(key[:16] + key[:8] if len(key) == 16 else key)


def tdes_cbc_encrypt(key: bytes, data: bytes, iv: bytes = bytes(8)) -> bytes:
    enc = Cipher(_tdes(key), modes.CBC(iv)).encryptor()
    return enc.update(data) + enc.finalize()


def tdes_cbc_decrypt(key: bytes, data: bytes, iv: bytes = bytes(8)) -> bytes:
    dec = Cipher(_tdes(key), modes.CBC(iv)).decryptor()
    return dec.update(data) + dec.finalize()


def retail_mac(key: bytes, data: bytes) -> bytes:
    """ISO/IEC 9797-1 MAC algorithm 3 with DES (the caller pads the data)."""
    if len(data) % 8 or not data:
        raise ValueError("retail MAC input must be whole 8-byte blocks")
    ka, kb = key[:8], key[8:16]
    # Single-DES CBC under Ka over all blocks but the last (DES = 3DES with K1=K2=K3).
    h = bytes(8)
    if len(data) > 8:
        h = tdes_cbc_encrypt(ka * 3, data[:-8])[-8:]
    last = bytes(a ^ b for a, b in zip(data[-8:], h, strict=True))
    # Final block: E_Ka(D_Kb(E_Ka(x))) is exactly 3DES-EDE with (Ka, Kb, Ka).
    return tdes_cbc_encrypt(ka + kb + ka, last)


def aes_cbc_encrypt(key: bytes, data: bytes, iv: bytes = bytes(16)) -> bytes:
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return enc.update(data) + enc.finalize()


def aes_cbc_decrypt(key: bytes, data: bytes, iv: bytes = bytes(16)) -> bytes:
    dec = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return dec.update(data) + dec.finalize()


def aes_ecb_encrypt(key: bytes, block: bytes) -> bytes:
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return enc.update(block) + enc.finalize()


def aes_cmac(key: bytes, data: bytes) -> bytes:
    """Full 16-byte AES-CMAC (SP 800-38B); ICAO truncates it to 8 bytes."""
    c = cmac.CMAC(algorithms.AES(key))
    c.update(data)
    return c.finalize()


class CipherSuite:
    """One SM cipher: 3DES (8-byte blocks and SSC) or AES-128/192/256 (16)."""

    def __init__(self, cipher: str, key_bits: int = 128):
        if cipher not in ("3DES", "AES"):
            raise ValueError(f"unknown cipher {cipher}")
        self.cipher = cipher
        self.key_bits = 128 if cipher == "3DES" else key_bits
        self.block = 8 if cipher == "3DES" else 16

    def __repr__(self) -> str:
        return f"CipherSuite({self.cipher}-{self.key_bits})"

    def derive(self, secret: bytes, counter: int) -> bytes:
        return kdf(secret, counter, self.cipher, self.key_bits)

    def encrypt(self, key: bytes, data: bytes, iv: bytes | None = None) -> bytes:
        if self.cipher == "3DES":
            return tdes_cbc_encrypt(key, data, iv or bytes(8))
        return aes_cbc_encrypt(key, data, iv or bytes(16))

    def decrypt(self, key: bytes, data: bytes, iv: bytes | None = None) -> bytes:
        if self.cipher == "3DES":
            return tdes_cbc_decrypt(key, data, iv or bytes(8))
        return aes_cbc_decrypt(key, data, iv or bytes(16))

    def mac(self, key: bytes, data: bytes) -> bytes:
        """8-byte SM MAC over ``data`` padded with method 2 (the AES-CMAC input too)."""
        if self.cipher == "3DES":
            return retail_mac(key, pad(data, 8))
        return aes_cmac(key, pad(data, 16))[:8]

    def token(self, key: bytes, data: bytes) -> bytes:
        """PACE/CA authentication token: 3DES retail MAC needs padding; AES-CMAC takes
        the public-key data object as is (the 9303-11 G.1 example confirms it)."""
        if self.cipher == "3DES":
            return retail_mac(key, pad(data, 8))
        return aes_cmac(key, data)[:8]
