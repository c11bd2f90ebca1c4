"""What a virtual CCCD holds: files, access keys and the chip's private keys.

Built by ``simulators.dataset.build_dataset``; read by the card OS in
``simulators.card``. Plain data, no behaviour, so either side can be tested alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Short EF identifiers of the LDS (ICAO Doc 9303-10).
FID_CARD_ACCESS = 0x011C
FID_COM = 0x011E
FID_SOD = 0x011D
FID_CARD_SECURITY = 0x011D  # same id as EF.SOD, but in the MF (outside the eMRTD application)
FID_ATR_INFO = 0x2F01


def fid_of_dg(number: int) -> int:
    """DG1 -> 0x0101 ... DG16 -> 0x0110."""
    return 0x0100 + number


@dataclass
class CardDataSet:
    files: dict[
        int, bytes
    ]  # file id -> content (EF.CardAccess lives outside the eMRTD application)
    id_number: str  # 12 digits
    can: str  # 6 digits: last 6 of the ID number on a real CCCD
    document_number: str  # 9 characters: last 9 digits of the ID number
    birth_date: str  # YYMMDD
    expiry_date: str  # YYMMDD (or '<<<<<<' for a card without expiry)
    mrz_lines: tuple[str, ...]  # the three TD1 lines
    ca_private_key: Any = None  # cryptography EC (or DH) private key matching DG14
    ca_key_id: int | None = None
    aa_private_key: Any = None  # cryptography RSA or EC private key matching DG15
    aa_hash: str = "sha256"  # hash for ECDSA AA (DG14 ActiveAuthenticationInfo)
    unreadable_dgs: dict[int, int] = field(default_factory=lambda: {3: 0x6982, 4: 0x6982})
    card_security: bytes | None = None  # EF.CardSecurity (MF, read after PACE), when offered
    citizen: Any = None  # the synthetic person the files describe (simulators.citizens.Citizen)
    label: str = ""  # what this data set is, for test output
