"""PACE-CAM verdict: the ``chip_authentication_mapping`` check (ICAO Doc 9303-11 §4.4.3.5).

In PACE with Chip Authentication Mapping the chip sends CA_IC = SK_IC^-1 * SK_Map,IC mod n
(the reader decrypts it). Only a chip holding SK_IC, the private half of the static key
PK_IC in EF.CardSecurity, can make PK_Map,IC = CA_IC * PK_IC hold for the mapping key it used
in that very PACE run. Like Chip and Active Authentication, the proof counts only when the
key is vouched for: EF.CardSecurity's signature verified and its signer chains to a trusted
CSCA (``CardSecurityResult.authenticated``).

Reason codes: ``ok``, ``cam_not_run``, ``offline_dump``, ``cam_data_missing``,
``cam_data_malformed``, ``cam_proof_invalid``, ``cam_key_missing``,
``cam_key_signature_invalid``, ``cam_key_not_authenticated``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ecdsa.ellipticcurve import INFINITY

from crypto import curves
from crypto.card_security import CardSecurityResult
from crypto.report import Check, Status

NAME = "chip_authentication_mapping"


@dataclass(frozen=True)
class CamProof:
    """What the reader brought back from a PACE-CAM run (plain values, no reader types)."""

    parameter_id: int | None
    chip_mapping_public_key: bytes | None  # PK_Map,IC as sent in the map step
    chip_authentication_data: bytes | None  # CA_IC, decrypted from A_IC
    error: str | None = None  # the reader's 'cam_data_missing' / 'cam_data_malformed'


def proof_holds(curve: curves.NamedCurve, pk_ic: bytes, pk_map_ic: bytes, ca_ic: bytes) -> bool:
    """PK_Map,IC == CA_IC * PK_IC on ``curve`` (False for any value out of range)."""
    try:
        static = curve.decode_point(pk_ic)
        mapping = curve.decode_point(pk_map_ic)
    except curves.CurveError:
        return False
    k = int.from_bytes(ca_ic, "big")
    if not 0 < k < curve.order:
        return False
    product = static * k
    return bool(product != INFINITY and product == mapping)


def check(proof: CamProof | None, card_security: CardSecurityResult) -> Check:
    """The ``chip_authentication_mapping`` check of the report."""
    if proof is None:
        return Check(NAME, Status.NOT_PERFORMED, "cam_not_run", "PACE-CAM was not used.")
    if proof.error is not None or proof.chip_authentication_data is None:
        code = proof.error or "cam_data_missing"
        return Check(
            NAME,
            Status.INVALID,
            code,
            "The chip did not give a readable PACE-CAM proof of its key: it may be a copy.",
        )
    curve = _curve(proof.parameter_id)
    keys = [
        k.public_key
        for k in card_security.chip_public_keys
        if k.public_key.point is not None and k.public_key.curve == curve
    ]
    if curve is None or not keys or proof.chip_mapping_public_key is None:
        return Check(
            NAME,
            Status.UNKNOWN,
            "cam_key_missing",
            "The chip's public key (EF.CardSecurity) is not available, so its PACE-CAM proof "
            "cannot be checked.",
        )
    pk_map = proof.chip_mapping_public_key
    ca_ic = proof.chip_authentication_data
    holds = any(proof_holds(curve, k.point or b"", pk_map, ca_ic) for k in keys)
    details = {"curve": curve.name, "parameter_id": proof.parameter_id}
    if not holds:
        return Check(
            NAME,
            Status.INVALID,
            "cam_proof_invalid",
            "The chip's PACE-CAM proof does not match its public key: it may be a copy.",
            details,
        )
    if card_security.status is Status.INVALID:
        return Check(
            NAME,
            Status.INVALID,
            "cam_key_signature_invalid",
            "The chip's public key comes from an EF.CardSecurity whose signature is invalid.",
            details,
        )
    if not card_security.authenticated:
        return Check(
            NAME,
            Status.UNKNOWN,
            "cam_key_not_authenticated",
            "PACE-CAM succeeded, but the chip's public key (EF.CardSecurity) is not vouched "
            "for by a trusted signer.",
            details,
        )
    return Check(
        NAME,
        Status.VALID,
        "ok",
        "The chip proved in PACE-CAM that it holds the key in EF.CardSecurity (not a copy).",
        details,
    )


def _curve(parameter_id: int | None) -> curves.NamedCurve | None:
    if parameter_id is None:
        return None
    try:
        return curves.by_pace_id(parameter_id)
    except curves.CurveError:
        return None
