"""Ciphers of secure messaging (ICAO Doc 9303-11 §9.8).

3DES: two-key 3DES in CBC mode with a zero IV. AES: CBC with IV = E(K_enc, SSC)
(an ECB encryption of the 16-byte send sequence counter). ``SMCipher`` bundles
the encryption and MAC of one session so secure messaging needs no branches.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from crypto.mac import aes_cmac, pad, retail_mac


def _run(cipher: Cipher[modes.CBC] | Cipher[modes.ECB], data: bytes, encrypt: bool) -> bytes:
    ctx = cipher.encryptor() if encrypt else cipher.decryptor()
    return ctx.update(data) + ctx.finalize()


def tdes_cbc_encrypt(key: bytes, data: bytes) -> bytes:
    return _run(Cipher(TripleDES(key + key[:8]), modes.CBC(bytes(8))), data, True)


def tdes_cbc_decrypt(key: bytes, data: bytes) -> bytes:
    return _run(Cipher(TripleDES(key + key[:8]), modes.CBC(bytes(8))), data, False)


def aes_cbc_encrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    return _run(Cipher(algorithms.AES(key), modes.CBC(iv)), data, True)


def aes_cbc_decrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    return _run(Cipher(algorithms.AES(key), modes.CBC(iv)), data, False)


def aes_ecb_encrypt(key: bytes, block: bytes) -> bytes:
    return _run(Cipher(algorithms.AES(key), modes.ECB()), block, True)


def aes_sm_iv(k_enc: bytes, ssc: bytes) -> bytes:
    """IV for AES secure messaging: E(K_enc, SSC)."""
    return aes_ecb_encrypt(k_enc, ssc)


@dataclass(frozen=True)
class SMCipher:
    """One session's cipher suite: 'is_aes' picks AES-CBC/CMAC, else 3DES-CBC/retail MAC."""

    k_enc: bytes
    k_mac: bytes
    is_aes: bool

    @classmethod
    def for_cipher(cls, cipher: str, k_enc: bytes, k_mac: bytes) -> SMCipher:
        """``cipher`` is '3DES' or 'AES-128' / 'AES-192' / 'AES-256' (as in ``crypto.kdf``)."""
        return cls(k_enc, k_mac, cipher.upper().startswith("AES"))

    @property
    def block_size(self) -> int:
        return 16 if self.is_aes else 8

    @property
    def ssc_size(self) -> int:
        return self.block_size

    def encrypt(self, ssc: bytes, data: bytes) -> bytes:
        """Encrypt already padded data."""
        if self.is_aes:
            return aes_cbc_encrypt(self.k_enc, aes_sm_iv(self.k_enc, ssc), data)
        return tdes_cbc_encrypt(self.k_enc, data)

    def decrypt(self, ssc: bytes, data: bytes) -> bytes:
        if len(data) % self.block_size or not data:
            raise ValueError("cryptogram is not whole cipher blocks")
        if self.is_aes:
            return aes_cbc_decrypt(self.k_enc, aes_sm_iv(self.k_enc, ssc), data)
        return tdes_cbc_decrypt(self.k_enc, data)

    def mac(self, data: bytes) -> bytes:
        """8-byte MAC over data padded here with method 2 (for AES too, as 9303 requires)."""
        padded = pad(data, self.block_size)
        if self.is_aes:
            return aes_cmac(self.k_mac, padded)[:8]
        return retail_mac(self.k_mac, padded)
