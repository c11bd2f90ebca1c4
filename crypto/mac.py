"""MACs of secure messaging: ISO/IEC 9797-1 MAC algorithm 3 (retail MAC) and AES-CMAC.

Both take input already padded by the caller when the protocol says so
(ISO/IEC 9797-1 padding method 2, here ``pad``); ``retail_mac`` pads for
convenience when asked.
"""

from __future__ import annotations

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC


class PaddingError(ValueError):
    """Input does not end in ISO/IEC 9797-1 method 2 padding."""


def pad(data: bytes, block: int = 8) -> bytes:
    """ISO/IEC 9797-1 padding method 2: append 80, then 00 up to a whole block."""
    return data + b"\x80" + bytes((-len(data) - 1) % block)


def unpad(data: bytes) -> bytes:
    body = data.rstrip(b"\x00")
    if not body or body[-1] != 0x80:
        raise PaddingError("padding method 2 marker missing")
    return body[:-1]


def _des(key8: bytes) -> TripleDES:
    # Single DES as 3DES with K1 = K2 = K3 (cryptography deprecates 8-byte keys).
    return TripleDES(key8 * 3)


def retail_mac(key: bytes, data: bytes, *, padded: bool = True) -> bytes:
    """ISO/IEC 9797-1 MAC algorithm 3 with DES: CBC under K1, last block D(K2) then E(K1).

    ``padded=True`` means ``data`` is already a whole number of blocks.
    """
    if len(key) != 16:
        raise ValueError("retail MAC takes a 16-byte 2-key 3DES key")
    if not padded:
        data = pad(data, 8)
    if not data or len(data) % 8:
        raise ValueError("retail MAC input must be whole 8-byte blocks")
    k1, k2 = key[:8], key[8:]
    enc = Cipher(_des(k1), modes.CBC(bytes(8))).encryptor()
    h = (enc.update(data) + enc.finalize())[-8:]
    h = Cipher(_des(k2), modes.ECB()).decryptor().update(h)
    return Cipher(_des(k1), modes.ECB()).encryptor().update(h)


def aes_cmac(key: bytes, data: bytes) -> bytes:
    """Full 16-byte AES-CMAC (truncate to 8 for secure messaging and PACE tokens)."""
    c = CMAC(algorithms.AES(key))
    c.update(data)
    return c.finalize()
