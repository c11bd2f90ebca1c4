"""Basic Access Control, card side (ICAO Doc 9303-11 section 4.3, App. D.3)."""

from __future__ import annotations

import hmac
from collections.abc import Callable

from simulators.card.errors import (
    SW_CONDITIONS_NOT_SATISFIED,
    SW_VERIFY_FAILED,
    SW_WRONG_LENGTH,
    SWError,
)
from simulators.card.keys import bac_key_seed, mrz_information
from simulators.card.primitives import (
    KDF_ENC,
    KDF_MAC,
    CipherSuite,
    kdf,
    pad,
    retail_mac,
    tdes_cbc_decrypt,
    tdes_cbc_encrypt,
)
from simulators.card.sm import SecureMessaging
from simulators.carddata import CardDataSet


class BACChip:
    """GET CHALLENGE then EXTERNAL AUTHENTICATE; yields a 3DES SM session."""

    def __init__(self, dataset: CardDataSet, rng: Callable[[int], bytes]) -> None:
        info = mrz_information(dataset.document_number, dataset.birth_date, dataset.expiry_date)
        seed = bac_key_seed(info)
        self.k_enc = kdf(seed, KDF_ENC, "3DES")
        self.k_mac = kdf(seed, KDF_MAC, "3DES")
        self.rng = rng
        self.rnd_ic: bytes | None = None

    def get_challenge(self, ne: int | None) -> bytes:
        if ne != 8:
            raise SWError(SW_WRONG_LENGTH, "GET CHALLENGE wants Le = 8")
        self.rnd_ic = self.rng(8)
        return self.rnd_ic

    def external_authenticate(self, data: bytes) -> tuple[bytes, SecureMessaging]:
        """Check E_IFD || M_IFD; answer E_IC || M_IC and the new SM session."""
        rnd_ic, self.rnd_ic = self.rnd_ic, None  # a challenge is good for one try only
        if rnd_ic is None:
            raise SWError(SW_CONDITIONS_NOT_SATISFIED, "no challenge was requested")
        if len(data) != 40:
            raise SWError(SW_WRONG_LENGTH, "EXTERNAL AUTHENTICATE wants 40 bytes")
        e_ifd, m_ifd = data[:32], data[32:]
        if not hmac.compare_digest(retail_mac(self.k_mac, pad(e_ifd, 8)), m_ifd):
            raise SWError(SW_VERIFY_FAILED, "M_IFD does not verify: wrong access key")
        s = tdes_cbc_decrypt(self.k_enc, e_ifd)
        rnd_ifd, rnd_ic_echo, k_ifd = s[:8], s[8:16], s[16:32]
        if rnd_ic_echo != rnd_ic:
            raise SWError(SW_VERIFY_FAILED, "RND.IC echo does not match")
        k_ic = self.rng(16)
        e_ic = tdes_cbc_encrypt(self.k_enc, rnd_ic + rnd_ifd + k_ic)
        m_ic = retail_mac(self.k_mac, pad(e_ic, 8))
        seed = bytes(a ^ b for a, b in zip(k_ifd, k_ic, strict=True))
        suite = CipherSuite("3DES")
        ssc = int.from_bytes(rnd_ic[4:8] + rnd_ifd[4:8], "big")
        sm = SecureMessaging(suite, suite.derive(seed, KDF_ENC), suite.derive(seed, KDF_MAC), ssc)
        return e_ic + m_ic, sm
