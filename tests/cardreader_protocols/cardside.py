"""A minimal card side of 3DES/AES secure messaging for tests, built from crypto primitives only
(not from cardreader.sm), so a response it protects checks the reader's unwrap independently."""

from __future__ import annotations

from crypto.mac import aes_cmac, pad, retail_mac
from crypto.smcipher import aes_cbc_encrypt, aes_ecb_encrypt, tdes_cbc_encrypt


def _do(tag: int, value: bytes) -> bytes:
    n = len(value)
    length = (
        bytes((n,))
        if n < 0x80
        else (b"\x81" + bytes((n,)) if n < 0x100 else b"\x82" + n.to_bytes(2, "big"))
    )
    return tag.to_bytes(2 if tag > 0xFF else 1, "big") + length + value


def protect_response(
    k_enc: bytes,
    k_mac: bytes,
    ssc: int,
    data: bytes,
    sw: int,
    *,
    aes: bool = False,
    odd_ins: bool = False,
) -> bytes:
    """The card's protected answer, computed with the SSC value *after* its increment."""
    size = 16 if aes else 8
    ssc_b = ssc.to_bytes(size, "big")
    body = b""
    if data:
        padded = pad(data, size)
        if aes:
            cryptogram = aes_cbc_encrypt(k_enc, aes_ecb_encrypt(k_enc, ssc_b), padded)
        else:
            cryptogram = tdes_cbc_encrypt(k_enc, padded)
        body += _do(0x85, cryptogram) if odd_ins else _do(0x87, b"\x01" + cryptogram)
    body += _do(0x99, sw.to_bytes(2, "big"))
    mac_input = pad(ssc_b + body, size)
    mac = aes_cmac(k_mac, mac_input)[:8] if aes else retail_mac(k_mac, mac_input)
    return body + _do(0x8E, mac) + sw.to_bytes(2, "big")
