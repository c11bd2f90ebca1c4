"""Basic Access Control (ICAO Doc 9303-11 §4.3, worked example App. D.3).

Pure functions decide (keys, cryptograms, checks); ``run`` does the I/O:
GET CHALLENGE, then EXTERNAL AUTHENTICATE with E_IFD || M_IFD, then starts
3DES secure messaging with SSC = RND.IC[4:8] || RND.IFD[4:8].
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass

from cardreader.accesskey import MrzKey
from cardreader.apdu import CommandAPDU, ResponseAPDU, is_access_denied
from cardreader.errors import AccessControlError, AccessDeniedError
from cardreader.session import Session
from cardreader.sm import SecureMessaging
from crypto.kdf import kdf
from crypto.mac import pad, retail_mac
from crypto.smcipher import tdes_cbc_decrypt, tdes_cbc_encrypt

Rng = Callable[[int], bytes]


@dataclass(frozen=True)
class BacKeys:
    ks_enc: bytes
    ks_mac: bytes
    ssc: bytes


def derive_keys(kseed: bytes) -> tuple[bytes, bytes]:
    """K_enc, K_mac from the 16-byte key seed (KDF counters 1 and 2, parity adjusted)."""
    return kdf(kseed, 1), kdf(kseed, 2)


def build_get_challenge() -> CommandAPDU:
    return CommandAPDU(0x00, 0x84, 0x00, 0x00, ne=8)


def build_external_authenticate(
    rnd_ic: bytes, rnd_ifd: bytes, k_ifd: bytes, k_enc: bytes, k_mac: bytes
) -> tuple[CommandAPDU, bytes, bytes]:
    """The command with E_IFD || M_IFD, and E_IFD and M_IFD themselves."""
    e_ifd = tdes_cbc_encrypt(k_enc, rnd_ifd + rnd_ic + k_ifd)
    m_ifd = retail_mac(k_mac, pad(e_ifd))
    return CommandAPDU(0x00, 0x82, 0x00, 0x00, e_ifd + m_ifd, ne=40), e_ifd, m_ifd


def process_external_authenticate(
    data: bytes, rnd_ic: bytes, rnd_ifd: bytes, k_enc: bytes, k_mac: bytes
) -> bytes:
    """Check the card's E_IC || M_IC and return K.IC.

    A MAC that does not verify means the card derived other keys from its MRZ:
    the access key is wrong.
    """
    if len(data) != 40:
        raise AccessControlError(
            "The card's BAC answer has the wrong length.", step="external_authenticate"
        )
    e_ic, m_ic = data[:32], data[32:]
    if not hmac.compare_digest(retail_mac(k_mac, pad(e_ic)), m_ic):
        raise AccessDeniedError(step="external_authenticate")
    r = tdes_cbc_decrypt(k_enc, e_ic)
    if r[:8] != rnd_ic or r[8:16] != rnd_ifd:
        raise AccessControlError(
            "The card did not echo the terminal's challenge.", step="external_authenticate"
        )
    return r[16:32]


def session_keys(k_ifd: bytes, k_ic: bytes, rnd_ic: bytes, rnd_ifd: bytes) -> BacKeys:
    seed = bytes(a ^ b for a, b in zip(k_ifd, k_ic, strict=True))
    ks_enc, ks_mac = derive_keys(seed)
    return BacKeys(ks_enc, ks_mac, rnd_ic[4:8] + rnd_ifd[4:8])


def _check(resp: ResponseAPDU, step: str) -> None:
    if resp.is_success:
        return
    if is_access_denied(resp.sw):
        raise AccessDeniedError(step=step, sw=resp.sw)
    raise AccessControlError(
        f"The card refused Basic Access Control ({step}).", step=step, sw=resp.sw
    )


def run(session: Session, key: MrzKey, *, rng: Rng = os.urandom) -> SecureMessaging:
    """Perform BAC and start secure messaging on the session. Never retries a rejected key."""
    session.end_secure_messaging()
    k_enc, k_mac = derive_keys(key.bac_key_seed)
    resp = session.transmit(build_get_challenge(), "BAC GET CHALLENGE")
    _check(resp, "get_challenge")
    if len(resp.data) != 8:
        raise AccessControlError("The card's challenge has the wrong length.", step="get_challenge")
    rnd_ic = resp.data
    rnd_ifd, k_ifd = rng(8), rng(16)
    cmd, _, _ = build_external_authenticate(rnd_ic, rnd_ifd, k_ifd, k_enc, k_mac)
    resp = session.transmit(cmd, "BAC EXTERNAL AUTHENTICATE")
    _check(resp, "external_authenticate")
    k_ic = process_external_authenticate(resp.data, rnd_ic, rnd_ifd, k_enc, k_mac)
    keys = session_keys(k_ifd, k_ic, rnd_ic, rnd_ifd)
    sm = SecureMessaging.from_keys("3DES", keys.ks_enc, keys.ks_mac, keys.ssc)
    session.start_secure_messaging(sm)
    return sm
