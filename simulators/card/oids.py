"""Protocol object identifiers of BSI TR-03110 / ICAO 9303-11 (bsi-de 0.4.0.127.0.7.2.2).

Only the DER content octets are handled: 04 00 7F 00 07 02 02 <family> <kind> <cipher>.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulators.card.errors import SW_WRONG_DATA, SWError
from simulators.card.primitives import CipherSuite
from simulators.card.tlv import parse_tlvs

BSI_PREFIX = bytes.fromhex("04007F00070202")
FAMILY_CA = 0x03
FAMILY_PACE = 0x04

# PACE kinds (9303-11 9.2.x): 1 DH-GM, 2 ECDH-GM, 3 DH-IM, 4 ECDH-IM, 6 ECDH-CAM.
# CA kinds: 1 DH, 2 ECDH.
_CIPHERS = {1: ("3DES", 128), 2: ("AES", 128), 3: ("AES", 192), 4: ("AES", 256)}


@dataclass(frozen=True)
class ProtocolOID:
    raw: bytes  # DER content octets of the OID
    family: int  # 3 CA, 4 PACE
    kind: int
    cipher: str
    key_bits: int

    @property
    def suite(self) -> CipherSuite:
        return CipherSuite(self.cipher, self.key_bits)

    @property
    def is_ecdh(self) -> bool:
        if self.family == FAMILY_PACE:
            return self.kind in (2, 4, 6)
        return self.kind == 2

    @classmethod
    def from_bytes(cls, raw: bytes) -> ProtocolOID:
        if len(raw) != len(BSI_PREFIX) + 3 or not raw.startswith(BSI_PREFIX):
            raise SWError(SW_WRONG_DATA, "unknown protocol OID")
        family, kind, cipher = raw[-3:]
        if cipher not in _CIPHERS or family not in (FAMILY_CA, FAMILY_PACE):
            raise SWError(SW_WRONG_DATA, "unsupported protocol OID")
        name, bits = _CIPHERS[cipher]
        return cls(raw, family, kind, name, bits)


def pace_parameter_ids(card_access: bytes | None) -> dict[bytes, int]:
    """PACEInfo entries of EF.CardAccess: protocol OID content -> parameterId.

    A small DER walk (SET OF SEQUENCE {OID, INTEGER version, INTEGER parameterId?});
    anything it cannot read is skipped, since the card then needs tag 84 anyway.
    """
    found: dict[bytes, int] = {}
    if not card_access:
        return found
    try:
        ((tag, content),) = parse_tlvs(card_access)
        if tag != 0x31:
            return found
        for tag, info in parse_tlvs(content):
            if tag != 0x30:
                continue
            parts = parse_tlvs(info)
            if (
                len(parts) >= 3
                and parts[0][0] == 0x06
                and parts[0][1].startswith(BSI_PREFIX + b"\x04")
            ):
                if parts[2][0] == 0x02:
                    found[parts[0][1]] = int.from_bytes(parts[2][1], "big")
    except (SWError, ValueError):
        return found
    return found
