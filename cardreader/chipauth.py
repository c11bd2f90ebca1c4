"""Chip Authentication v1 (ICAO Doc 9303-11 §6.2; BSI TR-03110-3 for the APDUs).

Ephemeral-static key agreement with the chip's DG14 key, under the running
secure messaging. 3DES: MSE:Set KAT (91 ephemeral key, 84 key id). AES:
MSE:Set AT (80 OID, 84 key id) then GENERAL AUTHENTICATE (80 ephemeral key).
New K_enc/K_mac come from the shared secret; SSC restarts at 0. The caller
proves the new channel by reading a file and then marks ``established``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from cardreader.apdu import CommandAPDU, ResponseAPDU
from cardreader.errors import CardError, ChipAuthenticationError
from cardreader.pace import DhDomain, Domain, EcDomain, encode_oid, random_private_key
from cardreader.result import ChipAuthOutcome
from cardreader.session import Session
from cardreader.sm import SecureMessaging, tlv
from crypto import curves as _curves
from crypto import dh as _dh
from crypto.kdf import kdf

Rng = Callable[[int], bytes]
KeyGen = Callable[[Domain], int]

ID_CA_DH = "0.4.0.127.0.7.2.2.3.1"
ID_CA_ECDH = "0.4.0.127.0.7.2.2.3.2"
_CIPHER_SUFFIX = {1: "3DES", 2: "AES-128", 3: "AES-192", 4: "AES-256"}


@dataclass(frozen=True)
class CaAlgorithm:
    oid: str
    agreement: str  # 'ECDH' or 'DH'
    cipher: str


def algorithm(oid: str) -> CaAlgorithm:
    base, _, suffix = oid.rpartition(".")
    agreement = {ID_CA_DH: "DH", ID_CA_ECDH: "ECDH"}.get(base)
    cipher = _CIPHER_SUFFIX.get(int(suffix)) if suffix.isdigit() else None
    if agreement is None or cipher is None:
        raise ChipAuthenticationError(
            f"Unknown Chip Authentication protocol {oid}.", step="ca_select"
        )
    return CaAlgorithm(oid, agreement, cipher)


def domain_for(domain: _curves.NamedCurve | _dh.DHGroup) -> Domain:
    return EcDomain(domain) if isinstance(domain, _curves.NamedCurve) else DhDomain(domain)


def _key_id_bytes(key_id: int) -> bytes:
    return key_id.to_bytes(max(1, (key_id.bit_length() + 7) // 8), "big")


def build_commands(
    alg: CaAlgorithm, ephemeral_public_key: bytes, key_id: int | None
) -> list[tuple[str, CommandAPDU]]:
    """The plain commands (secure messaging wraps them) with their step names."""
    kid = tlv(0x84, _key_id_bytes(key_id)) if key_id is not None else b""
    if alg.cipher == "3DES":
        return [
            (
                "mse_set_kat",
                CommandAPDU(0x00, 0x22, 0x41, 0xA6, tlv(0x91, ephemeral_public_key) + kid),
            )
        ]
    ga = tlv(0x7C, tlv(0x80, ephemeral_public_key))
    return [
        ("mse_set_at", CommandAPDU(0x00, 0x22, 0x41, 0xA4, tlv(0x80, encode_oid(alg.oid)) + kid)),
        (
            "general_authenticate",
            CommandAPDU(0x00, 0x86, 0x00, 0x00, ga, ne=65536 if len(ga) > 255 else 256),
        ),
    ]


def session_keys(shared_secret: bytes, cipher: str) -> tuple[bytes, bytes]:
    return kdf(shared_secret, 1, cipher), kdf(shared_secret, 2, cipher)


@dataclass
class ChipAuthResult:
    oid: str
    key_id: int | None
    ephemeral_public_key: bytes
    sm: SecureMessaging

    def to_outcome(self, established: bool = False) -> ChipAuthOutcome:
        return ChipAuthOutcome(
            performed=True, established=established, protocol_oid=self.oid, key_id=self.key_id
        )


def _check(resp: ResponseAPDU, step: str) -> None:
    if not resp.is_success:
        raise ChipAuthenticationError(
            f"The card refused Chip Authentication ({step}).", step=step, sw=resp.sw
        )


def run(
    session: Session,
    oid: str,
    chip_public_key: bytes,
    domain: _curves.NamedCurve | _dh.DHGroup,
    key_id: int | None = None,
    *,
    rng: Rng = os.urandom,
    keygen: KeyGen | None = None,
) -> ChipAuthResult:
    """Run CA v1 with the DG14 key (uncompressed point, or DH public value) and restart SM.

    ``domain`` is the DG14 key's curve (``crypto.curves``) or DH group (``crypto.dh``).
    """
    if session.secure_messaging is None:
        raise ChipAuthenticationError(
            "Chip Authentication needs an open secure channel.", step="ca_select"
        )
    alg = algorithm(oid)
    dom = domain_for(domain)
    if (alg.agreement == "ECDH") != isinstance(dom, EcDomain):
        raise ChipAuthenticationError(
            "The chip's key does not fit the Chip Authentication protocol.", step="ca_select"
        )
    try:
        pk_chip = dom.decode(chip_public_key)
        sk = (keygen or (lambda d: random_private_key(rng, d.order)))(dom)
        pk_ifd = dom.encode(dom.public(sk))
        shared = dom.shared_secret(sk, pk_chip)
    except (ValueError, ArithmeticError) as exc:
        raise ChipAuthenticationError(
            "The chip's Chip Authentication key is not valid.", step="ca_key"
        ) from exc
    for step, cmd in build_commands(alg, pk_ifd, key_id):
        _check(session.transmit(cmd, f"CA {step}"), step)
    k_enc, k_mac = session_keys(shared, alg.cipher)
    sm = SecureMessaging.from_keys(alg.cipher, k_enc, k_mac, 0)
    session.start_secure_messaging(sm)
    return ChipAuthResult(oid, key_id, pk_ifd, sm)


def outcome_of_error(oid: str | None, key_id: int | None, error: CardError) -> ChipAuthOutcome:
    return ChipAuthOutcome(
        performed=True, established=False, protocol_oid=oid, key_id=key_id, error=error
    )
