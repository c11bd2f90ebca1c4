"""Active Authentication (ICAO Doc 9303-11 §6.1): INTERNAL AUTHENTICATE with a fresh challenge.

Only the exchange lives here; checking the signature against DG15 is
``crypto``'s job once passive authentication has vouched for DG15.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from cardreader.apdu import CommandAPDU
from cardreader.errors import StatusWordError
from cardreader.result import ActiveAuthOutcome
from cardreader.session import Session

Rng = Callable[[int], bytes]


def build_internal_authenticate(challenge: bytes, *, extended_length: bool = False) -> CommandAPDU:
    if len(challenge) != 8:
        raise ValueError("the AA challenge is 8 bytes")
    # RSA-2048 signatures fill 256 bytes; under SM they only fit an extended answer.
    return CommandAPDU(
        0x00,
        0x88,
        0x00,
        0x00,
        challenge,
        ne=65536 if extended_length else 256,
        extended=extended_length,
    )


def run(
    session: Session, *, rng: Rng = os.urandom, extended_length: bool = False
) -> ActiveAuthOutcome:
    challenge = rng(8)
    resp = session.transmit(
        build_internal_authenticate(challenge, extended_length=extended_length),
        "AA INTERNAL AUTHENTICATE",
    )
    if not resp.is_success or not resp.data:
        raise StatusWordError(
            "The card refused Active Authentication.", step="internal_authenticate", sw=resp.sw
        )
    return ActiveAuthOutcome(performed=True, challenge=challenge, signature=resp.data)
