"""Chip Authentication verdict (BSI TR-03110-1 §3.4, ICAO Doc 9303-11 §6.2).

The reader runs CA on the card (``cardreader.chipauth``): the terminal agrees
a key with DG14's static public key, and only a chip holding the matching
private key can then answer under the new session keys. So "CA established"
is the proof, and it proves something only when DG14 itself is authentic:
its hash must match a SOD whose signature verified.

Also the key agreement primitive (ECDH: x-coordinate of d * PK) used to
check DG14 keys, on every named curve (brainpoolP224r1 and P320r1 included,
through the ``ecdsa`` library's arithmetic).
"""

from __future__ import annotations

from crypto.curves import CurveError
from crypto.errors import InvalidKey
from crypto.keys import PublicKey
from crypto.outcomes import ChipAuthOutcome
from crypto.report import Check, Status


def agree(chip_key: PublicKey, private_value: int) -> bytes:
    """ECDH shared secret: the x-coordinate of ``private_value * chip_key`` (field-size bytes)."""
    if chip_key.algorithm != "ec" or chip_key.point is None or chip_key.curve is None:
        raise InvalidKey("Key agreement needs an EC public key.")
    curve = chip_key.curve
    if not 0 < private_value < curve.order:
        raise InvalidKey("The private value is out of range for the curve.")
    try:
        point = curve.decode_point(chip_key.point)
    except CurveError as exc:
        raise InvalidKey(str(exc)) from None
    shared = point * private_value
    return int(shared.x()).to_bytes(curve.field_size, "big")


def check(
    outcome: ChipAuthOutcome | None,
    *,
    dg14_present: bool,
    dg14_has_ca_key: bool,
    dg14_authenticated: bool,
    dg14_hash_status: Status,
) -> Check:
    """The ``chip_authentication`` check of the report.

    ``valid`` only when CA was established and DG14 is authentic; a DG14 whose
    hash does not match makes it ``invalid`` (``ca_key_hash_mismatch``).
    """
    name = "chip_authentication"
    outcome = outcome or ChipAuthOutcome()
    details = {"protocol": outcome.protocol_oid, "key_id": outcome.key_id}
    if not outcome.performed:
        if not dg14_present or not dg14_has_ca_key:
            return Check(
                name,
                Status.NOT_PERFORMED,
                "ca_not_supported",
                "The chip offers no Chip Authentication.",
            )
        err = {"error": outcome.error.code} if outcome.error is not None else {}
        return Check(
            name, Status.NOT_PERFORMED, "ca_not_run", "Chip Authentication was not run.", err
        )
    if not outcome.established:
        error_code = outcome.error.code if outcome.error is not None else None
        return Check(
            name,
            Status.INVALID,
            "ca_failed",
            "The chip failed Chip Authentication: it may be a copy.",
            {**details, "error": error_code},
        )
    if dg14_hash_status is Status.INVALID:
        return Check(
            name,
            Status.INVALID,
            "ca_key_hash_mismatch",
            "The Chip Authentication key (DG14) does not match the document's security object.",
            details,
        )
    if not dg14_authenticated:
        return Check(
            name,
            Status.UNKNOWN,
            "ca_key_not_authenticated",
            "Chip Authentication succeeded, but its key (DG14) is not vouched for by a valid "
            "security object.",
            details,
        )
    return Check(
        name, Status.VALID, "ok", "The chip proved it holds the key in DG14 (not a copy).", details
    )
