"""SecurityInfos: EF.CardAccess and DG14 (ICAO Doc 9303-11 §9.2, BSI TR-03110-3 §A.1).

SecurityInfos ::= SET OF SecurityInfo; SecurityInfo ::= SEQUENCE { protocol OID,
requiredData ANY, optionalData ANY OPTIONAL }.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec

from .keyinfo import OID_EC_PUBLIC_KEY, OID_PK_ECDH, ec_spki
from .tlv import LDSEncodeError, der_integer, der_oid, der_sequence, der_set, tlv

BSI_DE = "0.4.0.127.0.7"
ID_TA = BSI_DE + ".2.2.2"
ID_PK_ECDH = OID_PK_ECDH
ID_CA_ECDH_3DES = BSI_DE + ".2.2.3.2.1"
ID_CA_ECDH_AES128 = BSI_DE + ".2.2.3.2.2"
ID_PACE = BSI_DE + ".2.2.4"
ID_AA = "2.23.136.1.1.5"
ECDSA_WITH = {
    "sha1": "1.2.840.10045.4.1",
    "sha224": "1.2.840.10045.4.3.1",
    "sha256": "1.2.840.10045.4.3.2",
    "sha384": "1.2.840.10045.4.3.3",
    "sha512": "1.2.840.10045.4.3.4",
}

# PACE protocol OIDs: id-PACE . mapping . cipher (9303-11 §9.2.3)
PACE_MAPPINGS = {"DH-GM": 1, "ECDH-GM": 2, "DH-IM": 3, "ECDH-IM": 4, "ECDH-CAM": 6}
PACE_CIPHERS = {
    "3DES-CBC-CBC": 1,
    "AES-CBC-CMAC-128": 2,
    "AES-CBC-CMAC-192": 3,
    "AES-CBC-CMAC-256": 4,
}
STANDARD_PARAMETER_IDS = frozenset({0, 1, 2, *range(8, 19)})  # 3-7 are reserved
CCCD_PACE = (f"{ID_PACE}.2.2", 13)  # ECDH-GM, AES-CBC-CMAC-128, brainpoolP256r1

# The bytes a real CCCD's EF.CardAccess holds (cccd-chip.md; vectors file "cccd").
CCCD_CARD_ACCESS = bytes.fromhex(
    "3134300D060804007F0007020202020101300F060A04007F000702020302020201013012060A04007F00"
    "07020204020202010202010D"
)


def pace_oid(mapping: str = "ECDH-GM", cipher: str = "AES-CBC-CMAC-128") -> str:
    """e.g. pace_oid('ECDH-GM', 'AES-CBC-CMAC-128') -> '0.4.0.127.0.7.2.2.4.2.2'."""
    try:
        return f"{ID_PACE}.{PACE_MAPPINGS[mapping]}.{PACE_CIPHERS[cipher]}"
    except KeyError:
        raise LDSEncodeError(f"unknown PACE mapping/cipher {mapping!r}/{cipher!r}") from None


def terminal_authentication_info(version: int = 1) -> bytes:
    return der_sequence(der_oid(ID_TA), der_integer(version))


def chip_authentication_info(
    oid: str = ID_CA_ECDH_AES128, version: int = 1, key_id: int | None = None
) -> bytes:
    body = der_oid(oid) + der_integer(version)
    if key_id is not None:
        body += der_integer(key_id)
    return tlv(0x30, body)


def pace_info(oid: str, parameter_id: int | None, version: int = 2) -> bytes:
    if not oid.startswith(ID_PACE + "."):
        raise LDSEncodeError(f"{oid} is not a PACE protocol OID")
    if parameter_id is not None and parameter_id not in STANDARD_PARAMETER_IDS:
        raise LDSEncodeError(f"PACE parameter id {parameter_id} is not standardized (0-2, 8-18)")
    body = der_oid(oid) + der_integer(version)
    if parameter_id is not None:
        body += der_integer(parameter_id)
    return tlv(0x30, body)


def encode_card_access(
    pace: list[tuple[str, int | None]] | None = None, *, ca_oid: str = ID_CA_ECDH_AES128
) -> bytes:
    """EF.CardAccess. ``pace=None`` gives the CCCD's exact bytes; otherwise TA v1, CA v1
    and one PACEInfo v2 per (protocol OID, parameter id), in the CCCD's order."""
    if pace is None:
        return CCCD_CARD_ACCESS
    infos = [terminal_authentication_info(), chip_authentication_info(ca_oid)]
    infos += [pace_info(oid, pid) for oid, pid in pace]
    return der_set(*infos)


def encode_card_security_infos(
    pace: list[tuple[str, int | None]],
    ca_public_key: ec.EllipticCurvePublicKey,
    *,
    key_id: int | None = 1,
    ca_oid: str = ID_CA_ECDH_AES128,
    explicit: bool = True,
) -> bytes:
    """The SecurityInfos EF.CardSecurity signs (TR-03110-3 A.1.2.5): what
    EF.CardAccess holds, plus the chip's static key for PACE-CAM and Chip Authentication."""
    infos = [terminal_authentication_info(), chip_authentication_info(ca_oid, 1, key_id)]
    infos += [pace_info(oid, pid) for oid, pid in pace]
    infos.append(
        chip_authentication_public_key_info(ca_public_key, key_id=key_id, explicit=explicit)
    )
    return der_set(*infos)


def chip_authentication_public_key_info(
    public_key: ec.EllipticCurvePublicKey,
    *,
    key_id: int | None = None,
    explicit: bool = True,
    algorithm_oid: str = OID_EC_PUBLIC_KEY,
) -> bytes:
    """SEQUENCE { id-PK-ECDH, SubjectPublicKeyInfo, keyId OPTIONAL } (TR-03110-3 §A.1.1.2)."""
    body = der_oid(ID_PK_ECDH) + ec_spki(public_key, explicit=explicit, algorithm_oid=algorithm_oid)
    if key_id is not None:
        body += der_integer(key_id)
    return tlv(0x30, body)


def active_authentication_info(hash_alg: str = "sha256") -> bytes:
    """SEQUENCE { id-AA, version 1, signatureAlgorithm ecdsa-with-SHAxxx } (9303-11 §9.2.9)."""
    try:
        sig_oid = ECDSA_WITH[hash_alg]
    except KeyError:
        raise LDSEncodeError(f"no ECDSA signature algorithm for {hash_alg!r}") from None
    return der_sequence(der_oid(ID_AA), der_integer(1), der_oid(sig_oid))


def encode_dg14(
    ca_public_key: ec.EllipticCurvePublicKey,
    *,
    key_id: int | None = 1,
    ca_oid: str = ID_CA_ECDH_AES128,
    explicit: bool = True,
    aa_hash: str | None = None,
    include_ta: bool = True,
) -> bytes:
    """DG14: 6E -> SecurityInfos {TA v1, CA info, CA public key, AA info when AA is ECDSA}."""
    infos = []
    if include_ta:
        infos.append(terminal_authentication_info())
    infos.append(chip_authentication_info(ca_oid, 1, key_id))
    infos.append(
        chip_authentication_public_key_info(ca_public_key, key_id=key_id, explicit=explicit)
    )
    if aa_hash is not None:
        infos.append(active_authentication_info(aa_hash))
    return tlv(0x6E, der_set(*infos))
