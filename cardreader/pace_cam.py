"""PACE with Chip Authentication Mapping, terminal side (ICAO Doc 9303-11 §4.4.3.5, App. I.1).

The mapping itself is the generic one. In the last GENERAL AUTHENTICATE answer the chip adds
'8A', the Encrypted Chip Authentication Data A_IC = E(KS_enc, CA_IC) with
CA_IC = SK_IC^-1 * SK_Map,IC mod n: AES-CBC with IV = E(KS_enc, -1) (-1: the all-ones block),
padded with ISO/IEC 9797-1 method 2. The terminal decrypts it here; whether
PK_Map,IC = CA_IC * PK_IC holds for the static key PK_IC of a verified EF.CardSecurity is
decided by ``crypto.chip_auth_mapping``, once that file has been read and its signature checked.
"""

from __future__ import annotations

from crypto.smcipher import aes_cbc_decrypt, aes_ecb_encrypt

TAG_ENCRYPTED_CA_DATA = 0x8A
ALL_ONES_BLOCK = b"\xff" * 16


class ChipAuthenticationDataError(ValueError):
    """A_IC does not decrypt to padded data."""


def iv_for(k_enc: bytes) -> bytes:
    """IV = E(KS_enc, -1)."""
    return aes_ecb_encrypt(k_enc, ALL_ONES_BLOCK)


def decrypt_chip_authentication_data(k_enc: bytes, a_ic: bytes) -> bytes:
    """CA_IC from A_IC (whole AES blocks, method-2 padding removed)."""
    if not a_ic or len(a_ic) % 16:
        raise ChipAuthenticationDataError("A_IC is not whole AES blocks")
    plain = aes_cbc_decrypt(k_enc, iv_for(k_enc), a_ic)
    stripped = plain.rstrip(b"\x00")
    if not stripped or stripped[-1] != 0x80 or len(stripped) == 1:
        raise ChipAuthenticationDataError("A_IC carries no padded chip authentication data")
    return stripped[:-1]
