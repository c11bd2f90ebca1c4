"""Access keys of the card's holder: MRZ information and the PACE passwords."""

from __future__ import annotations

import hashlib

from simulators.carddata import CardDataSet

_VALUES = {
    **{str(d): d for d in range(10)},
    "<": 0,
    **{chr(ord("A") + i): 10 + i for i in range(26)},
}


def check_digit(text: str) -> str:
    """ICAO 9303-3 check digit: weights 7, 3, 1 over digit/letter values, '<' = 0."""
    weights = (7, 3, 1)
    return str(sum(_VALUES[c] * weights[i % 3] for i, c in enumerate(text.upper())) % 10)


def mrz_information(document_number: str, birth_date: str, expiry_date: str) -> str:
    """Document number + cd + birth + cd + expiry + cd (9303-11 4.3 / 9.7.2)."""
    doc = document_number.upper().ljust(9, "<")
    return (
        doc
        + check_digit(doc)
        + birth_date
        + check_digit(birth_date)
        + expiry_date
        + check_digit(expiry_date)
    )


def bac_key_seed(mrz_info: str) -> bytes:
    """K_seed for BAC: the first 16 bytes of SHA-1(MRZ information)."""
    return hashlib.sha1(mrz_info.encode("ascii")).digest()[:16]


def pace_password(dataset: CardDataSet, reference: int) -> bytes:
    """The PACE password as key seed: 01 MRZ -> SHA-1(MRZ information), 02 CAN -> ASCII."""
    if reference == 0x01:
        info = mrz_information(dataset.document_number, dataset.birth_date, dataset.expiry_date)
        return hashlib.sha1(info.encode("ascii")).digest()
    if reference == 0x02:
        return dataset.can.encode("ascii")
    raise ValueError(f"password reference {reference:02X} is not supported")
